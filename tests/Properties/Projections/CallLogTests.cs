using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

public sealed class CallLogTests() : ReducerLaws<CallLog.State>(CallLog.Reducer)
{
    [Fact]
    public void Incoming_calls_are_logged_once_each_in_order()
    {
        var n = new IncomingCallNotice("k1", "bob", "alice", None, None, true, true, None);
        var s = R.Fold(Seq<Event>(new Event.IncomingCallReceived(n), new Event.IncomingCall2Received(n with { CallId = "k2" }), new Event.IncomingCallReceived(n)));
        Assert.Equal(Seq(("k1", false), ("k2", true)), CallLog.Calls(s).Map(c => (c.CallId, c.IsCall2)));
    }
}
