using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

public sealed class LiveChatTests() : ReducerLaws<LiveChat.State>(LiveChat.Reducer)
{
    static Event Routed(string conv) => new Event.ChatRequestReceived(new ChatRequestNotice(conv, "cust", "Customer", 1));

    [Fact]
    public void A_request_is_pending_until_answered()
    {
        var s = R.Fold(Seq(Routed("c1"), Routed("c2")));
        Assert.Equal(2, LiveChat.Waiting(s).Count);
        s = R.Observe(s, new Event.ChatRequestAnswered(new AnswerChatRequestResult(0, 3L, "c1", true)));
        s = R.Observe(s, new Event.AgentAnswerTimedOut(new AgentTimeoutNotice("c2", None, None)));
        Assert.Equal((LiveChat.Status.Accepted, LiveChat.Status.TimedOut), (s.ByConv["c1"].Status, s.ByConv["c2"].Status));
    }

    [Fact]
    public void A_transfer_accepted_through_an_acknowledgement_is_accepted()
    {
        var s = R.Fold(Seq<Event>(
            new Event.TransferRequestReceived(new TransferRequestNotice("c1", "cust", "Customer", 1, "agent1", None, None)),
            new Event.TransferAnswerRequested(new ConfirmTransfer(5L, "c1", true)),
            new Event.RequestAcknowledged(78, new Ack(0, 5L, None))));
        Assert.Equal((true, LiveChat.Status.Accepted, Some("agent1")), (s.ByConv["c1"].IsTransfer, s.ByConv["c1"].Status, s.ByConv["c1"].From));
    }

    [Fact]
    public void A_request_rerouted_after_a_timeout_is_pending_again_and_an_ended_chat_stays_ended()
    {
        var s = R.Fold(Seq(Routed("c1"), new Event.AgentAnswerTimedOut(new AgentTimeoutNotice("c1", None, None)), Routed("c1")));
        Assert.Equal(LiveChat.Status.Pending, s.ByConv["c1"].Status);
        s = R.Observe(s, new Event.ConversationEnded(new ConversationEndedNotice("c1", "cust")));
        Assert.Equal(LiveChat.Status.Ended, R.Observe(s, new Event.ChatTransferred(new TransferChatResult(0, 1L, "c1"))).ByConv["c1"].Status);
    }

    [Fact]
    public void A_customer_sees_a_queue_timeout()
    {
        var s = R.Observe(LiveChat.State.Initial, new Event.QueueTimedOut(new QueueTimeoutNotice("c9", "me", "Me")));
        Assert.Equal(LiveChat.Status.TimedOut, s.ByConv["c9"].Status);
    }
}
