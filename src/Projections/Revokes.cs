namespace EventSourced.Projections;

/// <summary>
/// Every revoked message, and by whom when the client knows (its own revokes), by conversation and then message id:
/// a message id names a message within its conversation only.
/// </summary>
public static class Revokes
{
    /// <summary>A revocation.</summary>
    public sealed record Revocation(string ConvId, string MsgId, Option<string> By);

    /// <summary>Read model state: each conversation's revoked messages, by message id.</summary>
    public sealed record State(Option<string> Me, Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, Revocation>> ByConv)
    {
        /// <summary>Nothing revoked.</summary>
        public static readonly State Initial = new(None, Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, Revocation>>());
    }

    /// <summary>The revocation of one message of one conversation, if it was revoked.</summary>
    public static Option<Revocation> Of(State s, string convId, string msgId) => s.ByConv.Find(convId).Bind(m => m.Find(msgId));

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("revokes", State.Initial, Apply);

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f is Fact.Of o ? Observe(s, o.Event) : s;

    static State Observe(State s, Event e) => e switch
    {
        Connected c => c.Result.UserId.IsSome && s.Me != c.Result.UserId ? s with { Me = c.Result.UserId } : s,
        MessageRevokeAnswered r => r.Result.MsgIds.Fold(s, (st, id) => Add(st, new Revocation(r.Result.ConvId, id, s.Me))),
        MessagesRevoked r => r.Packet.MsgIds.Fold(s, (st, id) => Add(st, new Revocation(r.Packet.ConvId, id, None))),
        MessagesLoaded l => l.Result.Msgs.Filter(m => m.Revoked.IfNone(0) != 0 && m.ConvId.IsSome)
            .Fold(s, (st, m) => Add(st, new Revocation((string)m.ConvId, m.Id, None))),
        LocalDataCleared => State.Initial with { Me = s.Me },
        _ => s,
    };

    // The first report wins, except that knowing who revoked is added when our own answer arrives.
    static State Add(State s, Revocation r)
    {
        var conversation = s.ByConv.Find(r.ConvId).IfNone(Map<OrdStringOrdinal, string, Revocation>());
        return conversation.Find(r.MsgId).Match(
            Some: existing => existing.By.IsNone && r.By.IsSome ? s with { ByConv = s.ByConv.SetItem(r.ConvId, conversation.SetItem(r.MsgId, r)) } : s,
            None: () => s with { ByConv = s.ByConv.AddOrUpdate(r.ConvId, conversation.Add(r.MsgId, r)) });
    }
}
