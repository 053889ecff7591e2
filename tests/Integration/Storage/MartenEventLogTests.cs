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
    public async Task A_users_streams_are_read_by_key_range_and_only_that_users_whatever_the_ids()
    {
        await using var log = (MartenClientLog)await CreateAsync();
        // Ids that are prefixes of one another, hold the key's separator or sort just beside it in byte order.
        string[] users = ["al", "alice", "al/ice", "al0", "al.", "ál", "al%2F", "日本", "al\r\n"];
        var all = new List<Recorded>();
        foreach (var (user, i) in users.Select((u, i) => (u, i)))
            for (var n = 0; n <= i; n++)
            {
                var r = Recording.Local(user, new Event.MessageReceived(new MessageNotice($"c-{i}", $"m-{i}-{n}", "peer", 1_000 + n, n + 1, 1,
                    Json.Object(("content", $"{user} {n}")), None, None, None, None, None, None)), 1_000 + n);
                all.Add(r);
                Assert.True((await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r])).IsSucc);
            }
        foreach (var (user, i) in users.Select((u, i) => (u, i)))
        {
            var prefix = Recording.UserPrefix(user);
            var mine = new List<Recorded>();
            var end = await log.LastPositionAsync(prefix);
            using var done = new SemaphoreSlim(0);
            using var feed = log.Subscribe(prefix).Subscribe(r =>
            {
                mine.Add(r);
                if (r.Meta.Position >= end) done.Release();
            });
            Assert.True(await done.WaitAsync(TimeSpan.FromSeconds(10)), $"{user}: the feed did not reach {end}");
            Assert.Equal(i + 1, mine.Count);
            Assert.All(mine, r => Assert.Equal(Some(user), Recording.UserOfStream(r.Meta.Stream)));
            Assert.Equal(i + 1, (await log.ReadModelsOfAsync(user)).Timeline.Conversations[$"c-{i}"].BySeq.Count);
        }
    }

    [Fact]
    public async Task A_users_read_gives_its_connection_back_to_the_pool_with_the_settings_it_came_with()
    {
        // A pool of two: the connection the user's pages were read on is one of the two asked afterwards. An application's data
        // source may keep session state across uses (No Reset On Close): then only the log's own care keeps its settings its own.
        var pg = await Postgres.Instance;
        await using var log = new MartenClientLog(pg.ConnectionString + ";Maximum Pool Size=2;No Reset On Close=true", Postgres.Schema());
        await log.InitializeAsync();
        var r = Recording.Local("u", new Event.MessageReceived(new MessageNotice("c", "m", "peer", 1_000, 1, 1,
            Json.Object(("content", "hi")), None, None, None, None, None, None)), 1_000);
        Assert.True((await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r])).IsSucc);
        Assert.Single((await log.ReadModelsOfAsync("u")).Timeline.Conversations["c"].BySeq);
        await using var first = log.DataSource.CreateConnection();
        await using var second = log.DataSource.CreateConnection();
        await first.OpenAsync();
        await second.OpenAsync();
        foreach (var conn in new[] { first, second })
        {
            // What the session has now beside what it started with.
            await using var show = new Npgsql.NpgsqlCommand("select setting, reset_val from pg_settings where name = 'work_mem'", conn);
            await using var row = await show.ExecuteReaderAsync();
            Assert.True(await row.ReadAsync());
            Assert.Equal(row.GetString(1), row.GetString(0));
        }
    }

    [Fact]
    public void Every_event_type_has_a_stable_storage_name() =>
        Assert.Equal(EventNames.All.Count(), EventNames.All.Distinct().Count());
}
