using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class AsOfTests
{
    static Seq<Recorded> Log(Seq<Event> events) =>
        toSeq(events.Select((e, i) => Recording.Local("alice", e, 1_000 + i * 10) is var r ? r with { Meta = r.Meta with { Position = i + 1, Seq = Recording.Clocks(e).Seq } } : r)).Strict();

    [Property(MaxTest = 100, Arbitrary = [typeof(Arbitraries)])]
    public Property State_as_of_the_last_position_is_the_full_fold(Seq<Event> events) =>
        (AsOf.Position(Log(events), events.Count, Timeline.Reducer) == Timeline.Reducer.Fold(events)).ToProperty();

    [Property(MaxTest = 100, Arbitrary = [typeof(Arbitraries)])]
    public Property State_as_of_position_p_is_the_fold_of_the_first_p_events(Seq<Event> events, NonNegativeInt p) =>
        (AsOf.Position(Log(events), p.Get, ConversationList.Reducer) == ConversationList.Reducer.Fold(events.Take(p.Get))).ToProperty();

    [Fact]
    public void As_of_a_local_time_shows_what_the_client_knew_then()
    {
        var log = Log(Canonical);
        var beforeEdits = AsOf.Time(log, 1_000 + 6 * 10 - 1, Timeline.Reducer);
        Assert.False(Timeline.Find(beforeEdits, "c1", "m3").Map(m => m.Edited).IfNone(true));
    }

    [Fact]
    public void As_of_a_seq_shows_the_conversation_when_it_reached_that_seq()
    {
        // seq 2 arrives late (catch-up) after seq 3: it still belongs to the conversation as of seq 2.
        var log = Log(Seq(Received("c1", "m1", 1, "b", "one"), Edited("c1", "m1", "one!"), Received("c1", "m3", 3, "b", "three"),
            Edited("c1", "m1", "one!!"), Received("c1", "m2", 2, "b", "two")));
        var s = AsOf.Seq(log, "c1", 2, Timeline.Reducer);
        Assert.Equal(Seq(1L, 2L), Timeline.View(s, "c1").Map(m => m.Seq));
        Assert.Equal("one!", Chat.TextOf(Timeline.Find(s, "c1", "m1").Map(m => m.Content).IfNone(Json.Obj.Empty)));
    }

    [Fact]
    public void As_true_at_a_server_time_is_the_conversation_at_the_last_message_stamped_by_then()
    {
        // Received late: m2 (stamped 1002) arrives after m3 (stamped 1003). True at 1002 is m1 and m2.
        var log = Log(Seq(Received("c1", "m1", 1, "b", "one"), Received("c1", "m3", 3, "b", "three"), Received("c1", "m2", 2, "b", "two")));
        Assert.Equal(Seq(1L, 2L), Timeline.View(AsOf.TrueAt(log, "c1", 1_002, Timeline.Reducer), "c1").Map(m => m.Seq));
        Assert.Empty(Timeline.View(AsOf.TrueAt(log, "c1", 999, Timeline.Reducer), "c1"));
    }
    // Checkpoints answer what the fold from the start answers, wherever the checkpoints fall and in
    // whatever order positions were stamped (AsOf.Position stops at the first event beyond the position).
    [Property(MaxTest = 200, Arbitrary = [typeof(Arbitraries)])]
    public Property Checkpoints_answer_what_the_fold_from_the_start_answers(Seq<Event> events, PositiveInt every, NonNegativeInt p, bool shuffled)
    {
        var log = Log(events);
        if (shuffled) log = toSeq(log.Select((r, i) => r with { Meta = r.Meta with { Position = (i * 7919L) % (events.Count + 3) } })).Strict();
        var checkpoints = Checkpoints<Timeline.State>.Build(log, Timeline.Reducer, every.Get % 9 + 1);
        var at = p.Get % (events.Count + 4);
        return (checkpoints.Position(at) == AsOf.Position(log, at, Timeline.Reducer)
            && checkpoints.Latest == Timeline.Reducer.Fold(events)
            && checkpoints.Count == events.Count / (every.Get % 9 + 1) + 1).Label($"every {every.Get % 9 + 1}, at {at}, shuffled {shuffled}");
    }

    [Fact]
    public void Checkpoints_fold_only_the_events_after_the_nearest_checkpoint()
    {
        var folded = 0;
        var counting = Timeline.Reducer with { Apply = (s, f) => { folded++; return Timeline.Reducer.Apply(s, f); } };
        var log = Log(toSeq(Enumerable.Range(1, 100).Select(i => Received("c1", $"m{i}", i, "b", $"text {i}"))).Strict());
        var checkpoints = Checkpoints<Timeline.State>.Build(log, counting, every: 10);
        folded = 0;
        var state = checkpoints.Position(57);
        Assert.Equal(7, folded);
        Assert.Equal(57, Timeline.View(state, "c1").Count);
    }
}
