using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class EditHistoryTests() : ReducerLaws<EditHistory.State>(EditHistory.Reducer)
{
    [Fact]
    public void The_canonical_scenario_records_both_edits_in_order() =>
        Assert.Equal(Seq("hi alice!", "hi Alice!"), ((EditHistory.Entry)EditHistory.Of(R.Fold(Canonical), "c1", "m3")).Edits.Map(Chat.TextOf));

    [Fact]
    public void Our_acknowledged_edit_and_the_servers_notice_of_it_are_one_edit()
    {
        var s = R.Fold(Seq<Event>(
            new Event.MessageEditRequested(new EditMessage(8L, "c1", "m1", Json.Object(("content", "new")))),
            new Event.RequestAcknowledged(90, new Ack(0, 8L, None)),
            Edited("c1", "m1", "new")));
        Assert.Equal(Seq1("new"), ((EditHistory.Entry)EditHistory.Of(s, "c1", "m1")).Edits.Map(Chat.TextOf));
    }

    [Fact]
    public void A_message_id_names_a_message_within_its_conversation_only()
    {
        // Two conversations may each hold an "m1": an edit of one is not an edit of the other.
        var s = R.Fold(Seq(
            Received("c1", "m1", 1, "bob", "one"), Received("c2", "m1", 1, "bob", "two"),
            Edited("c1", "m1", "one, edited"), Edited("c2", "m1", "two, edited"), Edited("c2", "m1", "two, again")));
        Assert.Equal(Seq1("one, edited"), ((EditHistory.Entry)EditHistory.Of(s, "c1", "m1")).Edits.Map(Chat.TextOf));
        Assert.Equal(Seq("two, edited", "two, again"), ((EditHistory.Entry)EditHistory.Of(s, "c2", "m1")).Edits.Map(Chat.TextOf));
        Assert.Equal(Seq1("c2"), EditHistory.In(s, "c2").Map(e => e.ConvId));
        Assert.True(EditHistory.Of(s, "c3", "m1").IsNone);
    }
}
