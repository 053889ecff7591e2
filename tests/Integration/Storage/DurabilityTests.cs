using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>What an append acknowledged survives a crash of PostgreSQL; what it could not write is never acknowledged.</summary>
public sealed class DurabilityTests
{
    static Recorded Ev(int i) => Recording.Local("u", new Event.MessageReceived(new MessageNotice("c", $"m{i}", "bob", i, i, 1, Json.Object(("content", $"#{i}")),
        None, None, None, None, None, None)), i) is var r ? r with { Meta = r.Meta with { Raw = new Raw(Jwt.Utf8($"{{\"n\":{i}}}")) } } : r;

    [Fact]
    public async Task A_crash_of_postgres_mid_run_loses_nothing_that_was_acknowledged()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"stringee-es-crash-{Guid.NewGuid():N}", "data");
        // "" forces a private cluster even when STRINGEE_ES_PG names a shared one: this test kills it.
        var started = await EmbeddedPostgres.StartAsync(dir, connectionString: "");
        var pg = started.Match(p => p, e => throw new InvalidOperationException(e.Message));
        try
        {
            await CrashAndRecover(pg);
        }
        finally
        {
            await pg.DisposeAsync();
            Directory.Delete(Path.GetDirectoryName(dir)!, recursive: true);
        }
    }

    static async Task CrashAndRecover(EmbeddedPostgres pg)
    {
        var acknowledged = new List<Recorded>();
        var schema = Postgres.Schema();
        await using (var log = new MartenClientLog(pg.ConnectionString, schema))
        {
            await log.InitializeAsync();
            var writes = Enumerable.Range(1, 40).Select(async i =>
            {
                var r = Ev(i);
                var done = await log.AppendAsync($"u/conversation/c{i % 4}", ExpectedVersion.Any, [r]);
                if (done.IsSucc) lock (acknowledged) acknowledged.Add(r);
            });
            await Task.WhenAll(writes);
            Assert.Equal(40, acknowledged.Count);

            var restart = pg.RestartAsync(crash: true, downtime: TimeSpan.FromSeconds(2));
            await Task.Delay(500);
            var during = await log.AppendAsync("u/conversation/c0", ExpectedVersion.Any, [Ev(99)]).WaitAsync(TimeSpan.FromSeconds(30));
            Assert.True(during.IsFail, "an append while PostgreSQL is down must not be acknowledged");
            Assert.StartsWith("append failed", during.Match(_ => "", e => e.Message), StringComparison.Ordinal);
            (await restart).Match(_ => { }, e => throw new InvalidOperationException(e.Message));
        }
        await using var reopened = new MartenClientLog(pg.ConnectionString, schema);
        await reopened.InitializeAsync();
        var back = new List<Recorded>();
        await foreach (var r in reopened.ReadAllAsync()) back.Add(r);
        Assert.Equal(acknowledged.Select(a => a.Event).OrderBy(e => ((Event.MessageReceived)e).Packet.Seq), back.Select(b => b.Event).OrderBy(e => ((Event.MessageReceived)e).Packet.Seq));
        Assert.All(back, b => Assert.Equal(Jwt.Utf8($"{{\"n\":{((Event.MessageReceived)b.Event).Packet.Seq}}}"), b.Meta.Raw.ToArray()));
        Assert.True((await reopened.AppendAsync("u/conversation/c0", ExpectedVersion.Any, [Ev(100)])).IsSucc);
    }
}
