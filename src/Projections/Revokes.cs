namespace EventSourced.Projections;

/// <summary>Every revoked message, and by whom when the client knows (its own revokes).</summary>
public static class Revokes
{
    /// <summary>A revocation.</summary>
    public sealed record Revocation(string ConvId, string MsgId, Option<string> By);

    /// <summary>Read model state.</summary>
    public sealed record State(Option<string> Me, Map<OrdStringOrdinal, string, Revocation> ByMsg)
    {
        /// <summary>Nothing revoked.</summary>
        public static readonly State Initial = new(None, Map<OrdStringOrdinal, string, Revocation>());
    }

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
    static State Add(State s, Revocation r) => s.ByMsg.Find(r.MsgId).Match(
        Some: existing => existing.By.IsNone && r.By.IsSome ? s with { ByMsg = s.ByMsg.SetItem(r.MsgId, r) } : s,
        None: () => s with { ByMsg = s.ByMsg.Add(r.MsgId, r) });
}
