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

    /// <summary>The connection string of the project's database.</summary>
    public string ConnectionString { get; }

    /// <summary>The key the logs' tree heads are signed with (read when the database opens).</summary>
    public Evidence.TreeHeadSigner Signer { get; }

    Database(EmbeddedPostgres postgres, string cs, Evidence.TreeHeadSigner signer)
    {
        this.postgres = postgres;
        ConnectionString = cs;
        Signer = signer;
    }

    /// <summary>The default data folder of the private cluster (private to this user, see <see cref="EmbeddedPostgres.DefaultHome"/>).</summary>
    public static string DefaultDataDir => Path.Combine(EmbeddedPostgres.DefaultHome, "pgdata");

    /// <summary>
    /// Opens (and when needed starts, or attaches to) the database: the one a connection string names
    /// with <c>Database=</c>, else <c>stringee_es</c>, created when missing.
    /// </summary>
    public static async Task<Fin<Database>> OpenAsync(string? connectionString, string? dataDir, CancellationToken ct = default)
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
            return new Database(server, cs, (Evidence.TreeHeadSigner)signer);
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
    public async Task<MartenClientLog> ClientLogAsync(CancellationToken ct = default)
    {
        var log = new MartenClientLog(ConnectionString, "client_log", Signer);
        await log.InitializeAsync(ct).ConfigureAwait(false);
        return log;
    }

    /// <summary>The server event log (schema <c>server_log</c>).</summary>
    public async Task<MartenEventLog<ServerRecorded>> ServerLogAsync(CancellationToken ct = default)
    {
        var log = new MartenEventLog<ServerRecorded>(ConnectionString, "server_log", new ServerRecords(), signer: Signer);
        await log.InitializeAsync(ct).ConfigureAwait(false);
        return log;
    }

    /// <summary>The compliance log (schema <c>compliance_log</c>): holds, purges, erasures and refusals, with their own evidence.</summary>
    public async Task<MartenEventLog<EventSourced.Domain.Compliance.ComplianceRecorded>> ComplianceLogAsync(CancellationToken ct = default)
    {
        var log = new MartenEventLog<EventSourced.Domain.Compliance.ComplianceRecorded>(ConnectionString, "compliance_log", new ComplianceRecords(), signer: Signer, treeHeadEvery: 1);
        await log.InitializeAsync(ct).ConfigureAwait(false);
        return log;
    }

    /// <summary>Stops the private cluster if this process started it.</summary>
    public ValueTask DisposeAsync() => postgres.DisposeAsync();
}
