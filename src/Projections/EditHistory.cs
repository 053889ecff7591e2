namespace EventSourced.Projections;

/// <summary>Every edit of every message, in the order the client learned of them (the original lives in the timeline).</summary>
public static class EditHistory
{
    /// <summary>The edits of one message, oldest first.</summary>
    public sealed record Entry(string ConvId, string MsgId, Seq<Json.Obj> Edits);

    /// <summary>Read model state.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Entry> ByMsg, Pending Pending)
    {
        /// <summary>No edit.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Entry>(), Pending.Empty);
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("edit-history", State.Initial, Evolve);

    /// <summary>Applies one event. Total; unrelated events return the same instance.</summary>
    public static State Evolve(State s, Event e) => e switch
    {
        MessageEdited m => Add(s, m.Packet.ConvId, m.Packet.MsgId, Chat.ContentOf(m.Packet.NewContent)),
        MessageEditRequested => s with { Pending = s.Pending.Track(e) },
        RequestAcknowledged a => s.Pending.Find(a.Result.RequestId).Match(
            Some: cmd => cmd is MessageEditRequested r
                ? Add(s with { Pending = s.Pending.Forget(a.Result.RequestId) }, r.Request.ConvId, r.Request.MsgId, Chat.ContentOf(r.Request.NewContent))
                : s with { Pending = s.Pending.Forget(a.Result.RequestId) },
            None: () => s),
        RequestFailed f => s.Pending.Drop(s, f.Result.RequestId, p => s with { Pending = p }),
        Disconnected or DisconnectRequested => s.Pending.Requests.IsEmpty ? s : s with { Pending = Pending.Empty },
        LocalDataCleared => State.Initial,
        _ => s,
    };

    static State Add(State s, string convId, string msgId, Json.Obj content)
    {
        var entry = s.ByMsg.Find(msgId).IfNone(new Entry(convId, msgId, Seq<Json.Obj>()));
        // The server's notice of our own acknowledged edit, or a duplicate packet, is the same edit again.
        return entry.Edits.LastOrNone() == Some(content) ? s : s with { ByMsg = s.ByMsg.AddOrUpdate(msgId, entry with { Edits = entry.Edits.Add(content) }) };
    }
}
