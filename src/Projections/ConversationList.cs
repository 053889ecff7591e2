namespace EventSourced.Projections;

/// <summary>
/// The user's conversations with every field the SDKs expose: identity, participants with roles
/// and read/received seq, flags, channel, unread count, last message, pinned message, ended/left.
/// </summary>
public static class ConversationList
{
    /// <summary>A participant and how far they have received and read.</summary>
    public sealed record Participant(string User, string Role, Option<string> DisplayName, Option<string> AvatarUrl,
        long LastMsgSeqReceived, long LastMsgSeqSeen);

    /// <summary>The last message summary.</summary>
    public sealed record LastMessage(string Id, long Seq, int Type, string Sender, Json Content, long Created);

    /// <summary>One conversation.</summary>
    public sealed record Conversation(string Id, Option<string> Name, Option<string> Avatar, Option<string> Creator, long Created,
        Map<OrdStringOrdinal, string, Participant> Participants, bool IsGroup, bool IsDistinct, int ChannelType, Option<string> CustomData,
        Option<string> OaId, long LastSeq, long ReadSeq, SeqMap<Unit> UnreadSeqs, int ServerUnread, Option<LastMessage> Last,
        long LastUpdate, Option<string> PinnedMsgId, bool Ended, Option<string> EndedBy, bool Left, bool Deleted)
    {
        /// <summary>Unread messages: those from others past this user's read seq (the server's count until any is known).</summary>
        public int Unread => UnreadSeqs.IsEmpty ? ServerUnread : UnreadSeqs.Count;

        /// <summary>An empty conversation with an id.</summary>
        public static Conversation Empty(string id) => new(id, None, None, None, 0, Map<OrdStringOrdinal, string, Participant>(), false, false, 0, None, None,
            0, 0, SeqMap<Unit>.Empty, 0, None, 0, None, false, None, false, false);
    }

    /// <summary>Read model state.</summary>
    public sealed record State(Option<string> Me, Map<OrdStringOrdinal, string, Conversation> ById)
    {
        /// <summary>No conversation.</summary>
        public static readonly State Initial = new(None, Map<OrdStringOrdinal, string, Conversation>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("conversation-list", State.Initial, Apply);

    /// <summary>Conversations as the user sees them: not deleted, latest update first.</summary>
    public static Seq<Conversation> Visible(State s) =>
        s.ById.Values.Filter(c => !c.Deleted).OrderByDescending(c => c.LastUpdate).ThenBy(c => c.Id, StringComparer.Ordinal).ToSeq();

    /// <summary>Number of conversations with unread messages.</summary>
    public static int UnreadConversations(State s) => Visible(s).Count(c => c.Unread > 0);

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(MessageSendRequested m, MessageSent sent, _) => Sent(s, sent.Result, m.Request.Type, m.Request.Message),
        Fact.Confirmed(ConversationUpdateRequested u, _, _) => Change(s, u.Request.ConvId, c => (u.Request.GroupName || c.Name) == c.Name && (u.Request.ImageUrl || c.Avatar) == c.Avatar ? c : c with
        {
            Name = u.Request.GroupName || c.Name, Avatar = u.Request.ImageUrl || c.Avatar,
        }),
        Fact.Confirmed(RoleSetRequested r, _, _) => Change(s, r.Request.ConvId, c => c.Participants.Find(r.Request.UserId).Match(
            p => p.Role == r.Request.Role ? c : c with { Participants = c.Participants.SetItem(r.Request.UserId, p with { Role = r.Request.Role }) }, () => c)),
        Fact.Confirmed(MessagePinRequested p, _, _) => Pin(s, p.Request.ConvId, p.Request.MsgId, p.Request.IsPin),
        Fact.Of o => Observe(s, o.Event),
        _ => s,
    };

    static State Observe(State s, Event e) => e switch
    {
        Connected c => c.Result.UserId.IsSome && s.Me != c.Result.UserId ? s with { Me = c.Result.UserId } : s,
        ConversationCreated c => Upsert(s, c.Result.Conversation),
        ConversationsLoaded l => Chat.Distinct(l.Result.ListConvs).Fold(s, Upsert),
        ConversationWithUserLoaded l => Chat.Distinct(l.Result.Conversations).Fold(s, Upsert),
        // An answer to no waiting command (a duplicate) still moves the conversation; the content is the command's to give.
        MessageSent m => Sent(s, m.Result, 1, Json.Obj.Empty),
        MessageReceived m => Message(s, m.Packet.ConvId, new LastMessage(m.Packet.MsgId, m.Packet.Seq, m.Packet.Type, m.Packet.From, m.Packet.Message, m.Packet.CreatedTime)),
        MessagesLoaded l => l.Result.Msgs.Fold(s, Loaded),
        MessagesByIdsLoaded l => l.Result.ListMsgs.Fold(s, Loaded),
        MessageReportReceived r => Report(s, r.Packet.ConvId, r.Packet.From, r.Packet.LastMsgSeq, r.Packet.Status),
        ConversationReadMarked r => s.Me.Match(me => Report(s, r.Request.ConvId, me, r.Request.LastMsgSeq, 2), () => Read(s, r.Request.ConvId, r.Request.LastMsgSeq)),
        MessageDeliveryReported r => s.Me.Match(me => Report(s, r.Request.ConvId, me, r.Request.LastMsgSeq, 1), () => s),
        ParticipantsAdded a => a.Result.ConvId.Match(c => Add(s, c, a.Result.Added), () => s),
        ParticipantsAddedNotified a => Add(s, a.Packet.ConvId, a.Packet.Added),
        ParticipantsRemoved r => r.Result.ConvId.Match(c => r.Result.Removed.Fold(s, (st, p) => Remove(st, c, p.User)), () => s),
        ParticipantRemovedNotified r => RemovedUser(r.Packet.RemovedInfo).Match(u => Remove(s, r.Packet.GroupId, u), () => s),
        ConversationDeleted d => Change(s, d.Result.ConvId, c => c.Deleted ? c : c with { Deleted = true }),
        MessagePinChanged p => Pin(s, p.Packet.ConvId, p.Packet.MsgId, p.Packet.IsPin),
        ChatEnded c => Change(s, c.Result.ConvId, x => x.Ended && x.EndedBy == Some(c.Result.Endedby) ? x : x with { Ended = true, EndedBy = c.Result.Endedby }),
        ConversationEnded c => Change(s, c.Packet.ConvId, x => x.Ended && x.EndedBy == Some(c.Packet.Endedby) ? x : x with { Ended = true, EndedBy = c.Packet.Endedby }),
        UserInfoChanged u => s.ById.Fold(s, (st, kv) => Change(st, kv.Key, c => c.Participants.Find(u.Packet.UserId).Match(
            p => p with { DisplayName = u.Packet.DisplayName || p.DisplayName, AvatarUrl = u.Packet.AvatarUrl || p.AvatarUrl } is var q && q != p
                ? c with { Participants = c.Participants.SetItem(u.Packet.UserId, q) } : c,
            () => c))),
        LocalDataCleared => State.Initial with { Me = s.Me },
        _ => s,
    };

    /// <summary>The user id inside 61's <c>removedInfo</c> (a JSON string <c>{"user":id}</c>, or a bare id).</summary>
    public static Option<string> RemovedUser(string removedInfo) => Json.Parse(removedInfo).Match(
        Right: j => j is Json.Obj o ? o["user"].Bind(u => u is Json.Str str ? Some(str.Value) : None) : j is Json.Str str2 ? Some(str2.Value) : None,
        Left: _ => string.IsNullOrWhiteSpace(removedInfo) ? None : Some(removedInfo));

    // Change functions return the same instance when nothing changes, so a reference comparison says whether anything did.
    static State Change(State s, string id, Func<Conversation, Conversation> f) => s.ById.Find(id).Match(
        Some: c => f(c) is var n && !ReferenceEquals(n, c) ? s with { ById = s.ById.SetItem(id, n) } : s,
        None: () => s);

    static State Upsert(State s, ConversationInfo i)
    {
        var c = s.ById.Find(i.ConvId).IfNone(Conversation.Empty(i.ConvId));
        var participants = i.Participants.Match(
            ps => ps.Fold(Map<OrdStringOrdinal, string, Participant>(), (m, p) => m.AddOrUpdate(p.User, new Participant(p.User, p.Role.IfNone("member"), p.DisplayName, p.AvatarUrl,
                Math.Max(p.LastMsgSeqReceived.IfNone(0), c.Participants.Find(p.User).Map(x => x.LastMsgSeqReceived).IfNone(0)),
                Math.Max(p.LastMsgSeqSeen.IfNone(0), c.Participants.Find(p.User).Map(x => x.LastMsgSeqSeen).IfNone(0))))),
            () => c.Participants);
        var lastSeq = Math.Max(c.LastSeq, i.ConvLastSeq.IfNone(0));
        var readSeq = Math.Max(c.ReadSeq, i.LastMsgSeqSeen.IfNone(0));
        var last = i.LastMsgId.Match(
            id => i.ConvLastSeq.IfNone(0) >= c.Last.Map(l => l.Seq).IfNone(0)
                ? Some(new LastMessage(id, i.ConvLastSeq.IfNone(0), i.LastMsgType.IfNone(1), i.LastMsgSender.IfNone(""), i.LastMsg.IfNone(Json.Obj.Empty),
                    i.LastTimeNewMsg.IfNone(0)))
                : c.Last,
            () => c.Last);
        var n = c with
        {
            Name = i.ConvName || c.Name, Avatar = i.AvatarUrl || c.Avatar, Creator = i.Creator || c.Creator, Created = i.Created.IfNone(c.Created),
            Participants = participants, IsGroup = i.IsGroup.IfNone(c.IsGroup), IsDistinct = i.IsDistinct.IfNone(c.IsDistinct),
            ChannelType = i.ChannelType.IfNone(c.ChannelType), CustomData = i.CustomData || c.CustomData, OaId = i.OaId || c.OaId,
            LastSeq = lastSeq, ReadSeq = readSeq, UnreadSeqs = c.UnreadSeqs.RemoveUpTo(readSeq), ServerUnread = i.Unread.IfNone(c.ServerUnread),
            Last = last, LastUpdate = Math.Max(c.LastUpdate, i.LastUpdate.IfNone(0)),
            PinnedMsgId = Chat.PinnedAfter(i, c.PinnedMsgId),
            Ended = c.Ended || i.Ended.Map(j => j is Json.Bool { Value: true } || j is Json.Number { Value: not 0m }).IfNone(false),
            Deleted = false,
            Left = s.Me.Match(me => i.Participants.Match(ps => !ps.Exists(p => p.User == me), () => c.Left), () => c.Left),
        };
        return n == c && s.ById.ContainsKey(i.ConvId) ? s : s with { ById = s.ById.AddOrUpdate(i.ConvId, n) };
    }

    static State Sent(State s, SendMessageResult r, int type, Json content) =>
        Message(s, r.ConvId, new LastMessage(r.MsgId, r.Seq, type, s.Me.IfNone(""), content, r.Created));

    static State Loaded(State s, MessageInfo m) => m.ConvId.Match(
        Some: conv => Message(s, conv, new LastMessage(m.Id, m.Seq, m.Type.IfNone(1), m.User.IfNone(""), m.Content.IfNone(Json.Obj.Empty), m.Created.IfNone(0))),
        None: () => s);

    // The hot path of a replay (every message goes through here): no closure, one walk of the unread set.
    static State Message(State s, string convId, LastMessage m)
    {
        var found = s.ById.Find(convId);
        var c = found.IsSome ? (Conversation)found : Conversation.Empty(convId);
        // The last message is the maximum by (seq, id): the same message again (a duplicate, our own echoed) changes nothing.
        var last = c.Last.IsSome ? (LastMessage)c.Last : null;
        var newer = last is null || m.Seq > last.Seq || (m.Seq == last.Seq && string.CompareOrdinal(m.Id, last.Id) > 0);
        var fromOther = s.Me.IsNone || (string)s.Me != m.Sender;
        // TryAdd leaves the count unchanged when the seq is already unread.
        var unreadSeqs = fromOther && m.Seq > c.ReadSeq ? c.UnreadSeqs.TryAdd(m.Seq, unit) : c.UnreadSeqs;
        var unread = unreadSeqs.Count != c.UnreadSeqs.Count;
        if (found.IsSome && !newer && !unread && m.Seq <= c.LastSeq && m.Created <= c.LastUpdate) return s;
        var n = c with
        {
            LastSeq = Math.Max(c.LastSeq, m.Seq),
            Last = newer ? m : c.Last,
            LastUpdate = Math.Max(c.LastUpdate, m.Created),
            UnreadSeqs = unread ? unreadSeqs : c.UnreadSeqs,
        };
        return s with { ById = s.ById.AddOrUpdate(convId, n) };
    }

    static State Report(State s, string convId, string user, long seq, int status)
    {
        // A report may arrive before anything else of its conversation: it still counts.
        var t = Change(s.ById.ContainsKey(convId) ? s : s with { ById = s.ById.Add(convId, Conversation.Empty(convId)) }, convId, c =>
        {
            var p = c.Participants.Find(user).IfNone(new Participant(user, "member", None, None, 0, 0));
            var q = status == 2
                ? p with { LastMsgSeqSeen = Math.Max(p.LastMsgSeqSeen, seq), LastMsgSeqReceived = Math.Max(p.LastMsgSeqReceived, seq) }
                : p with { LastMsgSeqReceived = Math.Max(p.LastMsgSeqReceived, seq) };
            return q == p && c.Participants.ContainsKey(user) ? c : c with { Participants = c.Participants.AddOrUpdate(user, q) };
        });
        return status == 2 && s.Me == Some(user) ? Read(t, convId, seq) : t;
    }

    static State Read(State s, string convId, long seq) => Change(s, convId, c => c.ReadSeq >= seq ? c
        : c with { ReadSeq = seq, UnreadSeqs = c.UnreadSeqs.RemoveUpTo(seq), ServerUnread = 0 });

    static State Add(State s, string convId, Seq<EventSourced.Domain.Packets.Participant> added) => Change(s, convId, c =>
    {
        var left = c.Left && !s.Me.Exists(me => added.Exists(p => p.User == me));
        if (!added.Exists(p => !c.Participants.ContainsKey(p.User)) && left == c.Left) return c;
        var participants = added.Fold(c.Participants, (m, p) => m.ContainsKey(p.User) ? m
            : m.Add(p.User, new Participant(p.User, p.Role.IfNone("member"), p.DisplayName, p.AvatarUrl, 0, 0)));
        return c with { Participants = participants, Left = left };
    });

    static State Remove(State s, string convId, string user) => Change(s, convId, c =>
    {
        var left = c.Left || s.Me == Some(user);
        return !c.Participants.ContainsKey(user) && left == c.Left ? c : c with { Participants = c.Participants.Remove(user), Left = left };
    });

    static State Pin(State s, string convId, string msgId, bool pin) => Change(s, convId, c =>
    {
        var next = pin ? Some(msgId) : c.PinnedMsgId == Some(msgId) ? None : c.PinnedMsgId;
        return next == c.PinnedMsgId ? c : c with { PinnedMsgId = next };
    });
}
