using EventSourced.Domain.Packets;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Domain.Client;

/// <summary>
/// The facts about conversations and messages that decisions need (who sent what, what is
/// revoked, deleted or pinned, who is admin, how far this user has read). The full read models
/// live in Projections; this is the minimal state the deciders fold.
/// </summary>
public static class Chat
{
    /// <summary>What a decision needs to know about a message.</summary>
    public sealed record Message(string Id, string ConvId, long Seq, string Sender, string Text, bool Revoked, bool Deleted)
    {
        /// <summary>Texts the message had before <see cref="Text"/>: a reload carrying one of them is a stale copy, not an edit.</summary>
        public Set<OrdStringOrdinal, string> Earlier { get; init; } = Set<OrdStringOrdinal, string>();
    }

    /// <summary>What a decision needs to know about a conversation.</summary>
    public sealed record Conversation(string Id, long LastSeq, long ReadSeq, Option<string> PinnedMsgId, Map<OrdStringOrdinal, string, string> Roles, bool Ended);

    /// <summary>Decision state.</summary>
    public sealed record State(Option<string> Me, Map<OrdStringOrdinal, string, Conversation> Conversations, Map<OrdStringOrdinal, string, Message> Messages)
    {
        /// <summary>Nothing known.</summary>
        public static readonly State Initial = new(None, Map<OrdStringOrdinal, string, Conversation>(), Map<OrdStringOrdinal, string, Message>());

        /// <summary>Messages revoked or deleted before the client knew them: they arrive marked.</summary>
        public Set<OrdStringOrdinal, string> MarkedEarly { get; init; } = Set<OrdStringOrdinal, string>();
    }

    /// <summary>The text of a content object (<c>content</c>, falling back to <c>text</c>).</summary>
    public static string TextOf(Json content) => content switch
    {
        Json.Obj o => (o["content"] || o["text"]).Bind(c => c is Json.Str s ? Some(s.Value) : None).IfNone(""),
        Json.Str s => Json.Parse(s.Value).Match(Right: j => j is Json.Obj ? TextOf(j) : s.Value, Left: _ => s.Value),
        _ => "",
    };

    /// <summary>
    /// An edit's <c>newContent</c> as a content object: a JSON string holding an object (web SDK,
    /// and the server's 91) is parsed; plain text becomes <c>{"content": text}</c>; an object is used as is.
    /// </summary>
    public static Json.Obj ContentOf(Json newContent) => newContent switch
    {
        Json.Obj o => o,
        Json.Str s => Json.Parse(s.Value).Match(Right: j => j as Json.Obj ?? Json.Object(("content", s.Value)), Left: _ => Json.Object(("content", s.Value))),
        _ => Json.Object(("content", newContent)),
    };

    /// <summary>
    /// The message pinned once a listing is known: its <c>pinMsgId</c> names it, <c>""</c> says none is pinned now,
    /// and a listing without the field says nothing about pins (<paramref name="current"/> stays). Every read model reads it so.
    /// </summary>
    public static Option<string> PinnedAfter(ConversationInfo c, Option<string> current) =>
        c.PinMsgId.Match(p => p.Length == 0 ? None : Some(p), () => current);

    /// <summary>
    /// A listing as a set: one entry per conversation, the last one listed winning, so that a
    /// listing folded twice (a duplicated packet) gives what it gave once.
    /// </summary>
    public static Seq<ConversationInfo> Distinct(Seq<ConversationInfo> listed)
    {
        var last = listed.Fold(Map<OrdStringOrdinal, string, ConversationInfo>(), (m, c) => m.AddOrUpdate(c.ConvId, c));
        return listed.Map(c => c.ConvId).Distinct().Map(id => last[id]).ToSeq().Strict();
    }

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(MessageSendRequested req, MessageSent m, _) =>
            Add(s, new Message(m.Result.MsgId, m.Result.ConvId, m.Result.Seq, s.Me.IfNone(""), TextOf(req.Request.Message), false, false)),
        Fact.Confirmed(MessagePinRequested req, _, _) => Pin(s, req.Request.ConvId, req.Request.MsgId, req.Request.IsPin),
        Fact.Confirmed(RoleSetRequested req, _, _) => SetRole(s, req.Request.ConvId, req.Request.UserId, req.Request.Role),
        Fact.Confirmed(MessageEditRequested ed, _, _) => Edit(s, ed.Request.MsgId, TextOf(ed.Request.NewContent)),
        Fact.Of o => Observe(s, o.Event),
        _ => s,
    };

    static State Observe(State s, Event e) => e switch
    {
        Connected c => c.Result.UserId.IsSome && s.Me != c.Result.UserId ? s with { Me = c.Result.UserId } : s,
        ConnectRequested c => c.UserId.IsSome && s.Me.IsNone ? s with { Me = c.UserId } : s,
        ConversationCreated c => Upsert(s, c.Result.Conversation),
        ConversationsLoaded l => Chat.Distinct(l.Result.ListConvs).Fold(s, Upsert),
        ConversationWithUserLoaded l => Chat.Distinct(l.Result.Conversations).Fold(s, Upsert),
        ConversationDeleted d => s.Conversations.ContainsKey(d.Result.ConvId) ? s with { Conversations = s.Conversations.Remove(d.Result.ConvId) } : s,
        MessageReceived m => Add(s, new Message(m.Packet.MsgId, m.Packet.ConvId, m.Packet.Seq, m.Packet.From, TextOf(m.Packet.Message), false, false)),
        MessagesLoaded l => l.Result.Msgs.Fold(s, AddInfo),
        MessagesByIdsLoaded l => l.Result.ListMsgs.Fold(s, AddInfo),
        MessageEdited ed => Edit(s, ed.Packet.MsgId, TextOf(ed.Packet.NewContent)),
        MessagesRevoked r => r.Packet.MsgIds.Fold(s, (st, id) => Mark(st, id, m => m with { Revoked = true }, "revoked")),
        MessageRevokeAnswered r => r.Result.MsgIds.Fold(s, (st, id) => Mark(st, id, m => m with { Revoked = true }, "revoked")),
        MessagesDeleted d => d.Result.MessageIds.Fold(s, (st, id) => Mark(st, id, m => m with { Deleted = true }, "deleted")),
        MessagePinChanged p => Pin(s, p.Packet.ConvId, p.Packet.MsgId, p.Packet.IsPin),
        MessageReportReceived r => s.Me == Some(r.Packet.From) && r.Packet.Status == 2 ? Read(s, r.Packet.ConvId, r.Packet.LastMsgSeq) : s,
        ParticipantsAdded a => a.Result.ConvId.Match(c => a.Result.Added.Fold(s, (st, p) => SetRole(st, c, p.User, p.Role.IfNone("member"))), () => s),
        ParticipantsAddedNotified a => a.Packet.Added.Fold(s, (st, p) => SetRole(st, a.Packet.ConvId, p.User, p.Role.IfNone("member"))),
        ConversationReadMarked r => Read(s, r.Request.ConvId, r.Request.LastMsgSeq),
        ChatEnded c => EndConv(s, c.Result.ConvId),
        ConversationEnded c => EndConv(s, c.Packet.ConvId),
        LocalDataCleared => State.Initial with { Me = s.Me },
        _ => s,
    };

    static State Upsert(State s, ConversationInfo c)
    {
        var existing = s.Conversations.Find(c.ConvId);
        var roles = c.Participants.Match(ps => ps.Fold(Map<OrdStringOrdinal, string, string>(), (m, p) => m.AddOrUpdate(p.User, p.Role.IfNone("member"))), () => existing.Map(x => x.Roles).IfNone(Map<OrdStringOrdinal, string, string>()));
        var conv = new Conversation(c.ConvId,
            Math.Max(c.ConvLastSeq.IfNone(0), existing.Map(x => x.LastSeq).IfNone(0)),
            Math.Max(c.LastMsgSeqSeen.IfNone(0), existing.Map(x => x.ReadSeq).IfNone(0)),
            PinnedAfter(c, existing.Bind(x => x.PinnedMsgId)),
            roles,
            c.Ended.Map(IsTrue).IfNone(false) || existing.Map(x => x.Ended).IfNone(false));
        return existing == Some(conv) ? s : s with { Conversations = s.Conversations.AddOrUpdate(c.ConvId, conv) };
    }

    static bool IsTrue(Json j) => j is Json.Bool { Value: true } || j is Json.Number n && n.Value != 0;

    static State AddInfo(State s, MessageInfo m) => m.ConvId.Match(
        Some: conv => Add(s, new Message(m.Id, conv, m.Seq, m.User.IfNone(""), m.Content.Map(TextOf).IfNone(""),
            m.Revoked.IfNone(0) != 0, m.DeletedStatus.IfNone(0) != 0)),
        None: () => s);

    static State Add(State s, Message m)
    {
        // A message already known keeps its own facts and gains the reload's: a reload never resurrects or rewinds it.
        var known = s.Messages.Find(m.Id);
        if (known.IsSome)
        {
            var k = (Message)known;
            // A reload's text other than any the message had is an edit the client missed (its answer lost, say).
            var edited = !k.Revoked && m.Text.Length > 0 && m.Text != k.Text && !k.Earlier.Contains(m.Text);
            return (m.Revoked && !k.Revoked) || (m.Deleted && !k.Deleted) || edited
                ? s with
                {
                    Messages = s.Messages.SetItem(m.Id, k with
                    {
                        Revoked = k.Revoked || m.Revoked, Deleted = k.Deleted || m.Deleted,
                        Text = edited ? m.Text : k.Text, Earlier = edited ? k.Earlier.AddOrUpdate(k.Text) : k.Earlier,
                    }),
                }
                : s;
        }
        // A revocation or deletion may arrive before its message: the message is stored with it.
        if (!s.MarkedEarly.IsEmpty)
            m = m with { Revoked = m.Revoked || s.MarkedEarly.Contains($"revoked:{m.Id}"), Deleted = m.Deleted || s.MarkedEarly.Contains($"deleted:{m.Id}") };
        var conv = s.Conversations.Find(m.ConvId).IfNone(new Conversation(m.ConvId, 0, 0, None, Map<OrdStringOrdinal, string, string>(), false));
        return s with
        {
            Messages = s.Messages.Add(m.Id, m),
            Conversations = conv.LastSeq >= m.Seq ? s.Conversations.AddOrUpdate(m.ConvId, conv) : s.Conversations.AddOrUpdate(m.ConvId, conv with { LastSeq = m.Seq }),
        };
    }

    static State Mark(State s, string id, Func<Message, Message> change, string early = "") => s.Messages.Find(id).Match(
        Some: m => change(m) is var n && n != m ? s with { Messages = s.Messages.SetItem(id, n) } : s,
        None: () => early.Length == 0 || s.MarkedEarly.Contains($"{early}:{id}") ? s : s with { MarkedEarly = s.MarkedEarly.Add($"{early}:{id}") });

    static State Edit(State s, string id, string text) => Mark(s, id, m => m.Revoked || m.Text == text ? m : m with { Text = text, Earlier = m.Earlier.AddOrUpdate(m.Text) });

    static State Pin(State s, string convId, string msgId, bool pin) => s.Conversations.Find(convId).Match(
        Some: c =>
        {
            var next = pin ? Some(msgId) : c.PinnedMsgId == Some(msgId) ? None : c.PinnedMsgId;
            return next == c.PinnedMsgId ? s : s with { Conversations = s.Conversations.SetItem(convId, c with { PinnedMsgId = next }) };
        },
        None: () => s);

    static State Read(State s, string convId, long seq) => s.Conversations.Find(convId).Match(
        Some: c => c.ReadSeq >= seq ? s : s with { Conversations = s.Conversations.SetItem(convId, c with { ReadSeq = seq }) },
        None: () => s);

    static State SetRole(State s, string convId, string user, string role) => s.Conversations.Find(convId).Match(
        Some: c => c.Roles.Find(user) == Some(role) ? s : s with { Conversations = s.Conversations.SetItem(convId, c with { Roles = c.Roles.AddOrUpdate(user, role) }) },
        None: () => s);

    static State EndConv(State s, string convId) => s.Conversations.Find(convId).Match(
        Some: c => c.Ended ? s : s with { Conversations = s.Conversations.SetItem(convId, c with { Ended = true }) },
        None: () => s);


}
