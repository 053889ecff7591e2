namespace EventSourced.Projections;

/// <summary>Each conversation's pinned message and every pin and unpin that led to it.</summary>
public static class Pins
{
    /// <summary>One pin or unpin that changed the pinned message.</summary>
    public sealed record PinAction(string MsgId, bool Pinned);

    /// <summary>A conversation's pin state.</summary>
    public sealed record Conversation(Option<string> Current, Seq<PinAction> History);

    /// <summary>Read model state.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Conversation> ByConv)
    {
        /// <summary>Nothing pinned.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Conversation>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("pins", State.Initial, Apply);

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(MessagePinRequested r, _, _) => Set(s, r.Request.ConvId, r.Request.MsgId, r.Request.IsPin),
        Fact.Of o => o.Event switch
        {
            MessagePinChanged p => Set(s, p.Packet.ConvId, p.Packet.MsgId, p.Packet.IsPin),
            ConversationCreated c => Server(s, c.Result.Conversation),
            ConversationsLoaded l => Chat.Distinct(l.Result.ListConvs).Fold(s, Server),
            ConversationWithUserLoaded l => Chat.Distinct(l.Result.Conversations).Fold(s, Server),
            LocalDataCleared => State.Initial,
            _ => s,
        },
        _ => s,
    };

    static State Server(State s, ConversationInfo c)
    {
        var current = s.ByConv.Find(c.ConvId).Bind(x => x.Current);
        var next = Chat.PinnedAfter(c, current);
        return next == current ? s : next.Match(id => Set(s, c.ConvId, id, true), () => Set(s, c.ConvId, (string)current, false));
    }

    static State Set(State s, string convId, string msgId, bool pin)
    {
        var c = s.ByConv.Find(convId).IfNone(new Conversation(None, Seq<PinAction>()));
        var next = pin ? Some(msgId) : c.Current == Some(msgId) ? None : c.Current;
        return next == c.Current ? s : s with { ByConv = s.ByConv.AddOrUpdate(convId, new Conversation(next, c.History.Add(new PinAction(msgId, pin)))) };
    }
}
