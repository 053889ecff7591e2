using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain.Server;

namespace EventSourced.Adapters.Storage;

/// <summary>
/// The project's PostgreSQL database (<c>stringee_es</c>) on the configured server, or on a private
/// cluster started from the machine's binaries; the client log and the server log each in a schema.
/// </summary>
public sealed class Database : IAsyncDisposable
{
    readonly EmbeddedPostgres postgres;

    /// <summary>The connection string the application uses: the application role (<see cref="Storage.AppRole"/>) where one could be made.</summary>
    public string ConnectionString { get; }

    /// <summary>The configured login: it applies the schema, grants, and purges.</summary>
    public string OwnerConnectionString { get; }

    /// <summary>The application role's name, or None when the configured login may not create roles (the application then runs as it).</summary>
    public Option<string> AppRole { get; }

    /// <summary>The key the logs' tree heads are signed with (read when the database opens).</summary>
    public Evidence.TreeHeadSigner Signer { get; }

    Microsoft.Extensions.Logging.ILoggerFactory? loggers;

    Microsoft.Extensions.Logging.ILogger LoggerOf(string schema) =>
        loggers?.CreateLogger($"EventSourced.Storage.{schema}") ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    Database(EmbeddedPostgres postgres, string owner, Option<(string Role, string ConnectionString)> app, Evidence.TreeHeadSigner signer)
    {
        this.postgres = postgres;
        OwnerConnectionString = owner;
        ConnectionString = app.Match(a => a.ConnectionString, () => owner);
        AppRole = app.Map(a => a.Role);
        Signer = signer;
    }

    /// <summary>The default data folder of the private cluster (private to this user, see <see cref="EmbeddedPostgres.DefaultHome"/>).</summary>
    public static string DefaultDataDir => Path.Combine(EmbeddedPostgres.DefaultHome, "pgdata");

    /// <summary>
    /// Opens (and when needed starts, or attaches to) the database: the one a connection string names
    /// with <c>Database=</c>, else <c>stringee_es</c>, created when missing.
    /// </summary>
    public static Task<Fin<Database>> OpenAsync(string? connectionString, string? dataDir, CancellationToken ct = default) =>
        OpenAsync(connectionString, dataDir, null, ct);

    /// <summary>
    /// Opens the database as <see cref="OpenAsync(string?, string?, CancellationToken)"/> does; the logs it opens say what
    /// happens to them through <paramref name="loggers"/> (categories <c>EventSourced.Storage.&lt;schema&gt;</c>).
    /// </summary>
    public static async Task<Fin<Database>> OpenAsync(string? connectionString, string? dataDir, Microsoft.Extensions.Logging.ILoggerFactory? loggers,
        CancellationToken ct = default)
    {
        // The signing key first: a key that is configured but missing or broken is reported now, before anything starts.
        var signer = Evidence.TreeHeadSigner.FromConfiguration();
        if (signer.IsFail) return signer.Map(_ => (Database)null!);
        var pg = await EmbeddedPostgres.StartAsync(dataDir ?? DefaultDataDir, connectionString, ct).ConfigureAwait(false);
        if (pg.IsFail) return pg.Map(_ => (Database)null!);
        var server = (EmbeddedPostgres)pg;
        try
        {
            var named = NamedDatabase(server.ConnectionString);
            var cs = named is null ? await server.DatabaseAsync("stringee_es", ct).ConfigureAwait(false) : server.ConnectionString;
            var app = await Storage.AppRole.EnsureAsync(cs, ct).ConfigureAwait(false);
            return new Database(server, cs, app, (Evidence.TreeHeadSigner)signer) { loggers = loggers };
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or TimeoutException)
        {
            await server.DisposeAsync().ConfigureAwait(false);
            return Error.New($"PostgreSQL: {ex.Message}");
        }
    }

    static string? NamedDatabase(string connectionString)
    {
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        return string.IsNullOrEmpty(builder.Database) ? null : builder.Database;
    }

    /// <summary>The client event log (schema <c>client_log</c>).</summary>
    public Task<MartenClientLog> ClientLogAsync(CancellationToken ct = default) => OpenAsync<Recorded, MartenClientLog>("client_log", ClientLog, ct);

    // How each log is made on a connection string (the owner's or the application's): opening and migrating share them.
    MartenClientLog ClientLog(string cs, bool apply) => new(cs, "client_log", Signer, applySchema: apply) { Logger = LoggerOf("client_log") };

    MartenEventLog<ServerRecorded> ServerLog(string cs, bool apply) => Log(cs, apply, "server_log", new ServerRecords(), 1_000);

    MartenEventLog<EventSourced.Domain.Compliance.ComplianceRecorded> ComplianceLog(string cs, bool apply) => Log(cs, apply, "compliance_log", new ComplianceRecords(), 1);

    MartenEventLog<T> Log<T>(string cs, bool apply, string schema, IRecordCodec<T> codec, int treeHeadEvery) where T : class, IRecorded<T> =>
        new(cs, schema, codec, signer: Signer, treeHeadEvery: treeHeadEvery, applySchema: apply) { Logger = LoggerOf(schema) };

    // Where there is an application role, the owner applies the schema and grants, and the application's log changes no schema.
    async Task<TLog> OpenAsync<T, TLog>(string schema, Func<string, bool, TLog> make, CancellationToken ct) where T : class, IRecorded<T> where TLog : MartenEventLog<T>
    {
        if (AppRole.IsSome)
        {
            await using (var owner = make(OwnerConnectionString, true)) await owner.InitializeAsync(ct).ConfigureAwait(false);
            await Storage.AppRole.GrantAsync(OwnerConnectionString, (string)AppRole, schema, ct).ConfigureAwait(false);
        }
        var log = make(ConnectionString, AppRole.IsNone);
        await log.InitializeAsync(ct).ConfigureAwait(false);
        return log;
    }

    /// <summary>The server event log (schema <c>server_log</c>).</summary>
    public Task<MartenEventLog<ServerRecorded>> ServerLogAsync(CancellationToken ct = default) => OpenAsync<ServerRecorded, MartenEventLog<ServerRecorded>>("server_log", ServerLog, ct);

    /// <summary>The compliance log (schema <c>compliance_log</c>): holds, purges, erasures and refusals, with their own evidence.</summary>
    public Task<MartenEventLog<EventSourced.Domain.Compliance.ComplianceRecorded>> ComplianceLogAsync(CancellationToken ct = default) =>
        OpenAsync<EventSourced.Domain.Compliance.ComplianceRecorded, MartenEventLog<EventSourced.Domain.Compliance.ComplianceRecorded>>("compliance_log", ComplianceLog, ct);

    /// <summary>
    /// Moves the events each log stores as text to jsonb objects (<see cref="MartenEventLog{T}.MigrateStorageAsync"/>), as the
    /// owner: the application role may not change a recorded event. Leaves, chains and signed tree heads stay as they are.
    /// The client log's rows written before row ids were encoded are written again (<see cref="MartenClientLog.MigrateRowsAsync"/>).
    /// </summary>
    public async Task<IReadOnlyList<(string Log, MigrationResult Result)>> MigrateStorageAsync(IProgress<(string Log, long Done)>? progress = null,
        CancellationToken ct = default)
    {
        var results = new List<(string, MigrationResult)>();
        async Task Migrate<T>(string schema, MartenEventLog<T> log) where T : class, IRecorded<T>
        {
            await using (log)
            {
                await log.InitializeAsync(ct).ConfigureAwait(false);
                var each = progress is null ? null : new Progress<long>(n => progress.Report((schema, n)));
                results.Add((schema, await log.MigrateStorageAsync(progress: each, ct: ct).ConfigureAwait(false)));
            }
        }
        await Migrate("client_log", ClientLog(OwnerConnectionString, true)).ConfigureAwait(false);
        // The client log's rows, where any was written before row ids were encoded.
        await using (var client = ClientLog(OwnerConnectionString, true))
        {
            await client.InitializeAsync(ct).ConfigureAwait(false);
            var (deleted, users) = await client.MigrateRowsAsync(ct).ConfigureAwait(false);
            results[0] = (results[0].Item1, results[0].Item2 with { RowsDeleted = deleted, UsersRewritten = users });
        }
        await Migrate("server_log", ServerLog(OwnerConnectionString, true)).ConfigureAwait(false);
        await Migrate("compliance_log", ComplianceLog(OwnerConnectionString, true)).ConfigureAwait(false);
        return results;
    }

    /// <summary>Stops the private cluster if this process started it.</summary>
    public ValueTask DisposeAsync() => postgres.DisposeAsync();
}
