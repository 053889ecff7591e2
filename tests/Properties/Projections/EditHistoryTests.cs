using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class EditHistoryTests() : ReducerLaws<EditHistory.State>(EditHistory.Reducer)
{
    [Fact]
    public void The_canonical_scenario_records_both_edits_in_order() =>
        Assert.Equal(Seq("hi alice!", "hi Alice!"), R.Fold(Canonical).ByMsg["m3"].Edits.Map(Chat.TextOf));

    [Fact]
    public void Our_acknowledged_edit_and_the_servers_notice_of_it_are_one_edit()
    {
        var s = R.Fold(Seq<Event>(
            new Event.MessageEditRequested(new EditMessage(8L, "c1", "m1", Json.Object(("content", "new")))),
            new Event.RequestAcknowledged(90, new Ack(0, 8L, None)),
            Edited("c1", "m1", "new")));
        Assert.Equal(Seq1("new"), s.ByMsg["m1"].Edits.Map(Chat.TextOf));
    }
}
