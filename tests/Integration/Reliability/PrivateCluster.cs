using EventSourced.Adapters.Storage;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>A PostgreSQL cluster of one test's own, in a fresh folder, so that the test may stop and start it (faults really injected).</summary>
public sealed class PrivateCluster : IAsyncDisposable
{
    readonly string root;
    public EmbeddedPostgres Postgres { get; }

    PrivateCluster(string root, EmbeddedPostgres pg)
    {
        this.root = root;
        Postgres = pg;
    }

    public static async Task<PrivateCluster> StartAsync()
    {
        var root = Path.Combine(Path.GetTempPath(), $"stringee-es-fault-{Guid.NewGuid():N}");
        // "" forces a private cluster even when STRINGEE_ES_PG names the shared one: this test stops it.
        var started = await EmbeddedPostgres.StartAsync(Path.Combine(root, "data"), connectionString: "");
        return new PrivateCluster(root, started.Match(p => p, e => throw new InvalidOperationException(e.Message)));
    }

    public string ConnectionString => Postgres.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        await Postgres.DisposeAsync();
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // left for the machine's temp cleaner
        }
    }
}
