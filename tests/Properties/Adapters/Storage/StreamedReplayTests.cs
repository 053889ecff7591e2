using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.InMemory;
using EventSourced.Projections;
using EventSourced.Tests.Properties.Projections;
using EventSourced.Tests.Properties.Support;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Tests.Properties.Adapters.Storage;

/// <summary>A streamed replay gives every conversation of every user the timeline a fold of that user's whole log gives it.</summary>
public sealed class StreamedReplayTests
{
    static async Task<InMemoryEventLog> RecordAsync(IEnumerable<(string User, Event Event)> events, Func<string, Event, string>? streamOf = null)
    {
        var log = new InMemoryEventLog();
        var t = 0L;
        foreach (var (user, e) in events)
            Assert.True((await log.AppendAsync((streamOf ?? Recording.StreamOf)(user, e), ExpectedVersion.Any, [Recording.Local(user, e, ++t)])).IsSucc);
        return log;
    }

    // Every conversation's timeline as the streamed replay folds it, against the fold of each user's whole log.
    static async Task<bool> SameAsWholeFoldAsync(InMemoryEventLog log, IReadOnlyList<(string User, Event Event)> events)
    {
        var outlines = await StreamedReplay.OutlinesAsync(log);
        foreach (var user in events.Select(x => x.User).Distinct())
        {
            var whole = ReadModels.Reducer.Fold(events.Where(x => x.User == user).Select(x => x.Event));
            var outline = outlines[user];
            if (outline.State.Models != whole with { Timeline = Timeline.State.Initial }) return false;
            if (!whole.Timeline.Conversations.Keys.All(outline.State.Scopes.Known.Contains)) return false;
            foreach (var c in outline.Conversations)
            {
                var one = (await StreamedReplay.ConversationAsync(log, outline, c)).Timeline;
                if (one.Conversations.Find(c) != whole.Timeline.Conversations.Find(c) || Timeline.Pending(one, c) != Timeline.Pending(whole.Timeline, c)) return false;
            }
        }
        return true;
    }

    static readonly Gen<List<(string, Event)>> TwoUsers =
        Gen.OneOf(ScopesTests.Crossing, ScopesTests.Colliding, Generators.Mixed)
            .SelectMany(events => Gen.ListOf(Gen.Elements("alice", "bob/2"), events.Count).Select(users => users.Zip(events, (u, e) => (u, e)).ToList()));

    [Property(MaxTest = 150)]
    public Property Every_conversation_folded_from_its_streams_equals_the_whole_fold() =>
        Prop.ForAll(TwoUsers.ToArbitrary(), events => SameAsWholeFoldAsync(RecordAsync(events).GetAwaiter().GetResult(), events).GetAwaiter().GetResult().ToProperty());

    [Property(MaxTest = 100)]
    public Property Events_in_streams_other_than_their_own_are_counted_and_still_folded_as_the_whole_fold_folds_them() =>
        Prop.ForAll(TwoUsers.ToArbitrary(), events =>
        {
            // Another writer put every message notice in a stream of its own.
            static string Misfiled(string user, Event e) => e is MessageReceived ? Recording.ConversationStream(user, "misfiled") : Recording.StreamOf(user, e);
            var log = RecordAsync(events, Misfiled).GetAwaiter().GetResult();
            var outlines = StreamedReplay.OutlinesAsync(log).GetAwaiter().GetResult();
            var misplaced = events.Count(x => x.Item2 is MessageReceived);
            return (outlines.Values.Sum(o => o.Misplaced) == misplaced && SameAsWholeFoldAsync(log, events).GetAwaiter().GetResult()).Label($"{misplaced} misplaced");
        });

    [Fact]
    public async Task A_conversation_is_folded_from_the_session_stream_and_its_own_not_from_the_others()
    {
        var events = new List<(string, Event)>();
        for (var i = 1; i <= 50; i++)
            foreach (var c in new[] { "a", "b", "c" })
                events.Add(("alice", new MessageReceived(new MessageNotice(c, $"{c}{i}", "bob", i, i, 1, Json.Object(("content", $"{c} {i}")), None, None, None, None, None, None))));
        var log = await RecordAsync(events);
        var outline = (await StreamedReplay.OutlinesAsync(log))["alice"];
        Assert.Equal(["a", "b", "c"], outline.Conversations.ToArray());
        Assert.Equal(150, outline.Events);
        var b = (await StreamedReplay.ConversationAsync(log, outline, "b")).Timeline;
        Assert.Equal(["b"], b.Conversations.Keys.ToArray());
        Assert.Equal(50, b.Conversations.Find("b").Map(x => x.BySeq.Count).IfNone(0));
        Assert.True(await SameAsWholeFoldAsync(log, events));
    }
}
