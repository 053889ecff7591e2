namespace EventSourced.Projections;

/// <summary>
/// onObjectChange, derived from events as the SDKs derive it after handling a packet (§7.7):
/// the server sends no change packet of its own.
/// </summary>
public static class ObjectChanges
{
    /// <summary>objectType 0.</summary>
    public const int Conversation = 0;
    /// <summary>objectType 1.</summary>
    public const int Message = 1;
    /// <summary>changeType 0.</summary>
    public const int Insert = 0;
    /// <summary>changeType 1.</summary>
    public const int Update = 1;
    /// <summary>changeType 2.</summary>
    public const int Delete = 2;

    /// <summary>One change notification: what kind of object, what happened, which objects (by id).</summary>
    public sealed record Change(int ObjectType, int ChangeType, string ConvId, Seq<string> Ids);

    /// <summary>The notifications one event raises, in the order the SDKs raise them.</summary>
    public static Seq<Change> Derive(Event e) => e switch
    {
        ConversationCreated c => Seq1(new Change(Conversation, c.Result.R == 0 ? Insert : Update, c.Result.Conversation.ConvId, Seq1(c.Result.Conversation.ConvId))),
        ConversationsLoaded l => l.Result.ListConvs.Map(c => new Change(Conversation, Update, c.ConvId, Seq1(c.ConvId))),
        ConversationWithUserLoaded l => l.Result.Conversations.Map(c => new Change(Conversation, Update, c.ConvId, Seq1(c.ConvId))),
        ConversationDeleted d => Seq1(new Change(Conversation, Delete, d.Result.ConvId, Seq1(d.Result.ConvId))),
        ParticipantsAdded a => a.Result.ConvId.Map(c => new Change(Conversation, Update, c, Seq1(c))).ToSeq(),
        ParticipantsAddedNotified a => Seq1(Conv(a.Packet.ConvId)),
        ParticipantsRemoved r => r.Result.ConvId.Map(c => new Change(Conversation, Update, c, Seq1(c))).ToSeq(),
        ParticipantRemovedNotified r => Seq1(Conv(r.Packet.GroupId)),
        RoleSet r => Seq1(Conv(r.Result.ConvId)),
        ChatEnded c => Seq1(Conv(c.Result.ConvId)),
        ConversationEnded c => Seq1(Conv(c.Packet.ConvId)),
        MessageSent m => Seq(new Change(Message, Insert, m.Result.ConvId, Seq1(m.Result.MsgId)), Conv(m.Result.ConvId)),
        MessageReceived m => Seq(new Change(Message, Insert, m.Packet.ConvId, Seq1(m.Packet.MsgId)), Conv(m.Packet.ConvId)),
        MessagesLoaded l => Msgs(l.Result.Msgs, Insert),
        MessagesByIdsLoaded l => Msgs(l.Result.ListMsgs, Insert),
        MessageReportReceived r => Seq1(new Change(Message, Update, r.Packet.ConvId, Seq<string>())),
        MessagesDeleted d => Seq1(new Change(Message, Delete, d.Result.ConvId, d.Result.MessageIds)),
        MessageEdited m => Seq1(new Change(Message, Update, m.Packet.ConvId, Seq1(m.Packet.MsgId))),
        MessagesRevoked r => Seq1(new Change(Message, Update, r.Packet.ConvId, r.Packet.MsgIds)),
        MessageRevokeAnswered r => Seq1(new Change(Message, Update, r.Result.ConvId, r.Result.MsgIds)),
        MessagePinChanged p => Seq(new Change(Message, Update, p.Packet.ConvId, Seq1(p.Packet.MsgId)), Conv(p.Packet.ConvId)),
        MessagePinAnswered p => p.Result.ConvId.Map(c => Conv(c)).ToSeq(),
        _ => Seq<Change>(),
    };

    static Change Conv(string id) => new(Conversation, Update, id, Seq1(id));

    static Seq<Change> Msgs(Seq<MessageInfo> msgs, int change) =>
        msgs.GroupBy(m => m.ConvId.IfNone("")).Map(g => new Change(Message, change, g.Key, g.Map(m => m.Id).ToSeq())).ToSeq();
}
