using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;

namespace EventSourced.Adapters.Storage;

/// <summary>
/// A private PostgreSQL cluster started from the machine's own binaries (found through
/// <c>pg_config</c> or <c>/usr/lib/postgresql/*/bin</c>), or a server named by a connection string.
/// <para>
/// The cluster lives in a data folder this project created: mode 0700, owned by the user the
/// server runs as (the <c>postgres</c> system user when we are root: PostgreSQL refuses root), with
/// a marker file (<c>stringee-es.cluster</c>, 0600) holding its port and the generated password.
/// A folder without the marker, owned by someone else or open to others is refused, never
/// adopted. Logins need that password over TCP (scram-sha-256) or the owner's own account on the
/// folder's private socket (peer): no trust authentication.
/// </para>
/// <para>
/// One process owns a running cluster: the one holding the folder's lock file, which started it
/// and stops it on dispose. Any other process attaches to it (reads the marker, logs in) and
/// never stops it; a cluster already running when nobody holds the lock (its owner died) is
/// attached to, not stopped.
/// </para>
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    /// <summary>The environment variable naming an existing PostgreSQL to use instead.</summary>
    public const string ConnectionVariable = "STRINGEE_ES_PG";
    /// <summary>The marker file that says a data folder is ours.</summary>
    public const string MarkerFile = "stringee-es.cluster";
    const string LockFile = "stringee-es.lock";
    static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(15);
    // A server the user named is running or it is not: it gets a few seconds, not a starting cluster's fifteen.
    static readonly TimeSpan ConfiguredReadyTimeout = TimeSpan.FromSeconds(5);

    readonly string? binDir;
    readonly string? dataDir;
    readonly FileStream? ownerLock;

    /// <summary>Where to connect.</summary>
    public string ConnectionString { get; }
    /// <summary>True when this object started the server (and will stop it).</summary>
    public bool Owned => ownerLock is not null;

    EmbeddedPostgres(string connectionString, string? binDir, string? dataDir, FileStream? ownerLock)
    {
        ConnectionString = connectionString;
        this.binDir = binDir;
        this.dataDir = dataDir;
        this.ownerLock = ownerLock;
    }

    sealed record Marker(int Port, string Password);

    static bool Root => Environment.UserName == "root";

    /// <summary>
    /// The default home of the project's files: <c>$STRINGEE_ES_HOME</c>, else <c>/var/lib/stringee-es</c>
    /// for root (the postgres user must be able to reach its folder), else <c>$XDG_DATA_HOME/stringee-es</c>
    /// (<c>~/.local/share/stringee-es</c>): never a shared temporary folder another user could plant.
    /// </summary>
    public static string DefaultHome =>
        Environment.GetEnvironmentVariable("STRINGEE_ES_HOME") is { Length: > 0 } home ? home
        : Root ? "/var/lib/stringee-es"
        : Path.Combine(Environment.GetEnvironmentVariable("XDG_DATA_HOME") is { Length: > 0 } xdg ? xdg
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share"), "stringee-es");

    /// <summary>Uses <paramref name="connectionString"/> (or the environment variable) when set, else starts or attaches to the private cluster in <paramref name="dataDir"/>.</summary>
    public static async Task<Fin<EmbeddedPostgres>> StartAsync(string dataDir, string? connectionString = null, CancellationToken ct = default)
    {
        connectionString ??= Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var usable = Usable(connectionString);
            if (usable.IsFail) return usable.Map(_ => (EmbeddedPostgres)null!);
            var ready = await WaitReadyAsync(connectionString, ConfiguredReadyTimeout, ct).ConfigureAwait(false);
            return ready.Map(_ => new EmbeddedPostgres(connectionString, null, null, null));
        }
        var bin = FindBinaries();
        if (bin is null)
            return Error.New("PostgreSQL binaries were not found (pg_config, /usr/lib/postgresql/*/bin). Install them (Debian: apt-get install postgresql) "
                + $"or set {ConnectionVariable} to a connection string.");
        var data = Path.GetFullPath(dataDir);
        if (OperatingSystem.IsWindows()) return Error.New($"the embedded cluster needs a Unix system; set {ConnectionVariable} to a connection string");
        try
        {
            return await OpenPrivateAsync(bin, data, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return Error.New($"PostgreSQL data folder {data}: {ex.Message}");
        }
    }

    [UnsupportedOSPlatform("windows")]
    static async Task<Fin<EmbeddedPostgres>> OpenPrivateAsync(string bin, string data, CancellationToken ct)
    {
        var owner = Root ? "postgres" : Environment.UserName;
        if (Root)
        {
            var user = await RunAsync("id", ["-u", "postgres"], ct).ConfigureAwait(false);
            if (user.IsFail)
            {
                var added = await RunAsync("useradd", ["--system", "--no-create-home", "postgres"], ct).ConfigureAwait(false);
                if (added.IsFail) return Error.New($"the postgres system user does not exist and could not be created: {user.Match(_ => "", e => e.Message)}; {added.Match(_ => "", e => e.Message)}");
            }
        }
        var marker = Path.Combine(data, MarkerFile);
        if (!Directory.Exists(data) || !Directory.EnumerateFileSystemEntries(data).Any())
        {
            var created = await InitAsync(bin, data, owner, ct).ConfigureAwait(false);
            if (created.IsFail) return created.Map(_ => (EmbeddedPostgres)null!);
        }
        else
        {
            var checkedFolder = await CheckOursAsync(data, owner, ct).ConfigureAwait(false);
            if (checkedFolder.IsFail) return checkedFolder.Map(_ => (EmbeddedPostgres)null!);
        }
        var lockFile = TryLock(data);
        if (lockFile is null) return await AttachAsync(data, marker, ct).ConfigureAwait(false);
        var m = ReadMarker(marker);
        var cs = ConnectionFor(m);
        // Running with nobody holding the lock: its owner died and the server outlived it. Attach; it is not ours to stop.
        if (File.Exists(Path.Combine(data, "postmaster.pid")) && (await WaitReadyAsync(cs, TimeSpan.FromSeconds(2), ct).ConfigureAwait(false)).IsSucc)
        {
            await lockFile.DisposeAsync().ConfigureAwait(false);
            return new EmbeddedPostgres(cs, bin, data, null);
        }
        var port = PortFree(m.Port) ? m.Port : FreePort();
        if (port != m.Port)
        {
            m = m with { Port = port };
            WriteMarker(marker, m);
            cs = ConnectionFor(m);
        }
        var started = await PgCtlStartAsync(bin, data, port, ct).ConfigureAwait(false);
        if (started.IsFail)
        {
            await lockFile.DisposeAsync().ConfigureAwait(false);
            return started.Map(_ => (EmbeddedPostgres)null!);
        }
        var ok = await WaitReadyAsync(cs, ReadyTimeout, ct).ConfigureAwait(false);
        if (ok.IsFail) await lockFile.DisposeAsync().ConfigureAwait(false);
        return ok.Map(_ => new EmbeddedPostgres(cs, bin, data, lockFile));
    }

    static async Task<Fin<EmbeddedPostgres>> AttachAsync(string data, string marker, CancellationToken ct)
    {
        // The owner may be starting it right now (and may move it to another port): read the marker until it answers.
        var deadline = DateTime.UtcNow + ReadyTimeout;
        while (true)
        {
            var cs = ConnectionFor(ReadMarker(marker));
            var ready = await WaitReadyAsync(cs, TimeSpan.FromSeconds(1), ct).ConfigureAwait(false);
            if (ready.IsSucc) return new EmbeddedPostgres(cs, null, data, null);
            if (DateTime.UtcNow > deadline)
                return Error.New($"the PostgreSQL cluster in {data} is owned by another stringee-es process, which does not answer: {ready.Match(_ => "", e => e.Message)}");
        }
    }

    [UnsupportedOSPlatform("windows")]
    static async Task<Fin<Unit>> InitAsync(string bin, string data, string owner, CancellationToken ct)
    {
        var parent = Path.GetDirectoryName(data)!;
        if (!Directory.Exists(parent))
        {
            // Our own home: private to us; for root, traversable (not listable) so that postgres reaches its folder.
            Directory.CreateDirectory(parent, Root ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute
                : UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        Directory.CreateDirectory(data, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        // initdb reads the password from a file only its user can read, removed at once.
        var pwDir = Directory.CreateTempSubdirectory("stringee-es-init-");
        var pwFile = Path.Combine(pwDir.FullName, "pw");
        try
        {
            await File.WriteAllTextAsync(pwFile, password, ct).ConfigureAwait(false);
            File.SetUnixFileMode(pwFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            if (Root)
            {
                var chown = await RunAsync("chown", ["-R", owner, data, pwDir.FullName], ct).ConfigureAwait(false);
                if (chown.IsFail) return chown;
            }
            var init = await AsOwnerAsync(Path.Combine(bin, "initdb"),
                ["-D", data, "-U", "postgres", "--auth-local=peer", "--auth-host=scram-sha-256", $"--pwfile={pwFile}", "-E", "UTF8", "--no-locale"], ct).ConfigureAwait(false);
            if (init.IsFail) return init;
        }
        finally
        {
            pwDir.Delete(recursive: true);
        }
        WriteMarker(Path.Combine(data, MarkerFile), new Marker(FreePort(), password));
        return unit;
    }

    static async Task<Fin<Unit>> CheckOursAsync(string data, string owner, CancellationToken ct)
    {
        if (!File.Exists(Path.Combine(data, MarkerFile)))
            return Error.New($"{data} is not empty and was not created by stringee-es (no {MarkerFile}): refusing to adopt it; name an empty or new folder with --data");
        var stat = await RunWithOutputAsync("stat", ["-c", "%U %a", data], ct).ConfigureAwait(false);
        if (stat.IsFail) return stat.Map(_ => unit);
        var parts = ((string)stat).Trim().Split(' ');
        if (parts.Length != 2 || parts[0] != owner) return Error.New($"{data} is owned by {parts[0]}, not {owner}: refusing to use it");
        if (parts[1] != "700") return Error.New($"{data} has mode {parts[1]}; a cluster's folder must be private (700): refusing to use it");
        return unit;
    }

    static FileStream? TryLock(string data)
    {
        try
        {
            // FileShare.None takes an exclusive advisory lock (flock) on Unix: one owner per folder, released if the process dies.
            return new FileStream(Path.Combine(data, LockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>What a data folder holds, without starting or stopping anything: no cluster, ours stopped, or ours running (and whether a process owns it).</summary>
    /// <param name="dataDir">The data folder.</param>
    /// <param name="ct">Cancels the check.</param>
    /// <returns>One line saying so, or why the folder is not ours.</returns>
    public static async Task<Fin<string>> StatusAsync(string dataDir, CancellationToken ct = default)
    {
        var marker = Path.Combine(dataDir, MarkerFile);
        if (!Directory.Exists(dataDir) || !Directory.EnumerateFileSystemEntries(dataDir).Any()) return $"{dataDir}: no cluster (the first command that needs one creates it)";
        if (!File.Exists(marker)) return Error.New($"{dataDir} holds no stringee-es cluster (no {MarkerFile}): refusing to use it");
        Marker m;
        try
        {
            m = ReadMarker(marker);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or JsonException)
        {
            return Error.New($"{marker} cannot be read: {ex.Message}");
        }
        var running = File.Exists(Path.Combine(dataDir, "postmaster.pid"))
            && (await WaitReadyAsync(ConnectionFor(m), TimeSpan.FromSeconds(1), ct).ConfigureAwait(false)).IsSucc;
        if (!running) return $"{dataDir}: stringee-es cluster, stopped (the next command starts it, and stops it when it ends)";
        // Whether a process holds the folder's lock (a `db start`, a server, a demo): taken and released at once if nobody does.
        await using var probe = TryLock(dataDir);
        return probe is null
            ? $"{dataDir}: stringee-es cluster, running on 127.0.0.1:{m.Port}, owned by a running stringee-es process (commands attach to it)"
            : $"{dataDir}: stringee-es cluster, running on 127.0.0.1:{m.Port}, its owner ended (commands attach to it; none stops it)";
    }

    static Marker ReadMarker(string path) =>
        JsonSerializer.Deserialize<Marker>(File.ReadAllText(path)) ?? throw new JsonException($"{path} is empty");

    [UnsupportedOSPlatform("windows")]
    static void WriteMarker(string path, Marker m)
    {
        var temp = path + ".new";
        File.WriteAllText(temp, JsonSerializer.Serialize(m));
        File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.Move(temp, path, overwrite: true);
    }

    static string ConnectionFor(Marker m) =>
        new NpgsqlConnectionStringBuilder
        {
            Host = "127.0.0.1", Port = m.Port, Username = "postgres", Password = m.Password, Database = "postgres", Pooling = true, MaxPoolSize = 20,
            Timeout = 5,
        }.ConnectionString;

    static Task<Fin<Unit>> PgCtlStartAsync(string bin, string data, int port, CancellationToken ct) =>
        AsOwnerAsync(Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(data, "server.log"), "-w", "-t", "60", "-o", $"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"], ct);

    /// <summary>A database of its own (created if missing) on the same server.</summary>
    public async Task<string> DatabaseAsync(string name, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(ConnectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @n", conn);
        exists.Parameters.AddWithValue("n", name);
        if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is null)
        {
            await using var create = new NpgsqlCommand($"create database \"{name.Replace("\"", "", StringComparison.Ordinal)}\"", conn);
            try
            {
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateDatabase || ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                // another process created it at the same moment
            }
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    static string? FindBinaries()
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("pg_config", "--bindir") { RedirectStandardOutput = true, RedirectStandardError = true });
            if (p is not null)
            {
                var dir = p.StandardOutput.ReadToEnd().Trim();
                p.WaitForExit(5_000);
                if (File.Exists(Path.Combine(dir, "initdb"))) return dir;
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // no pg_config on PATH
        }
        return Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
    }

    static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    static bool PortFree(int port)
    {
        try
        {
            using var l = new TcpListener(IPAddress.Loopback, port);
            l.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    static Task<Fin<Unit>> AsOwnerAsync(string exe, string[] args, CancellationToken ct) =>
        Root ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args], ct) : RunAsync(exe, args, ct);

    static async Task<Fin<Unit>> RunAsync(string exe, string[] args, CancellationToken ct) =>
        (await RunWithOutputAsync(exe, args, ct).ConfigureAwait(false)).Map(_ => unit);

    static async Task<Fin<string>> RunWithOutputAsync(string exe, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync(ct);
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
            var output = await stdout.ConfigureAwait(false);
            return p.ExitCode == 0 ? Fin<string>.Succ(output) : Error.New($"{Path.GetFileName(exe)} {string.Join(' ', args.Select(a => a.StartsWith("--pwfile", StringComparison.Ordinal) ? "--pwfile=…" : a))} failed ({p.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()} {output.Trim()}");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return Error.New($"{exe}: {ex.Message}");
        }
    }

    // A connection string Npgsql would throw on (no Host, an unknown keyword, a bad number) is said in one line, before any connecting.
    static Fin<Unit> Usable(string cs)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(cs);
            if (string.IsNullOrWhiteSpace(builder.Host)) return Error.New("the PostgreSQL connection string names no Host");
            return unit;
        }
        catch (ArgumentException ex)
        {
            return Error.New($"the PostgreSQL connection string is not usable: {ex.Message}");
        }
    }

    static async Task<Fin<Unit>> WaitReadyAsync(string cs, TimeSpan within, CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + within;
        while (true)
        {
            try
            {
                await using var conn = new NpgsqlConnection(cs);
                using var attempt = CancellationTokenSource.CreateLinkedTokenSource(ct);
                attempt.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, Math.Min(5, within.TotalSeconds))));
                await conn.OpenAsync(attempt.Token).ConfigureAwait(false);
                return unit;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or InvalidOperationException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                if (ex is PostgresException { SqlState: "28P01" or "28000" }) return Error.New($"PostgreSQL refused the login: {ex.Message}");
                if (ex is PostgresException { SqlState: "3D000" } missing) return Error.New($"PostgreSQL answered, but {missing.MessageText}");
                if (DateTime.UtcNow > deadline) return Error.New($"PostgreSQL did not accept connections within {within.TotalSeconds:0} s: {ex.Message}");
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Stops the private server and starts it again on the same port; <paramref name="crash"/> stops it
    /// the way a power cut would (immediate mode: no checkpoint), so only what was committed survives.
    /// Only the owner may.
    /// </summary>
    public async Task<Fin<Unit>> RestartAsync(bool crash, TimeSpan downtime, CancellationToken ct = default)
    {
        var stopped = await StopAsync(crash, ct).ConfigureAwait(false);
        if (stopped.IsFail) return stopped;
        await Task.Delay(downtime, ct).ConfigureAwait(false);
        return await StartAgainAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Stops the cluster this process owns (immediate mode when <paramref name="crash"/>); pair with <see cref="StartAgainAsync"/>.</summary>
    public async Task<Fin<Unit>> StopAsync(bool crash, CancellationToken ct = default)
    {
        if (binDir is null || dataDir is null || !Owned) return Error.New("only the process that started a cluster can stop it");
        var stopped = await AsOwnerAsync(Path.Combine(binDir, "pg_ctl"), ["-D", dataDir, "-m", crash ? "immediate" : "fast", "-w", "stop"], ct).ConfigureAwait(false);
        NpgsqlConnection.ClearAllPools();
        return stopped;
    }

    /// <summary>Starts again, on the same port, a cluster this process owns and stopped.</summary>
    public async Task<Fin<Unit>> StartAgainAsync(CancellationToken ct = default)
    {
        if (binDir is null || dataDir is null || !Owned) return Error.New("only the process that started a cluster can start it again");
        var port = new NpgsqlConnectionStringBuilder(ConnectionString).Port;
        var started = await PgCtlStartAsync(binDir, dataDir, port, ct).ConfigureAwait(false);
        return started.IsFail ? started : await WaitReadyAsync(ConnectionString, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>Stops the server when this object started it; an attached process leaves it running.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (binDir is null || dataDir is null || ownerLock is null) return;
        await AsOwnerAsync(Path.Combine(binDir, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
        await ownerLock.DisposeAsync().ConfigureAwait(false);
    }
}
