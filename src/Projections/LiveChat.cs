namespace EventSourced.Projections;

/// <summary>Live-chat requests seen by an agent (and queue timeouts seen by a customer) with where each ended up.</summary>
public static class LiveChat
{
    /// <summary>Where a request stands.</summary>
    public enum Status
    {
        /// <summary>Waiting for this agent's answer.</summary>
        Pending = 0,
        /// <summary>Accepted.</summary>
        Accepted = 1,
        /// <summary>Rejected.</summary>
        Rejected = 2,
        /// <summary>Not answered in time (66 for an agent, 67 for a customer's queue).</summary>
        TimedOut = 3,
        /// <summary>Handed to another agent.</summary>
        Transferred = 4,
        /// <summary>The chat ended.</summary>
        Ended = 5,
    }

    /// <summary>A chat request.</summary>
    public sealed record Request(string ConvId, string CustomerId, string CustomerName, int ChannelType, bool IsTransfer,
        Option<string> From, Status Status);

    /// <summary>Read model state.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Request> ByConv)
    {
        /// <summary>No request.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Request>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("live-chat-requests", State.Initial, Apply);

    /// <summary>Requests still waiting for an answer.</summary>
    public static Seq<Request> Waiting(State s) => s.ByConv.Values.Filter(r => r.Status == Status.Pending).ToSeq();

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(TransferAnswerRequested t, _, _) => Move(s, t.Request.ConvId, t.Request.Answer ? Status.Accepted : Status.Rejected),
        Fact.Of o => Observe(s, o.Event),
        _ => s,
    };

    static State Observe(State s, Event e) => e switch
    {
        ChatRequestReceived r => Offer(s, new Request(r.Packet.ConvId, r.Packet.CustomerId, r.Packet.CustomerName.IfNone(""), r.Packet.ChannelType.IfNone(1), false, None, Status.Pending)),
        TransferRequestReceived r => Offer(s, new Request(r.Packet.ConvId, r.Packet.CustomerId, r.Packet.CustomerName.IfNone(""), r.Packet.ChannelType.IfNone(1), true, r.Packet.From, Status.Pending)),
        ChatRequestsLoaded l => l.Result.ChatRequests.Fold(s, (st, r) => st.ByConv.ContainsKey(r.ConvId) ? st
            : Offer(st, new Request(r.ConvId, r.CustomerId, r.CustomerName.IfNone(""), r.ChannelType.IfNone(1), r.Type == Some("transfer"), r.From, Status.Pending))),
        ChatRequestAnswered a => Move(s, a.Result.ConvId, a.Result.Answer ? Status.Accepted : Status.Rejected),
        AgentAnswerTimedOut t => Move(s, t.Packet.ConvId, Status.TimedOut),
        QueueTimedOut t => s.ByConv.ContainsKey(t.Packet.ConvId) ? Move(s, t.Packet.ConvId, Status.TimedOut)
            : s with { ByConv = s.ByConv.Add(t.Packet.ConvId, new Request(t.Packet.ConvId, t.Packet.CustomerId.IfNone(""), t.Packet.CustomerName.IfNone(""), 1, false, None, Status.TimedOut)) },
        ChatTransferred t => Move(s, t.Result.ConvId, Status.Transferred),
        ChatEnded c => Move(s, c.Result.ConvId, Status.Ended),
        ConversationEnded c => Move(s, c.Packet.ConvId, Status.Ended),
        LocalDataCleared => State.Initial,
        _ => s,
    };

    // A new offer for a conversation replaces a finished one (re-routing after a timeout); the same offer twice is nothing.
    static State Offer(State s, Request r) => s.ByConv.Find(r.ConvId).Match(
        Some: existing => existing == r || existing.Status is Status.Accepted or Status.Ended && !r.IsTransfer ? s : s with { ByConv = s.ByConv.SetItem(r.ConvId, r) },
        None: () => s with { ByConv = s.ByConv.Add(r.ConvId, r) });

    static State Move(State s, string convId, Status status) => s.ByConv.Find(convId).Match(
        Some: r => r.Status == status || r.Status == Status.Ended ? s : s with { ByConv = s.ByConv.SetItem(convId, r with { Status = status }) },
        None: () => s);
}
