namespace EventSourced.Projections;

/// <summary>Each conversation's pinned message and every pin and unpin that led to it.</summary>
public static class Pins
{
    /// <summary>One pin or unpin that changed the pinned message.</summary>
    public sealed record PinAction(string MsgId, bool Pinned);

    /// <summary>A conversation's pin state.</summary>
    public sealed record Conversation(Option<string> Current, Seq<PinAction> History);

    /// <summary>Read model state.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Conversation> ByConv, Pending Pending)
    {
        /// <summary>Nothing pinned.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Conversation>(), Pending.Empty);
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("pins", State.Initial, Evolve);

    /// <summary>Applies one event. Total; unrelated events return the same instance.</summary>
    public static State Evolve(State s, Event e) => e switch
    {
        MessagePinChanged p => Apply(s, p.Packet.ConvId, p.Packet.MsgId, p.Packet.IsPin),
        MessagePinRequested => s with { Pending = s.Pending.Track(e) },
        MessagePinAnswered a => s.Pending.Find(a.Result.RequestId).Match(
            Some: cmd => cmd is MessagePinRequested r
                ? Apply(s with { Pending = s.Pending.Forget(a.Result.RequestId) }, r.Request.ConvId, r.Request.MsgId, r.Request.IsPin)
                : s with { Pending = s.Pending.Forget(a.Result.RequestId) },
            None: () => s),
        RequestFailed f => s.Pending.Drop(s, f.Result.RequestId, p => s with { Pending = p }),
        ConversationCreated c => Server(s, c.Result.Conversation),
        ConversationsLoaded l => Chat.Distinct(l.Result.ListConvs).Fold(s, Server),
        Disconnected or DisconnectRequested => s.Pending.Requests.IsEmpty ? s : s with { Pending = Pending.Empty },
        LocalDataCleared => State.Initial,
        _ => s,
    };

    static State Server(State s, ConversationInfo c) => c.PinMsgId.Match(
        Some: id => id.Length == 0
            ? s.ByConv.Find(c.ConvId).Bind(x => x.Current).Match(cur => Apply(s, c.ConvId, cur, false), () => s)
            : Apply(s, c.ConvId, id, true),
        None: () => s);

    static State Apply(State s, string convId, string msgId, bool pin)
    {
        var c = s.ByConv.Find(convId).IfNone(new Conversation(None, Seq<PinAction>()));
        var next = pin ? Some(msgId) : c.Current == Some(msgId) ? None : c.Current;
        return next == c.Current ? s : s with { ByConv = s.ByConv.AddOrUpdate(convId, new Conversation(next, c.History.Add(new PinAction(msgId, pin)))) };
    }
}
