using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace EventSourced.Adapters.Storage;

/// <summary>
/// A private PostgreSQL cluster started from the machine's own binaries: found through
/// <c>pg_config</c> or <c>/usr/lib/postgresql/*/bin</c>, initialised once in a data folder of its own,
/// started on 127.0.0.1 on a free port, stopped on dispose. PostgreSQL refuses to run as root, so as
/// root it runs as the <c>postgres</c> system user. A connection string, when given, is used instead.
/// </summary>
public sealed class EmbeddedPostgres : IAsyncDisposable
{
    /// <summary>The environment variable naming an existing PostgreSQL to use instead.</summary>
    public const string ConnectionVariable = "STRINGEE_ES_PG";

    readonly string? binDir;
    readonly string? dataDir;

    /// <summary>Where to connect.</summary>
    public string ConnectionString { get; }
    /// <summary>True when this object started the server (and will stop it).</summary>
    public bool Owned => dataDir is not null;

    EmbeddedPostgres(string connectionString, string? binDir, string? dataDir)
    {
        ConnectionString = connectionString;
        this.binDir = binDir;
        this.dataDir = dataDir;
    }

    /// <summary>Uses <paramref name="connectionString"/> (or the environment variable) when set, else starts a private cluster in <paramref name="dataDir"/>.</summary>
    public static async Task<Fin<EmbeddedPostgres>> StartAsync(string dataDir, string? connectionString = null, CancellationToken ct = default)
    {
        connectionString ??= Environment.GetEnvironmentVariable(ConnectionVariable);
        if (!string.IsNullOrWhiteSpace(connectionString))
        {
            var external = new EmbeddedPostgres(connectionString, null, null);
            var ready = await WaitReadyAsync(connectionString, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
            return ready.Map(_ => external);
        }
        var bin = FindBinaries();
        if (bin is null)
            return Error.New("PostgreSQL binaries were not found (pg_config, /usr/lib/postgresql/*/bin). Install them (Debian: apt-get install postgresql) "
                + $"or set {ConnectionVariable} to a connection string.");
        var data = Path.GetFullPath(dataDir);
        Directory.CreateDirectory(data);
        var root = Environment.UserName == "root";
        if (root)
        {
            var chown = await RunAsync("chown", ["-R", "postgres", data], ct).ConfigureAwait(false);
            if (chown.IsFail) return chown.Map(_ => (EmbeddedPostgres)null!);
        }
        if (!File.Exists(Path.Combine(data, "PG_VERSION")))
        {
            var init = await AsOwnerAsync(root, Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"], ct).ConfigureAwait(false);
            if (init.IsFail) return init.Map(_ => (EmbeddedPostgres)null!);
        }
        // A cluster left running by a crashed run is stopped first: its port is unknown to us.
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
            await AsOwnerAsync(root, Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "fast", "-w", "stop"], ct).ConfigureAwait(false);
        var port = FreePort();
        var started = await AsOwnerAsync(root, Path.Combine(bin, "pg_ctl"),
            ["-D", data, "-l", Path.Combine(data, "server.log"), "-w", "-t", "60", "-o", $"-p {port} -k {data} -c listen_addresses=127.0.0.1", "start"], ct).ConfigureAwait(false);
        if (started.IsFail) return started.Map(_ => (EmbeddedPostgres)null!);
        var cs = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=true;Maximum Pool Size=20";
        var ok = await WaitReadyAsync(cs, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
        return ok.Map(_ => new EmbeddedPostgres(cs, bin, data));
    }

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
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
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

    static Task<Fin<Unit>> AsOwnerAsync(bool root, string exe, string[] args, CancellationToken ct) =>
        root ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. args], ct) : RunAsync(exe, args, ct);

    static async Task<Fin<Unit>> RunAsync(string exe, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync(ct);
            var stdout = p.StandardOutput.ReadToEndAsync(ct);
            await p.WaitForExitAsync(ct).WaitAsync(TimeSpan.FromSeconds(90), ct).ConfigureAwait(false);
            return p.ExitCode == 0 ? unit : Error.New($"{Path.GetFileName(exe)} {string.Join(' ', args)} failed ({p.ExitCode}): {(await stderr.ConfigureAwait(false)).Trim()} {(await stdout.ConfigureAwait(false)).Trim()}");
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or TimeoutException)
        {
            return Error.New($"{exe}: {ex.Message}");
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
                await conn.OpenAsync(ct).ConfigureAwait(false);
                return unit;
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or InvalidOperationException)
            {
                if (DateTime.UtcNow > deadline) return Error.New($"PostgreSQL did not accept connections within {within.TotalSeconds:0} s: {ex.Message}");
                await Task.Delay(200, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Stops the private server and starts it again on the same port; <paramref name="crash"/> stops it
    /// the way a power cut would (immediate mode: no checkpoint), so only what was committed survives.
    /// </summary>
    public async Task<Fin<Unit>> RestartAsync(bool crash, TimeSpan downtime, CancellationToken ct = default)
    {
        if (binDir is null || dataDir is null) return Error.New("only a cluster this process started can be restarted");
        var root = Environment.UserName == "root";
        var port = new NpgsqlConnectionStringBuilder(ConnectionString).Port;
        var stopped = await AsOwnerAsync(root, Path.Combine(binDir, "pg_ctl"), ["-D", dataDir, "-m", crash ? "immediate" : "fast", "-w", "stop"], ct).ConfigureAwait(false);
        if (stopped.IsFail) return stopped;
        NpgsqlConnection.ClearAllPools();
        await Task.Delay(downtime, ct).ConfigureAwait(false);
        var started = await AsOwnerAsync(root, Path.Combine(binDir, "pg_ctl"),
            ["-D", dataDir, "-l", Path.Combine(dataDir, "server.log"), "-w", "-t", "60", "-o", $"-p {port} -k {dataDir} -c listen_addresses=127.0.0.1", "start"], ct).ConfigureAwait(false);
        return started.IsFail ? started : await WaitReadyAsync(ConnectionString, TimeSpan.FromSeconds(30), ct).ConfigureAwait(false);
    }

    /// <summary>Stops the server when this object started it.</summary>
    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (binDir is null || dataDir is null) return;
        await AsOwnerAsync(Environment.UserName == "root", Path.Combine(binDir, "pg_ctl"), ["-D", dataDir, "-m", "fast", "-w", "stop"], CancellationToken.None).ConfigureAwait(false);
    }
}
