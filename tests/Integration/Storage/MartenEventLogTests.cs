using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Tests.Properties.Adapters.Storage;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>The same contract as the in-memory log, on Marten and a real PostgreSQL.</summary>
public sealed class MartenEventLogTests : EventLogContract
{
    protected override async Task<IEventLog> CreateAsync()
    {
        var pg = await Postgres.Instance;
        var log = new MartenClientLog(pg.ConnectionString, Postgres.Schema());
        await log.InitializeAsync();
        return log;
    }

    [Fact]
    public async Task Every_event_type_survives_the_round_trip_through_postgres()
    {
        await using var log = (MartenClientLog)await CreateAsync();
        var events = typeof(Event).GetNestedTypes().Where(t => t.IsSealed && typeof(Event).IsAssignableFrom(t))
            .Select(t => Recording.Local("u", (Event)EventSourced.Tests.Properties.Support.Generators.For(t).Sample(1, 5).First(), 5)).ToList();
        Assert.True((await log.AppendAsync("u/session", ExpectedVersion.Any, events)).IsSucc);
        var back = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync()) back.Add(r);
        Assert.Equal(events.Select(e => e.Event), back.Select(b => b.Event));
    }

    [Fact]
    public void Every_event_type_has_a_stable_storage_name() =>
        Assert.Equal(EventNames.All.Count(), EventNames.All.Distinct().Count());
}
