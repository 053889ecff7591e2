using System.Reactive.Linq;
using EventSourced.Adapters.Storage;

namespace EventSourced.Tests.Properties.Adapters.Storage;

/// <summary>The event-log contract: every implementation (in memory, Marten) runs these same tests.</summary>
public abstract class EventLogContract
{
    protected abstract Task<IEventLog> CreateAsync();

    protected static Recorded Ev(string stream, string text, long at = 1) =>
        Recording.Local("u", new Event.MessageReceived(new MessageNotice("c", text, "bob", at, 1, 1, Json.Object(("content", text)), None, None, None, None, None, None)), at)
            is var r ? r with { Meta = r.Meta with { Stream = stream, Raw = new Raw(System.Text.Encoding.UTF8.GetBytes($"{{\"raw\":\"{text}\"}}")) } } : r;

    static async Task<List<Recorded>> All(IAsyncEnumerable<Recorded> xs)
    {
        var list = new List<Recorded>();
        await foreach (var x in xs) list.Add(x);
        return list;
    }

    [Fact]
    public async Task Appended_events_read_back_in_order_with_gap_free_positions_and_versions()
    {
        await using var log = await CreateAsync();
        Assert.True((await log.AppendAsync("s1", ExpectedVersion.NoStream, [Ev("s1", "a"), Ev("s1", "b")])).IsSucc);
        Assert.True((await log.AppendAsync("s2", ExpectedVersion.Any, [Ev("s2", "c")])).IsSucc);
        Assert.True((await log.AppendAsync("s1", ExpectedVersion.Exactly(2), [Ev("s1", "d")])).IsSucc);
        var all = await All(log.ReadAllAsync());
        Assert.Equal([1L, 2L, 3L, 4L], all.Select(r => r.Meta.Position));
        Assert.Equal(["a", "b", "c", "d"], all.Select(r => ((Event.MessageReceived)r.Event).Packet.MsgId));
        var s1 = await All(log.ReadStreamAsync("s1"));
        Assert.Equal([1L, 2L, 3L], s1.Select(r => r.Meta.Version));
        Assert.Equal(4, log.LastPosition);
    }

    [Fact]
    public async Task Appends_in_flight_together_keep_their_order_across_streams_and_get_their_own_positions()
    {
        await using var log = await CreateAsync();
        var fed = new List<Recorded>();
        using var sub = log.Subscribe().Subscribe(r => { lock (fed) fed.Add(r); });
        // Not awaited one by one: a group-committing log sees them together, the same stream several times among others.
        var names = Enumerable.Range(0, 60).Select(i => $"e{i}").ToList();
        var appends = names.Select((n, i) => log.AppendAsync(i % 3 == 1 ? "s2" : "s1", ExpectedVersion.Any, [Ev(i % 3 == 1 ? "s2" : "s1", n)])).ToList();
        var results = await Task.WhenAll(appends);
        Assert.All(results, r => Assert.True(r.IsSucc));
        var all = await All(log.ReadAllAsync());
        Assert.Equal(names, all.Select(r => ((Event.MessageReceived)r.Event).Packet.MsgId));
        Assert.Equal(results.Select(r => r.Match(a => a.FirstPosition, _ => -1)), all.Select(r => r.Meta.Position));
        for (var i = 0; i < 50 && fed.Count < 60; i++) await Task.Delay(20);
        lock (fed) Assert.Equal(all.Select(r => (r.Meta.Position, r.Meta.Version, r.Meta.Stream)), fed.Select(r => (r.Meta.Position, r.Meta.Version, r.Meta.Stream)));
    }

    [Fact]
    public async Task An_append_whose_expected_version_does_not_hold_fails_alone_and_leaves_no_hole_in_the_positions()
    {
        await using var log = await CreateAsync();
        Assert.True((await log.AppendAsync("s1", ExpectedVersion.NoStream, [Ev("s1", "a")])).IsSucc);
        // In flight together: a group-committing log takes them in one transaction.
        var appends = new[]
        {
            log.AppendAsync("s2", ExpectedVersion.Any, [Ev("s2", "b")]),
            log.AppendAsync("s1", ExpectedVersion.Exactly(7), [Ev("s1", "stale")]),
            log.AppendAsync("s1", ExpectedVersion.Exactly(1), [Ev("s1", "c")]),
            log.AppendAsync("s3", ExpectedVersion.NoStream, [Ev("s3", "d")]),
            log.AppendAsync("s1", ExpectedVersion.NoStream, [Ev("s1", "stale too")]),
        };
        var results = await Task.WhenAll(appends);
        Assert.Equal([true, false, true, true, false], results.Select(r => r.IsSucc));
        Assert.Equal(EventLogErrors.WrongExpectedVersion, results[1].Match(_ => 0, e => e.Code));
        var all = await All(log.ReadAllAsync());
        Assert.Equal(["a", "b", "c", "d"], all.Select(r => ((Event.MessageReceived)r.Event).Packet.MsgId));
        Assert.Equal([1L, 2L, 3L, 4L], all.Select(r => r.Meta.Position));
        Assert.True((await log.AppendAsync("s1", ExpectedVersion.Exactly(2), [Ev("s1", "e")])).IsSucc);
        Assert.Equal(5L, (await All(log.ReadAllAsync())).Last().Meta.Position);
    }

    [Fact]
    public async Task A_subscription_to_a_key_prefix_replays_and_follows_those_streams_only()
    {
        await using var log = await CreateAsync();
        await log.AppendAsync("alice/session", ExpectedVersion.Any, [Ev("alice/session", "a1")]);
        await log.AppendAsync("alicia/session", ExpectedVersion.Any, [Ev("alicia/session", "x1")]);
        await log.AppendAsync("bob/session", ExpectedVersion.Any, [Ev("bob/session", "b1")]);
        await log.AppendAsync("alice/conversation/c", ExpectedVersion.Any, [Ev("alice/conversation/c", "a2")]);
        await log.AppendAsync("bob/conversation/c", ExpectedVersion.Any, [Ev("bob/conversation/c", "b2")]);
        Assert.Equal(4, await log.LastPositionAsync("alice/"));
        Assert.Equal(0, await log.LastPositionAsync("carol/"));
        var fed = new List<string>();
        using var sub = log.Subscribe("alice/").Subscribe(r => { lock (fed) fed.Add(((Event.MessageReceived)r.Event).Packet.MsgId); });
        await log.AppendAsync("bob/session", ExpectedVersion.Any, [Ev("bob/session", "b3")]);
        await log.AppendAsync("alice/session", ExpectedVersion.Any, [Ev("alice/session", "a3")]);
        for (var i = 0; i < 100; i++)
        {
            lock (fed) if (fed.Count >= 3) break;
            await Task.Delay(20);
        }
        lock (fed) Assert.Equal(["a1", "a2", "a3"], fed);
        Assert.Equal(7, await log.LastPositionAsync("alice/"));
    }

    [Fact]
    public async Task Events_read_back_equal_what_was_appended_raw_bytes_included()
    {
        await using var log = await CreateAsync();
        var e = Ev("s", "x\u00e9\"");
        await log.AppendAsync("s", ExpectedVersion.Any, [e]);
        var back = (await All(log.ReadStreamAsync("s"))).Single();
        Assert.Equal(e.Event, back.Event);
        Assert.Equal(e.Meta.Raw, back.Meta.Raw);
        Assert.Equal(e.Meta with { Position = back.Meta.Position, Version = 1 }, back.Meta);
    }

    [Fact]
    public async Task An_append_at_the_wrong_version_is_rejected_and_changes_nothing()
    {
        await using var log = await CreateAsync();
        await log.AppendAsync("s", ExpectedVersion.NoStream, [Ev("s", "a")]);
        var conflict = await log.AppendAsync("s", ExpectedVersion.NoStream, [Ev("s", "b")]);
        Assert.True(conflict.IsFail);
        conflict.IfFail(e =>
        {
            Assert.Equal(EventLogErrors.WrongExpectedVersion, e.Code);
            Assert.Equal("stream 's' expected no stream but is at version 1", e.Message);
        });
        Assert.Single(await All(log.ReadAllAsync()));
    }

    [Fact]
    public async Task Concurrent_appends_to_one_stream_at_the_same_version_let_exactly_one_win()
    {
        await using var log = await CreateAsync();
        await log.AppendAsync("s", ExpectedVersion.NoStream, [Ev("s", "a")]);
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(i => log.AppendAsync("s", ExpectedVersion.Exactly(1), [Ev("s", $"w{i}")])));
        Assert.Equal(1, results.Count(r => r.IsSucc));
        Assert.Equal(2, (await All(log.ReadStreamAsync("s"))).Count);
    }

    [Fact]
    public async Task A_subscription_replays_then_follows_live_without_gap_or_duplicate()
    {
        await using var log = await CreateAsync();
        await log.AppendAsync("s", ExpectedVersion.Any, [Ev("s", "a"), Ev("s", "b")]);
        var seen = new List<long>();
        using var sub = log.Subscribe(2).Subscribe(r => { lock (seen) seen.Add(r.Meta.Position); });
        var writers = Enumerable.Range(0, 4).Select(w => Task.Run(async () =>
        {
            for (var i = 0; i < 25; i++) await log.AppendAsync($"w{w}", ExpectedVersion.Any, [Ev($"w{w}", $"{w}-{i}")]);
        }));
        await Task.WhenAll(writers);
        lock (seen) Assert.Equal(Enumerable.Range(2, 101).Select(i => (long)i), seen);
    }

    [Fact]
    public async Task Reading_a_stream_from_a_version_skips_the_earlier_events()
    {
        await using var log = await CreateAsync();
        await log.AppendAsync("s", ExpectedVersion.Any, [Ev("s", "a"), Ev("s", "b"), Ev("s", "c")]);
        Assert.Equal(["b", "c"], (await All(log.ReadStreamAsync("s", 2))).Select(r => ((Event.MessageReceived)r.Event).Packet.MsgId));
        Assert.Empty(await All(log.ReadStreamAsync("missing")));
    }
}
