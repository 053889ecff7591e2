namespace EventSourced.Projections;

/// <summary>
/// Messages of every conversation ordered by server <c>seq</c>: type, content, sender, delivery
/// state, deleted, pinned, edited with every earlier version, revoked. The user view hides what
/// was deleted or cleared and blanks revoked content; the audit view keeps every version.
/// </summary>
public static class Timeline
{
    /// <summary>Message state (§8.2): wire values of the SDKs.</summary>
    public enum MessageState
    {
        /// <summary>Created locally.</summary>
        Initialize = 0,
        /// <summary>Sent, not yet acknowledged.</summary>
        Sending = 1,
        /// <summary>The server assigned it a seq.</summary>
        Sent = 2,
        /// <summary>Another participant received it.</summary>
        Delivered = 3,
        /// <summary>Another participant read it.</summary>
        Read = 4,
    }

    /// <summary>A message with its full history. <c>Versions</c> holds the original first, then every edit.</summary>
    public sealed record Message(string Id, string ConvId, long Seq, Option<string> LocalId, string Sender, int Type, long Created,
        bool Deleted, bool Revoked, Seq<Json.Obj> Versions)
    {
        // Most messages are never edited: the original is held alone, and a sequence only for the edits (an unedited
        // message holds no sequence at all; a replay keeps millions of them).
        readonly Json.Obj? original = OriginalOf(Versions);
        readonly Seq<Json.Obj> edits = EditsOf(Versions);

        static Json.Obj? OriginalOf(Seq<Json.Obj> versions) => versions.IsEmpty ? null : versions.Head;
        static Seq<Json.Obj> EditsOf(Seq<Json.Obj> versions) => versions.Count > 1 ? versions.Tail.Strict() : Seq<Json.Obj>();

        /// <summary>A message as first sent: one version, <paramref name="content"/>.</summary>
        public Message(string id, string convId, long seq, Option<string> localId, string sender, int type, long created, bool deleted, bool revoked, Json.Obj content)
            : this(id, convId, seq, localId, sender, type, created, deleted, revoked, Seq<Json.Obj>()) => original = content;

        /// <summary>The original first, then every edit.</summary>
        public Seq<Json.Obj> Versions
        {
            get => original is null ? Seq<Json.Obj>() : edits.IsEmpty ? Seq1(original) : original.Cons(edits);
            init
            {
                original = OriginalOf(value);
                edits = EditsOf(value);
            }
        }

        /// <summary>The current content (the last version).</summary>
        public Json.Obj Content => edits.IsEmpty ? original ?? throw new InvalidOperationException("a message without content") : edits.Last;
        /// <summary>The content as first sent.</summary>
        public Json.Obj Original => original ?? throw new InvalidOperationException("a message without content");
        /// <summary>True once edited.</summary>
        public bool Edited => !edits.IsEmpty;

        /// <summary>This message with one more version.</summary>
        public Message WithEdit(Json.Obj content) => this with { Versions = Versions.Add(content) };
    }

    /// <summary>How far a participant has received and read.</summary>
    public sealed record Reads(long Received, long Seen);

    /// <summary>A message recorded as sent but not yet given a seq by the server (the outbox); <c>Order</c> is its request id, the order it was sent in.</summary>
    public sealed record Outgoing(string LocalId, string ConvId, int Type, Json.Obj Content, long Order);

    /// <summary>One conversation's messages.</summary>
    public sealed record Conversation(string Id, SeqMap<Message> BySeq, Map<OrdStringOrdinal, string, long> SeqOf, Map<OrdStringOrdinal, string, Reads> Reports,
        Option<string> Pinned, long ClearedUpTo, Set<OrdStringOrdinal, string> RevokedIds, Set<OrdStringOrdinal, string> DeletedIds, bool Deleted)
    {
        /// <summary>No message.</summary>
        public static Conversation Empty(string id) => new(id, SeqMap<Message>.Empty, Map<OrdStringOrdinal, string, long>(), Map<OrdStringOrdinal, string, Reads>(), None, 0,
            Set<OrdStringOrdinal, string>(), Set<OrdStringOrdinal, string>(), false);
    }

    /// <summary>Read model state.</summary>
    public sealed record State(Option<string> Me, Map<OrdStringOrdinal, string, Conversation> Conversations, Map<OrdStringOrdinal, string, Outgoing> Outbox)
    {
        /// <summary>Nothing known.</summary>
        public static readonly State Initial = new(None, Map<OrdStringOrdinal, string, Conversation>(), Map<OrdStringOrdinal, string, Outgoing>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("timeline", State.Initial, Apply);

    /// <summary>A message as the user sees it.</summary>
    public sealed record MessageView(string Id, long Seq, string Sender, int Type, Json.Obj Content, long Created, MessageState State,
        bool Edited, bool Revoked, bool Pinned)
    {
        /// <summary>The message's text (its content's <c>content</c> field) as shown now: empty for a revoked message or one without text.</summary>
        public string Text => Content["content"].Match(j => j is Json.Str s ? s.Value : "", () => "");
    }

    /// <summary>The user's view of one conversation, oldest first: deleted and cleared messages hidden, revoked content blanked.</summary>
    public static Seq<MessageView> View(State s, string convId) => s.Conversations.Find(convId).Match(
        Some: c => c.Deleted ? Seq<MessageView>() : c.BySeq.Values
            .Filter(m => Shown(c, m))
            .Map(m => Project(s, c, m))
            .ToSeq(),
        None: () => Seq<MessageView>());

    /// <summary>The message at <paramref name="seq"/> as the user sees it, if the user's view shows it.</summary>
    public static Option<MessageView> ViewAt(State s, string convId, long seq) =>
        s.Conversations.Find(convId).Bind(c => c.Deleted ? None : c.BySeq.Find(seq).Filter(m => Shown(c, m)).Map(m => Project(s, c, m)));

    static bool Shown(Conversation c, Message m) => !m.Deleted && m.Seq > c.ClearedUpTo;

    static MessageView Project(State s, Conversation c, Message m) =>
        new(m.Id, m.Seq, m.Sender, m.Type, m.Revoked ? Json.Obj.Empty : m.Content, m.Created, StateOf(s.Me, c, m), m.Edited, m.Revoked, c.Pinned == Some(m.Id));

    /// <summary>The audit view of one conversation: every message ever seen, with every version, revoked and deleted included.</summary>
    public static Seq<Message> Audit(State s, string convId) =>
        s.Conversations.Find(convId).Map(c => c.BySeq.Values.ToSeq()).IfNone(Seq<Message>());

    /// <summary>Messages waiting for the server, in the order they were sent.</summary>
    public static Seq<Outgoing> Pending(State s, string convId) => Outbox(s).Filter(o => o.ConvId == convId);

    /// <summary>Every message waiting for the server, in the order they were sent.</summary>
    public static Seq<Outgoing> Outbox(State s) => s.Outbox.Values.OrderBy(o => o.Order).ToSeq();

    /// <summary>One message by id.</summary>
    public static Option<Message> Find(State s, string convId, string msgId) =>
        s.Conversations.Find(convId).Bind(c => c.SeqOf.Find(msgId).Bind(q => c.BySeq.Find(q)));

    /// <summary>SENT, DELIVERED or READ from the other participants' reports (§7.2).</summary>
    public static MessageState StateOf(Option<string> me, Conversation c, Message m)
    {
        var others = c.Reports.Filter((user, _) => user != m.Sender).Values.ToSeq();
        if (others.Exists(r => r.Seen >= m.Seq)) return MessageState.Read;
        if (others.Exists(r => r.Received >= m.Seq)) return MessageState.Delivered;
        return MessageState.Sent;
    }

    /// <summary>The creation message (type 7) that 41's answer carries as lastMsg, in the conversation it names (or the one created).</summary>
    public static Option<MessageInfo> CreationMessage(ConversationCreated c) =>
        c.Result.Conversation.LastMsg.Bind(j => j is Json.Obj o ? BodyCodec.Decode<MessageInfo>(o).ToOption() : None)
            .Map(m => m with { ConvId = m.ConvId || Some(c.Result.Conversation.ConvId) });

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(MessageSendRequested m, MessageSent sent, _) => Sent(s, sent.Result, Some(m.Request)),
        Fact.Confirmed(MessageEditRequested ed, _, _) => Edit(s, ed.Request.ConvId, ed.Request.MsgId, Chat.ContentOf(ed.Request.NewContent)),
        Fact.Confirmed(MessagePinRequested p, _, _) => Pin(s, p.Request.ConvId, p.Request.MsgId, p.Request.IsPin),
        Fact.Confirmed(HistoryClearRequested h, _, _) => Change(s, h.Request.ConvId, c => c.ClearedUpTo >= h.Request.Seq ? c : c with { ClearedUpTo = h.Request.Seq }),
        // A refused message leaves the outbox: it is not pending any more and is never sent again. A refusal that
        // says "try later" (the server could not store it, or too many requests) keeps it for the next flush.
        Fact.Rejected(MessageSendRequested m, _, var code, _, _) when !Fact.Retryable(code) =>
            m.Request.LocalDbId.Match(l => s.Outbox.ContainsKey(l) ? s with { Outbox = s.Outbox.Remove(l) } : s, () => s),
        Fact.Of o => Observe(s, o.Event),
        _ => s,
    };

    static State Observe(State s, Event e) => e switch
    {
        Connected c => c.Result.UserId.IsSome && s.Me != c.Result.UserId ? s with { Me = c.Result.UserId } : s,
        MessageSendRequested m => s with
        {
            // A resend after a reconnect keeps the message's first place in the order.
            Outbox = s.Outbox.AddOrUpdate(m.Request.LocalDbId.IfNone(""), new Outgoing(m.Request.LocalDbId.IfNone(""), m.Request.ConvId, m.Request.Type, m.Request.Message,
                s.Outbox.Find(m.Request.LocalDbId.IfNone("")).Map(o => o.Order).IfNone(m.Request.RequestId.IfNone(0)))),
        },
        MessageSent m => Sent(s, m.Result, None),
        MessageReceived m => Received(s, m.Packet),
        MessagesLoaded l => l.Result.Msgs.Fold(s, Loaded),
        MessagesByIdsLoaded l => l.Result.ListMsgs.Fold(s, Loaded),
        MessageEdited ed => Edit(s, ed.Packet.ConvId, ed.Packet.MsgId, Chat.ContentOf(ed.Packet.NewContent)),
        MessagesRevoked r => r.Packet.MsgIds.Fold(s, (st, id) => Revoke(st, r.Packet.ConvId, id)),
        MessageRevokeAnswered r => r.Result.MsgIds.Fold(s, (st, id) => Revoke(st, r.Result.ConvId, id)),
        MessagesDeleted d => d.Result.MessageIds.Fold(s, (st, id) => Delete(st, d.Result.ConvId, id)),
        MessagePinChanged p => Pin(s, p.Packet.ConvId, p.Packet.MsgId, p.Packet.IsPin),
        MessageReportReceived r => Report(s, r.Packet.ConvId, r.Packet.From, r.Packet.LastMsgSeq, r.Packet.Status == 2),
        ConversationReadMarked r => s.Me.Match(me => Report(s, r.Request.ConvId, me, r.Request.LastMsgSeq, true), () => s),
        MessageDeliveryReported r => s.Me.Match(me => Report(s, r.Request.ConvId, me, r.Request.LastMsgSeq, false), () => s),
        ConversationDeleted d => Change(s, d.Result.ConvId, c => c.Deleted ? c : c with { Deleted = true }),
        // 41's answer carries the creation message (type 7) as lastMsg: the creator gets it from there.
        ConversationCreated c => ServerPin(CreationMessage(c).Match(m => Loaded(Reopen(s, c.Result.Conversation.ConvId), m), () => Reopen(s, c.Result.Conversation.ConvId)),
            c.Result.Conversation),
        ConversationsLoaded l => Chat.Distinct(l.Result.ListConvs).Fold(s, ServerPin),
        ConversationWithUserLoaded l => Chat.Distinct(l.Result.Conversations).Fold(s, ServerPin),
        LocalDataCleared => State.Initial with { Me = s.Me },
        _ => s,
    };

    // A listing says which message is pinned now, as every read model reads it (Chat.PinnedAfter).
    static State ServerPin(State s, ConversationInfo c)
    {
        var current = s.Conversations.Find(c.ConvId).Bind(x => x.Pinned);
        var next = Chat.PinnedAfter(c, current);
        return next == current ? s : next.Match(id => Pin(s, c.ConvId, id, true), () => Pin(s, c.ConvId, (string)current, false));
    }

    static State Reopen(State s, string convId) => Change(s, convId, x => x.Deleted ? x with { Deleted = false } : x, create: true);

    static State Change(State s, string convId, Func<Conversation, Conversation> f, bool create = false)
    {
        var found = s.Conversations.Find(convId);
        if (found.IsNone && !create) return s;
        var c = found.IsSome ? (Conversation)found : Conversation.Empty(convId);
        var n = f(c);
        // Every change function returns the same instance when nothing changes: comparing references keeps this O(1)
        // (value equality would compare the whole conversation on every event).
        return found.IsSome && ReferenceEquals(n, c) ? s : s with { Conversations = s.Conversations.AddOrUpdate(convId, n) };
    }

    static State Sent(State s, SendMessageResult r, Option<SendMessage> command)
    {
        var local = r.LocalDbId.Bind(l => s.Outbox.Find(l))
            || command.Bind(m => m.LocalDbId.Bind(l => s.Outbox.Find(l)))
            || command.Map(m => new Outgoing(m.LocalDbId.IfNone(""), m.ConvId, m.Type, m.Message, m.RequestId.IfNone(0)));
        var t = local.Match(o => s.Outbox.ContainsKey(o.LocalId) ? s with { Outbox = s.Outbox.Remove(o.LocalId) } : s, () => s);
        var content = local.Map(o => o.Content).IfNone(Json.Obj.Empty);
        return Add(t, new Message(r.MsgId, r.ConvId, r.Seq, r.LocalDbId || local.Map(o => o.LocalId), s.Me.IfNone(""),
            local.Map(o => o.Type).IfNone(1), r.Created, false, false, content));
    }

    static State Loaded(State s, MessageInfo i) => i.ConvId.Match(
        Some: convId =>
        {
            var content = i.Content.Map(Chat.ContentOf).IfNone(Json.Obj.Empty);
            var revoked = i.Revoked.IfNone(0) != 0;
            var deleted = i.DeletedStatus.IfNone(0) != 0;
            var t = Find(s, convId, i.Id).IsNone
                ? Add(s, new Message(i.Id, convId, i.Seq, i.LocalDbId, i.User.IfNone(""), i.Type.IfNone(1), i.Created.IfNone(0), false, false, content))
                : s;
            // A reload only adds facts: a later version, a revocation, a deletion. It never resurrects or rewinds.
            t = revoked ? Revoke(t, convId, i.Id) : t;
            t = deleted ? Delete(t, convId, i.Id) : t;
            return content.Fields.IsEmpty ? t : Edit(t, convId, i.Id, content, fromReload: true);
        },
        None: () => s);

    // The hot path of a replay (most events are messages arriving): no closure, and one walk of each tree.
    static State Received(State s, MessageNotice p)
    {
        var t = p.LocalDbId.IsSome && s.Outbox.ContainsKey((string)p.LocalDbId) ? s with { Outbox = s.Outbox.Remove((string)p.LocalDbId) } : s;
        // The message holds its conversation's own id string rather than the copy each notice decodes (a replay keeps millions).
        var found = t.Conversations.Find(p.ConvId);
        var convId = found.IsSome ? ((Conversation)found).Id : p.ConvId;
        return Add(t, found, new Message(p.MsgId, convId, p.Seq, p.LocalDbId, p.From, p.Type, p.CreatedTime, false, false, p.Message));
    }

    // A message already known by id, or a seq already taken, changes nothing (the conversation is still created).
    static State Add(State s, Message m) => Add(s, s.Conversations.Find(m.ConvId), m);

    // found: the conversation of m in s, looked up already.
    static State Add(State s, Option<Conversation> found, Message m)
    {
        var c = found.IsSome ? (Conversation)found : Conversation.Empty(m.ConvId);
        // TryAdd leaves the count unchanged when the key is there: one walk instead of a lookup and then an insert.
        var seqOf = c.SeqOf.TryAdd(m.Id, m.Seq);
        var bySeq = seqOf.Count == c.SeqOf.Count ? c.BySeq : c.BySeq.TryAdd(m.Seq, Marked(c, m));
        var n = bySeq.Count == c.BySeq.Count ? c : c with { BySeq = bySeq, SeqOf = seqOf };
        return found.IsSome && ReferenceEquals(n, c) ? s : s with { Conversations = s.Conversations.AddOrUpdate(m.ConvId, n) };
    }

    // A revocation or deletion may arrive before its message: the message is stored with it.
    static Message Marked(Conversation c, Message m)
    {
        var revoked = !m.Revoked && !c.RevokedIds.IsEmpty && c.RevokedIds.Contains(m.Id);
        var deleted = !m.Deleted && !c.DeletedIds.IsEmpty && c.DeletedIds.Contains(m.Id);
        return revoked || deleted ? m with { Revoked = m.Revoked || revoked, Deleted = m.Deleted || deleted } : m;
    }

    static State ChangeMessage(State s, string convId, string msgId, Func<Message, Message> f) => Change(s, convId, c =>
        c.SeqOf.Find(msgId).Bind(q => c.BySeq.Find(q)).Match(
            Some: m => f(m) is var n && n != m ? c with { BySeq = c.BySeq.SetItem(m.Seq, n) } : c,
            None: () => c));

    // fromReload: a reloaded message whose content equals any known version adds nothing (a stale copy);
    // an edit notice only has to differ from the current content (A -> B -> A is two edits).
    static State Edit(State s, string convId, string msgId, Json.Obj newContent, bool fromReload = false) => ChangeMessage(s, convId, msgId, m =>
    {
        if (m.Revoked) return m; // an edit never resurrects revoked content
        // A notice carries the changed fields; a reload carries the whole content as the server holds it.
        var merged = fromReload ? newContent : new Json.Obj(newContent.Fields.Fold(m.Content.Fields, (acc, kv) => acc.AddOrUpdate(kv.Key, kv.Value)));
        return merged == m.Content || (fromReload && m.Versions.Exists(v => v == merged)) ? m : m.WithEdit(merged);
    });

    static State Revoke(State s, string convId, string msgId) => ChangeMessage(
        Change(s, convId, c => c.RevokedIds.Contains(msgId) ? c : c with { RevokedIds = c.RevokedIds.Add(msgId) }, create: true),
        convId, msgId, m => m.Revoked ? m : m with { Revoked = true });

    static State Delete(State s, string convId, string msgId) => ChangeMessage(
        Change(s, convId, c => c.DeletedIds.Contains(msgId) ? c : c with { DeletedIds = c.DeletedIds.Add(msgId) }, create: true),
        convId, msgId, m => m.Deleted ? m : m with { Deleted = true });

    static State Pin(State s, string convId, string msgId, bool pin) => Change(s, convId, c =>
    {
        var next = pin ? Some(msgId) : c.Pinned == Some(msgId) ? None : c.Pinned;
        return next == c.Pinned ? c : c with { Pinned = next };
    }, create: true);

    static State Report(State s, string convId, string user, long seq, bool seen) => Change(s, convId, c =>
    {
        var r = c.Reports.Find(user).IfNone(new Reads(0, 0));
        var n = seen ? new Reads(Math.Max(r.Received, seq), Math.Max(r.Seen, seq)) : r with { Received = Math.Max(r.Received, seq) };
        return n == r && c.Reports.ContainsKey(user) ? c : c with { Reports = c.Reports.AddOrUpdate(user, n) };
    }, create: true);
}
