using System.Collections.Immutable;
using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>Change sets: applied to the view before an event, they give the view after it (every view, any events).</summary>
public sealed class ChangesTests
{
    // Every event's change, as the client emits them.
    static IEnumerable<ModelChange> Changes(Seq<Event> events)
    {
        var models = ReadModels.Reducer.Start;
        foreach (var e in events)
        {
            var (after, facts) = ReadModels.Reducer.StepWithFacts(models, e);
            yield return new ModelChange(models.State, after.State, facts);
            models = after;
        }
    }

    static Property Law<K, T>(Seq<Event> events, Func<ReadModels, Seq<T>> view, Func<ReadModels, EventSourced.Projections.Changes.Keys<K>> keysOf,
        Func<EventSourced.Projections.Changes.Keys<K>, ModelChange, (EventSourced.Projections.Changes.Keys<K>, Seq<VectorDiff<T>>)> step)
    {
        var list = ImmutableList<T>.Empty;
        var keys = keysOf(ReadModels.Initial);
        var i = 0;
        foreach (var c in Changes(events))
        {
            (keys, var diffs) = step(keys, c);
            list = EventSourced.Projections.Changes.Apply(list, diffs);
            if (!list.SequenceEqual(view(c.After)))
                return false.Label($"after event {i} ({string.Join("; ", c.Facts)}): diffs [{string.Join("; ", diffs)}]; rebuilt [{string.Join("; ", list)}]; view [{string.Join("; ", view(c.After))}]");
            i++;
        }
        return true.ToProperty();
    }

    public static TheoryData<string> Convs => new(Generators.Ids);

    static Arbitrary<Seq<Event>> Any => Gen.OneOf(Generators.Events, Generators.Mixed, Generators.Lifecycle, Generators.SeqOrdered).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property The_timeline_changes_rebuild_the_timeline() => Prop.ForAll(Any, Gen.Elements(Generators.Ids).ToArbitrary(), (events, conv) =>
        Law(events, m => Timeline.View(m.Timeline, conv), m => EventSourced.Projections.Changes.TimelineKeys(m, conv),
            (k, c) => EventSourced.Projections.Changes.OfTimeline(k, c, conv)));

    [Property(MaxTest = 300)]
    public Property The_conversation_list_changes_rebuild_the_list() => Prop.ForAll(Any, events =>
        Law(events, m => ConversationList.Visible(m.Conversations), EventSourced.Projections.Changes.ConversationKeys, EventSourced.Projections.Changes.OfConversations));

    [Property(MaxTest = 300)]
    public Property The_edit_history_changes_rebuild_the_history() => Prop.ForAll(Any, Gen.Elements(Generators.Ids).ToArbitrary(), (events, conv) =>
        Law(events, m => EventSourced.Projections.Changes.EditsOf(m, conv), m => EventSourced.Projections.Changes.EditKeys(m, conv),
            (k, c) => EventSourced.Projections.Changes.OfEdits(k, c, conv)));

    [Property(MaxTest = 300)]
    public Property The_pin_changes_rebuild_the_pin_history() => Prop.ForAll(Any, Gen.Elements(Generators.Ids).ToArbitrary(), (events, conv) =>
        Law(events, m => m.Pins.ByConv.Find(conv).Map(p => p.History).IfNone(Seq<Pins.PinAction>()), _ => EventSourced.Projections.Changes.Keys<int>.Of([], Comparer<int>.Default),
            (k, c) => (k, EventSourced.Projections.Changes.OfPins(c, conv))));

    [Fact]
    public void One_edit_in_a_long_conversation_is_one_update_at_its_index()
    {
        var events = Seq(Connected("alice"), Created("c1", "alice", "bob")) + toSeq(Enumerable.Range(2, 2_000).Select(i => Received("c1", $"m{i}", i, "bob", $"text {i}")));
        var before = events.Fold(ReadModels.Reducer.Start, ReadModels.Reducer.Step);
        var keys = EventSourced.Projections.Changes.TimelineKeys(before.State, "c1");
        var (folded, facts) = ReadModels.Reducer.StepWithFacts(before, Edited("c1", "m777", "changed"));
        var after = folded.State;
        var (_, diffs) = EventSourced.Projections.Changes.OfTimeline(keys, new ModelChange(before.State, after, facts), "c1");
        var set = Assert.IsType<VectorDiff<Timeline.MessageView>.Set>(Assert.Single(diffs));
        Assert.Equal(("m777", "changed"), (set.Value.Id, Chat.TextOf(set.Value.Content)));
        Assert.Equal(Timeline.View(after.Timeline, "c1").ToList().FindIndex(v => v.Id == "m777"), set.Index);
    }
}
