namespace EventSourced.Projections;

/// <summary>
/// Every edit of every message, in the order the client learned of them (the original lives in the timeline), by
/// conversation and then message id: a message id names a message within its conversation only.
/// </summary>
public static class EditHistory
{
    /// <summary>The edits of one message, oldest first.</summary>
    public sealed record Entry(string ConvId, string MsgId, Seq<Json.Obj> Edits);

    /// <summary>Read model state: each conversation's edited messages, by message id.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, Entry>> ByConv)
    {
        /// <summary>No edit.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, Entry>>());
    }

    /// <summary>The edits of one message of one conversation, if it was edited.</summary>
    public static Option<Entry> Of(State s, string convId, string msgId) => s.ByConv.Find(convId).Bind(m => m.Find(msgId));

    /// <summary>The edited messages of one conversation, by message id.</summary>
    public static Seq<Entry> In(State s, string convId) => s.ByConv.Find(convId).Map(m => m.Values.ToSeq()).IfNone(Seq<Entry>());

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("edit-history", State.Initial, Apply);

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(MessageEditRequested r, _, _) => Add(s, r.Request.ConvId, r.Request.MsgId, Chat.ContentOf(r.Request.NewContent)),
        Fact.Observed { Event: MessageEdited m } => Add(s, m.Packet.ConvId, m.Packet.MsgId, Chat.ContentOf(m.Packet.NewContent)),
        // A reload of a message the server says was edited, with a content not seen before, is an edit the client missed.
        Fact.Of { Event: MessagesLoaded l } => l.Result.Msgs.Fold(s, Reloaded),
        Fact.Of { Event: MessagesByIdsLoaded l } => l.Result.ListMsgs.Fold(s, Reloaded),
        Fact.Observed { Event: LocalDataCleared } => State.Initial,
        _ => s,
    };

    static State Reloaded(State s, MessageInfo m) =>
        m.Edited.IfNone(0) > 0 && m.Revoked.IfNone(0) == 0 && m.ConvId.IsSome && m.Content.IsSome
        && Chat.ContentOf((Json)m.Content) is var content && !Of(s, (string)m.ConvId, m.Id).Exists(e => e.Edits.Exists(x => x == content))
            ? Add(s, (string)m.ConvId, m.Id, content)
            : s;

    static State Add(State s, string convId, string msgId, Json.Obj content)
    {
        var conversation = s.ByConv.Find(convId).IfNone(Map<OrdStringOrdinal, string, Entry>());
        var entry = conversation.Find(msgId).IfNone(new Entry(convId, msgId, Seq<Json.Obj>()));
        // The server's notice of our own acknowledged edit, or a duplicate packet, is the same edit again.
        return entry.Edits.LastOrNone() == Some(content) ? s
            : s with { ByConv = s.ByConv.AddOrUpdate(convId, conversation.AddOrUpdate(msgId, entry with { Edits = entry.Edits.Add(content) })) };
    }
}
