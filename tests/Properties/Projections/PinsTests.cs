using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class PinsTests() : ReducerLaws<Pins.State>(Pins.Reducer)
{
    [Fact]
    public void The_canonical_scenario_pins_then_unpins_and_keeps_both_actions()
    {
        var c = R.Fold(Canonical).ByConv["c1"];
        Assert.Equal(None, c.Current);
        Assert.Equal(Seq(new Pins.PinAction("m3", true), new Pins.PinAction("m3", false)), c.History);
    }

    [Fact]
    public void Unpinning_a_message_that_is_not_pinned_changes_nothing()
    {
        var s = R.Fold(Seq1(Pinned("c1", "m1", true)));
        Assert.Same(s, R.Observe(s, Pinned("c1", "m2", false)));
    }

    [Fact]
    public void Our_own_pin_applies_when_the_server_answers()
    {
        var s = R.Run(R.Start, Seq1<Event>(new Event.MessagePinRequested(new PinMessage(4L, "c1", "m1", true))));
        Assert.Equal(Some("m1"), R.Step(s, new Event.MessagePinAnswered(new PinMessageResult(0, 4L, true, None, None))).State.ByConv["c1"].Current);
    }
}
