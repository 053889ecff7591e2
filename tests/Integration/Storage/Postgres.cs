using EventSourced.Adapters.Storage;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>One PostgreSQL for the whole test run: the one named by STRINGEE_ES_PG, else an embedded cluster.</summary>
public static class Postgres
{
    static readonly Lazy<Task<EmbeddedPostgres>> Shared = new(async () =>
    {
        // A fresh folder for this run: never a cluster another run (or user) left behind.
        var started = await EmbeddedPostgres.StartAsync(Path.Combine(Path.GetTempPath(), $"stringee-es-test-pg-{Guid.NewGuid():N}", "data"));
        var pg = started.Match(p => p, e => throw new InvalidOperationException(e.Message));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => pg.DisposeAsync().AsTask().GetAwaiter().GetResult();
        return pg;
    });

    public static Task<EmbeddedPostgres> Instance => Shared.Value;

    /// <summary>A schema name of its own for one test.</summary>
    public static string Schema() => $"t_{Guid.NewGuid():N}"[..20];
}
