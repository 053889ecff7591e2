using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using static EventSourced.Domain.Server.ServerEvent;

namespace EventSourced.Domain.Server;

/// <summary>Who sent a request: the authenticated user and the connection it came on.</summary>
public sealed record Caller(string UserId, long ConnectionId, long ProjectId, Option<string> ServiceId);

/// <summary>A packet to deliver to every live session of some users (but the one that caused it).</summary>
public sealed record Delivery(Seq<string> Users, Option<long> ExceptConnection, Packet Packet, bool PushIfOffline);

/// <summary>What handling a request decided: events to record, the reply to the caller, packets to fan out.</summary>
public sealed record Outcome(Seq<ServerEvent> Events, Option<Json.Obj> Reply, Seq<Delivery> Deliveries);

/// <summary>A live-chat queue: its agents in routing order and its timeouts.</summary>
public sealed record QueueRules(string Id, string Name, Seq<string> Agents, long AgentTimeoutMs, long QueueTimeoutMs);

/// <summary>The server's configuration as its decisions see it.</summary>
public sealed record ServerRules(Map<OrdStringOrdinal, string, QueueRules> Queues)
{
    /// <summary>Most participants a conversation may have (a create or add beyond it is refused).</summary>
    public int MaxParticipants { get; init; } = 500;
    /// <summary>Most bytes of one listing's answer: longer listings are cut to fit and the client pages on.</summary>
    public int MaxReplyBytes { get; init; } = 512 * 1024;
    /// <summary>Most bytes of one message's content (its JSON).</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;

    /// <summary>True when the user is an agent of any queue.</summary>
    public bool IsAgent(string user) => Queues.Values.Exists(q => q.Agents.Contains(user));
}

/// <summary>The server's <c>r</c> codes for refused requests (0 success, 2 existing distinct conversation).</summary>
public static class ServerErrors
{
    public const int InvalidRequest = 1;
    public const int ConversationNotFound = 3;
    public const int NotParticipant = 4;
    public const int MessageNotFound = 5;
    public const int NotSender = 6;
    public const int Revoked = 7;
    public const int NotAllowed = 8;
    public const int AdminOnly = 10;
    public const int Ended = 11;
    public const int Blocked = 12;
    public const int QueueNotFound = 13;
    public const int NoRequest = 14;
    public const int NotAuthenticated = 16;
    public const int UnknownService = 18;
    /// <summary>The server could not record the request (its storage failed): nothing of it was applied; retry.</summary>
    public const int StorageUnavailable = 19;
    /// <summary>Too many requests from this user or address in a short time; retry later.</summary>
    public const int RateLimited = 20;
    /// <summary>A field is too long, too large or has too many items.</summary>
    public const int TooLarge = 21;
}

/// <summary>
/// The local server's decisions: a request, the state and the time give events, a reply and the
/// notifications to fan out, or a refusal with <c>r != 0</c> and a clear message. Pure.
/// </summary>
public static class ServerDecider
{
    static Outcome Fail(Option<long> requestId, int r, string message) =>
        new(Seq<ServerEvent>(), Reply(requestId, r).With("message", message), Seq<Delivery>());

    static Json.Obj Reply(Option<long> requestId, int r = 0) =>
        requestId.Match(id => Json.Object(("r", (long)r), ("requestId", id)), () => Json.Object(("r", (long)r)));

    static Json.Obj Fields(Json.Obj target, Json.Obj extra) => new(extra.Fields.Fold(target.Fields, (m, kv) => m.AddOrUpdate(kv.Key, kv.Value)));

    static Delivery To(IEnumerable<string> users, Caller c, Service s, Body body, bool push = false) =>
        new(toSeq(users).Strict(), c.ConnectionId, Protocol.Encode(s, body), push);

    /// <summary>Handles one decoded request.</summary>
    public static Outcome Handle(ServerState s, ServerRules rules, Caller c, Service service, Body request, long now)
    {
        var id = request is IRequest q ? q.RequestId : None;
        return request switch
        {
            CreateConversation x => Create(s, rules, c, x, now),
            SendMessage x => x.Message.ToUtf8().Length > rules.MaxMessageBytes
                ? Fail(id, ServerErrors.TooLarge, $"message content exceeds {rules.MaxMessageBytes} bytes")
                : Member(s, c, x.ConvId, id).Bind(conv => conv.Ended ? Left<Outcome, StoredConversation>(Fail(id, ServerErrors.Ended, "Conversation has ended")) : conv)
                    .Match(conv => Send(s, c, conv, x, now), f => f),
            ReportMessage x => Member(s, c, x.ConvId, id).Match(conv =>
            {
                var me = conv.Members[c.UserId];
                var seq = Math.Min(x.LastMsgSeq, conv.LastSeq);
                var known = x.Status == 2 ? me.Seen : me.Received;
                // Recorded when it advances; told to the others unless it goes backwards (posting advances the
                // sender's own seq silently, so an explicit report of the same seq must still be heard).
                var events = seq > known ? Seq1<ServerEvent>(new Reported(conv.Id, c.UserId, seq, x.Status, now)) : Seq<ServerEvent>();
                var notices = seq >= known && seq > 0
                    ? Seq1(To(conv.Members.Keys.Filter(u => u != c.UserId), c, Service.ChatMessageReportFromServer, new ReportNotice(conv.Id, c.UserId, seq, x.Status)))
                    : Seq<Delivery>();
                return new Outcome(events, Reply(id), notices);
            }, f => f),
            LoadConversations x => Ok(id, Json.Object(("listConvs", Fit(rules, Visible(s, c.UserId)
                .Filter(v => v.LastUpdate > x.LastUpdateGreater && v.LastUpdate < x.LastUpdateSmaller)
                .Filter(v => x.ChannelTypes.ForAll(types => types.IsEmpty || types.Contains(v.ChannelType)))
                .Filter(v => x.Ended.Match(e => e switch { 0 => !v.Ended, 1 => v.Ended, _ => true }, () => true))
                .OrderByDescending(v => v.LastUpdate).ThenByDescending(v => v.Activity).Take(Math.Clamp(x.Limit, 0, 500)).Map(v => ConvJson(s, v, c.UserId)))))),
            GetConversationsByIds x => Ok(id, Json.Object(("listConvs", Fit(rules, toSeq(x.ConvIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Distinct().Choose(cid => s.Conversations.Find(cid).Filter(v => v.Members.ContainsKey(c.UserId))).Map(v => ConvJson(s, v, c.UserId)))))),
            GetConversationWithUser x => Ok(id, Json.Object(("conversations", new Json.Arr(s.Conversations.Values
                .Filter(v => v.Distinct && !v.IsGroup && v.Members.Count == x.Participants.Distinct().Count() && x.Participants.ForAll(v.Members.ContainsKey) && v.Members.ContainsKey(c.UserId))
                .Map(v => (Json)ConvJson(s, v, c.UserId)).ToSeq())))),
            UpdateConversation x => Member(s, c, x.ConvId, id).Match(conv =>
            {
                var events = Seq1<ServerEvent>(new ConversationUpdated(conv.Id, x.GroupName, x.ImageUrl, now));
                var rename = x.GroupName.Filter(n => n != conv.Name).Map(n => Post(s, conv, c.UserId, 8, Json.Object(("groupName", n), ("changedBy", c.UserId)), None, now));
                return rename.Match(
                    p => new Outcome(events.Add(p.Event), Reply(id), Seq1(p.Notice(c))),
                    () => new Outcome(events, Reply(id), Seq<Delivery>()));
            }, f => f),
            DeleteConversation x => Member(s, c, x.ConvId, id).Match(conv =>
                new Outcome(Seq1<ServerEvent>(new ConversationHidden(conv.Id, c.UserId, now)), Reply(id).With("convId", conv.Id), Seq<Delivery>()), f => f),
            ClearHistory x => Member(s, c, x.ConvId, id).Match(conv =>
                new Outcome(Seq1<ServerEvent>(new HistoryCleared(conv.Id, c.UserId, Math.Min(x.Seq, conv.LastSeq), now)), Reply(id), Seq<Delivery>()), f => f),
            AddParticipants x => Member(s, c, x.ConvId, id).Match(conv => AddPeople(s, rules, c, conv, x, now), f => f),
            RemoveParticipants x => Member(s, c, x.ConvId, id).Match(conv => RemovePeople(s, c, conv, x, now), f => f),
            SetRole x => Member(s, c, x.ConvId, id).Match(conv =>
                conv.Members[c.UserId].Role != "admin" ? Fail(id, ServerErrors.AdminOnly, "Only an admin can set roles")
                : !conv.Members.ContainsKey(x.UserId) ? Fail(id, ServerErrors.NotParticipant, $"{x.UserId} is not a participant of this conversation")
                : x.Role is not ("admin" or "member") ? Fail(id, ServerErrors.InvalidRequest, "role must be admin or member")
                : new Outcome(Seq1<ServerEvent>(new RoleSet(conv.Id, x.UserId, x.Role, now)), Reply(id).With("convId", conv.Id), Seq<Delivery>()), f => f),
            GetUnreadCount => Ok(id, Json.Object(("count", (long)Visible(s, c.UserId).Count(v => Unread(v, c.UserId) > 0)))),
            LoadMessages x => Member(s, c, x.ConvId, id).Match(conv => Ok(id, Json.Object(("msgs", Fit(rules,
                Sorted(Readable(conv, c.UserId, x.LoadDeletedMessage.IfNone(0) == 1).Filter(m => m.Seq > x.SeqGreater && m.Seq < x.SeqSmaller), x.Sort)
                    .Take(Math.Clamp(x.Limit, 0, 500)).Map(m => MsgJson(s, m)))))), f => f),
            GetMessagesByIds x => Member(s, c, x.ConvId, id).Match(conv => Ok(id, Json.Object(("listMsgs", new Json.Arr(
                toSeq(x.MsgIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()
                    .Choose(mid => s.Message(mid).Filter(m => m.ConvId == conv.Id && m.Seq > conv.Members[c.UserId].ClearedUpTo)).Map(m => (Json)MsgJson(s, m)).ToSeq())))), f => f),
            LoadAttachments x => Member(s, c, x.ConvId, id).Match(conv => Ok(id, Json.Object(("msgs", new Json.Arr(
                Readable(conv, c.UserId, false).Filter(m => m.Type == x.MsgType && !m.Revoked).OrderByDescending(m => m.Seq)
                    .Skip(Math.Max(0, x.Start)).Take(Math.Clamp(x.Limit, 0, 500)).Map(m => (Json)MsgJson(s, m)).ToSeq())))), f => f),
            LoadMessagesForConversations x => Ok(id, Json.Object(("msgs", Fit(rules, Sorted(
                toSeq(x.ConvIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Choose(cid => s.Conversations.Find(cid))
                    .Filter(v => v.Members.ContainsKey(c.UserId)).Bind(v => Readable(v, c.UserId, false))
                    .Filter(m => m.Created > x.CreatedGreater && m.Created < x.CreatedSmaller), x.Sort)
                .Take(Math.Clamp(x.Limit, 0, 500)).Map(m => MsgJson(s, m)))))),
            DeleteMessages x => Member(s, c, x.ConvId, id).Match(conv => Owned(s, c, conv, x.MessageIds, id, allowAdmin: conv.IsGroup).Match(
                _ => new Outcome(Seq1<ServerEvent>(new MessagesDeleted(conv.Id, c.UserId, x.MessageIds, now)),
                    Reply(id).With("convId", conv.Id).With("messageIds", new Json.Arr(x.MessageIds.Map(m => (Json)m))), Seq<Delivery>()),
                f => f), f => f),
            PinMessage x => Member(s, c, x.ConvId, id).Match(conv => Find(s, conv, x.MsgId, id).Match(m =>
                m.Revoked ? Fail(id, ServerErrors.Revoked, "A revoked message can not be pinned")
                : new Outcome(Seq1<ServerEvent>(new MessagePinned(conv.Id, m.Id, x.IsPin, c.UserId, now)),
                    Reply(id).With("isPin", x.IsPin).With("convId", conv.Id).With("msgId", m.Id),
                    Seq1(To(conv.Members.Keys, c, Service.ChatPinMessageFromServer, new PinNotice(conv.Id, m.Id, x.IsPin)))),
                f => f), f => f),
            EditMessage x => Member(s, c, x.ConvId, id).Match(conv => Find(s, conv, x.MsgId, id).Match(m =>
                m.Revoked ? Fail(id, ServerErrors.Revoked, "A revoked message can not be edited")
                : m.Deleted ? Fail(id, ServerErrors.MessageNotFound, "A deleted message can not be edited")
                : m.Sender != c.UserId ? Fail(id, ServerErrors.NotSender, "Only the sender can edit a message")
                : x.NewContent.ToJsonString().Length > rules.MaxMessageBytes ? Fail(id, ServerErrors.TooLarge, $"message content exceeds {rules.MaxMessageBytes} bytes")
                : Edit(c, conv, m, Chat.ContentOf(x.NewContent), id, now),
                f => f), f => f),
            RevokeMessages x => Member(s, c, x.ConvId, id).Match(conv => Owned(s, c, conv, x.MsgIds, id, allowAdmin: conv.IsGroup).Match(
                _ => new Outcome(Seq1<ServerEvent>(new MessagesRevoked(conv.Id, x.MsgIds, c.UserId, now)),
                    Reply(id).With("convId", conv.Id).With("msgIds", new Json.Arr(x.MsgIds.Map(m => (Json)m))),
                    Seq1(To(conv.Members.Keys, c, Service.ChatRevokeMessageFromServer, new RevokeNotice(conv.Id, x.MsgIds)))),
                f => f), f => f),
            TypingRequest x => Member(s, c, x.ConvId, id).Match(conv => new Outcome(Seq<ServerEvent>(), Reply(id),
                Seq1(To(conv.Members.Keys.Filter(u => u != c.UserId), c,
                    service == Service.ChatUserBeginTyping ? Service.ChatUserBeginTypingNotification : Service.ChatUserEndTypingNotification,
                    new TypingNotice(conv.Id, c.UserId, s.NameOf(c.UserId))))), f => f),
            CustomMessage x => string.IsNullOrWhiteSpace(x.ToUser) ? Fail(id, ServerErrors.InvalidRequest, "toUser is empty")
                : new Outcome(Seq<ServerEvent>(), Reply(id), Seq1(To(Seq1(x.ToUser), c, Service.CustomMessageFromServer, new CustomMessageNotice(c.UserId, x.Message)))),
            GetUsersInfo x => Ok(id, Json.Object(("users", new Json.Arr(toSeq(x.UserIds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                .Distinct().Map(u => (Json)BodyCodec.Encode(s.Users.Find(u).Match(
                    p => new UserInfo(u, p.DisplayName, p.AvatarUrl, p.Email, p.Phone, None, None, None, None, None, None, None),
                    () => new UserInfo(u, None, None, None, None, None, None, None, None, None, None, None)))).ToSeq())))),
            UpdateUserInfo x => new Outcome(Seq1<ServerEvent>(new UserUpdated(c.UserId, x.DisplayName, x.Email, x.AvatarUrl, x.Phone, now)), Reply(id),
                Seq1(To(Peers(s, c.UserId).Add(c.UserId), c, Service.UpdateUserInfoNotification, new UserInfoNotice(c.UserId, x.DisplayName, x.AvatarUrl, x.Email)))),
            RegisterPush x => string.IsNullOrWhiteSpace(x.DeviceToken) ? Fail(id, ServerErrors.InvalidRequest, "deviceToken is empty")
                : new Outcome(Seq1<ServerEvent>(new PushRegistered(c.UserId, x.DeviceToken, x.DeviceType, x.PackageName, now)), Reply(id), Seq<Delivery>()),
            UnregisterPush x => new Outcome(Seq1<ServerEvent>(new PushUnregistered(c.UserId, x.DeviceToken, now)), Reply(id), Seq<Delivery>()),
            BlockUser x => (x.BlockUserId || x.UserId || x.BlockGroupInvite).Match(
                b => new Outcome(Seq1<ServerEvent>(new UserBlocked(c.UserId, b, now)), Reply(id), Seq<Delivery>()),
                () => Fail(id, ServerErrors.InvalidRequest, "nothing to block")),
            CallStart x => string.IsNullOrWhiteSpace(x.ToNumber) ? Fail(id, ServerErrors.InvalidRequest, "toNumber is empty") : StartCall(s, c, x, id, now),
            AnswerChatRequest x => Answer(s, c, x, id, now),
            TransferChat x => Member(s, c, x.ConvId, id).Match(conv => s.Requests.Find(conv.Id).Match(
                r => r.Agent != Some(c.UserId) ? Fail(id, ServerErrors.NotAllowed, "Only the agent serving this chat can transfer it")
                    : !rules.IsAgent(x.ToUserId) || x.ToUserId == c.UserId ? Fail(id, ServerErrors.NotAllowed, $"{x.ToUserId} is not another agent: a chat is transferred to an agent only")
                    : new Outcome(Seq1<ServerEvent>(new ChatTransferRequested(conv.Id, c.UserId, x.ToUserId, now)), Reply(id).With("convId", conv.Id),
                        Seq1(To(Seq1(x.ToUserId), c, Service.ChatTransferRequestFromAnotherAgent, new TransferRequestNotice(conv.Id, r.CustomerId, r.CustomerName, 1,
                            c.UserId, s.NameOf(c.UserId), s.Users.Find(c.UserId).Bind(p => p.AvatarUrl))))),
                () => Fail(id, ServerErrors.NoRequest, "This conversation is not a live chat")), f => f),
            ConfirmTransfer x => s.Requests.Find(x.ConvId).Filter(r => r.Transfer.Exists(t => t.To == c.UserId)).Match(
                r => ConfirmTransferOf(s, c, r, x.Answer, id, now),
                () => Fail(id, ServerErrors.NoRequest, "No transfer is waiting for you in this conversation")),
            EndChat x => Member(s, c, x.ConvId, id).Match(conv => conv.Ended ? Fail(id, ServerErrors.Ended, "Conversation has ended")
                : new Outcome(Seq1<ServerEvent>(new ChatEnded(conv.Id, c.UserId, now)), Reply(id).With("convId", conv.Id).With("endedby", c.UserId),
                    Seq1(To(conv.Members.Keys.Filter(u => u != c.UserId), c, Service.ChatConversationEndedNotification, new ConversationEndedNotice(conv.Id, c.UserId)))), f => f),
            RateChat x => Member(s, c, x.ConvId, id).Match(conv => x.Rating is 0 or 1
                ? new Outcome(Seq1<ServerEvent>(new ChatRated(conv.Id, c.UserId, x.Rating, x.Comment, now)), Reply(id), Seq<Delivery>())
                : Fail(id, ServerErrors.InvalidRequest, "rating must be 0 or 1"), f => f),
            SendTranscript x => Member(s, c, x.ConvId, id).Match(conv => string.IsNullOrWhiteSpace(x.Email) ? Fail(id, ServerErrors.InvalidRequest, "email is empty")
                : !Inputs.IsEmail(x.Email) ? Fail(id, ServerErrors.InvalidRequest, "email is not a valid address (local@domain, no spaces or control characters)")
                : x.Domain.Length > 0 && !Inputs.IsDomain(x.Domain) ? Fail(id, ServerErrors.InvalidRequest, "domain is not a valid host name")
                : new Outcome(Seq1<ServerEvent>(new TranscriptRequested(conv.Id, c.UserId, x.Email, x.Domain, now)), Reply(id), Seq<Delivery>()), f => f),
            LoadChatRequests => Ok(id, Json.Object(("chatRequests", new Json.Arr(s.Requests.Values
                .Filter(r => r.OfferedTo == Some(c.UserId) || r.Transfer.Exists(t => t.To == c.UserId))
                .Map(r => (Json)BodyCodec.Encode(new ChatRequestInfo(r.ConvId, r.CustomerId, r.CustomerName, 1,
                    r.Transfer.Exists(t => t.To == c.UserId) ? "transfer" : "normal", r.Transfer.Map(t => t.From)))).ToSeq())))),
            ContinueChat x => Member(s, c, x.ConvId, id).Match(_ => Ok(id, Json.Obj.Empty), f => f),
            JoinOaConversation x => Member(s, c, x.ConvId, id).Match(_ => Ok(id, Json.Obj.Empty), f => f),
            ResolveConversation x => Member(s, c, x.ConvId, id).Match(_ => Ok(id, Json.Obj.Empty), f => f),
            ChatById x => Member(s, c, x.ConvId, id).Match(_ => Ok(id, Json.Obj.Empty), f => f),
            GetChatServices or ChangeAttribute => Ok(id, Json.Obj.Empty),
            Ping => new Outcome(Seq<ServerEvent>(), None, Seq<Delivery>()),
            _ => Fail(id, ServerErrors.UnknownService, $"service {service} is not served here"),
        };
    }

    static Outcome Ok(Option<long> id, Json.Obj fields) => new(Seq<ServerEvent>(), Fields(Reply(id), fields), Seq<Delivery>());

    /// <summary>
    /// The items of a listing, in order, while they fit the reply budget: no answer outgrows a
    /// client's frame, however many or large the items; the caller pages on from the last one.
    /// </summary>
    public static Json.Arr Fit(ServerRules rules, IEnumerable<Json.Obj> items)
    {
        var budget = rules.MaxReplyBytes - 256;
        var kept = new List<Json>();
        foreach (var item in items)
        {
            budget -= item.ToUtf8().Length + 1;
            if (budget < 0) break;
            kept.Add(item);
        }
        return new Json.Arr(toSeq(kept));
    }

    /// <summary>
    /// A visitor identity for the live-chat token endpoint, minted from a random nonce the adapter
    /// draws: None when it would name anyone the server knows (a profile, a participant, an agent), so
    /// a caller can never choose, or be handed, an existing user's identity.
    /// </summary>
    public static Option<string> NewVisitor(ServerState s, ServerRules rules, string nonce)
    {
        var id = $"visitor-{nonce}";
        var known = s.Users.ContainsKey(id) || rules.IsAgent(id) || s.Conversations.Values.Exists(v => v.Members.ContainsKey(id));
        return known ? None : Some(id);
    }

    static Either<Outcome, StoredConversation> Member(ServerState s, Caller c, string convId, Option<long> id) =>
        s.Conversations.Find(convId).Match(
            Some: conv => conv.Members.ContainsKey(c.UserId) ? Right<Outcome, StoredConversation>(conv)
                : Left<Outcome, StoredConversation>(Fail(id, ServerErrors.NotParticipant, "You are not a participant of this conversation")),
            None: () => Left<Outcome, StoredConversation>(Fail(id, ServerErrors.ConversationNotFound, $"Conversation {convId} not found")));

    static Either<Outcome, StoredMessage> Find(ServerState s, StoredConversation conv, string msgId, Option<long> id) =>
        s.Message(msgId).Filter(m => m.ConvId == conv.Id)
            .ToEither(Fail(id, ServerErrors.MessageNotFound, $"Message {msgId} not found in this conversation"));

    static Either<Outcome, Unit> Owned(ServerState s, Caller c, StoredConversation conv, Seq<string> ids, Option<long> id, bool allowAdmin)
    {
        if (ids.IsEmpty) return Fail(id, ServerErrors.InvalidRequest, "no message ids");
        var admin = allowAdmin && conv.Members[c.UserId].Role == "admin";
        foreach (var mid in ids)
        {
            var found = Find(s, conv, mid, id);
            if (found.IsLeft) return found.Map(_ => unit);
            if (((StoredMessage)found).Sender != c.UserId && !admin) return Fail(id, ServerErrors.NotAllowed, "Only the sender or an admin can do this to a message");
        }
        return unit;
    }

    sealed record Posted(ServerEvent Event, StoredConversation Conv, MessageNotice Packet)
    {
        public Delivery Notice(Caller c) => To(Conv.Members.Keys, c, Service.ChatMessageFromServer, Packet, push: true);
    }

    static Posted Post(ServerState s, StoredConversation conv, string sender, int type, Json.Obj content, Option<string> localDbId, long now, long extraSeq = 0)
    {
        var seq = conv.LastSeq + 1 + extraSeq;
        var msgId = s.NewId("msg", 1 + extraSeq);
        return new Posted(new MessagePosted(conv.Id, msgId, seq, sender, type, content, localDbId, now), conv,
            new MessageNotice(conv.Id, msgId, sender, now, seq, type, content, conv.ChannelType, s.NameOf(sender), s.Users.Find(sender).Bind(p => p.AvatarUrl),
                conv.Name, conv.Members.Find(sender).Map(m => m.Role), localDbId));
    }

    static Outcome Send(ServerState s, Caller c, StoredConversation conv, SendMessage x, long now)
    {
        var blocked = conv.Members.Keys.Filter(u => u != c.UserId).Exists(u => s.Blocked.Find(u).Exists(b => b.Contains(c.UserId))) && !conv.IsGroup;
        if (blocked) return Fail(x.RequestId, ServerErrors.Blocked, "The recipient has blocked you");
        // A retry of a message already posted (the answer was lost with the connection) gets the original back, not a copy.
        var earlier = x.LocalDbId.Bind(local => conv.Messages.Values.Find(m => m.Sender == c.UserId && m.LocalDbId == Some(local)));
        if (earlier.IsSome)
        {
            var m = (StoredMessage)earlier;
            return new Outcome(Seq<ServerEvent>(), BodyCodec.Encode(new SendMessageResult(0, x.RequestId, conv.Id, m.Id, m.Seq, m.Created, x.LocalDbId, conv.ChannelType)),
                Seq<Delivery>());
        }
        var p = Post(s, conv, c.UserId, x.Type, x.Message, x.LocalDbId, now);
        var posted = (MessagePosted)p.Event;
        return new Outcome(Seq1(p.Event),
            BodyCodec.Encode(new SendMessageResult(0, x.RequestId, conv.Id, posted.MsgId, posted.Seq, now, x.LocalDbId, conv.ChannelType)),
            Seq1(p.Notice(c)));
    }

    static Outcome Edit(Caller c, StoredConversation conv, StoredMessage m, Json.Obj change, Option<long> id, long now)
    {
        var content = new Json.Obj(change.Fields.Fold(m.Content.Fields, (acc, kv) => acc.AddOrUpdate(kv.Key, kv.Value)));
        return new Outcome(Seq1<ServerEvent>(new MessageEdited(conv.Id, m.Id, content, c.UserId, now)),
            Reply(id).With("convId", conv.Id).With("msgId", m.Id),
            Seq1(To(conv.Members.Keys, c, Service.ChatEditMessageFromServer, new EditNotice(conv.Id, m.Id, new Json.Str(change.ToJsonString())))));
    }

    static Outcome Create(ServerState s, ServerRules rules, Caller c, CreateConversation x, long now)
    {
        var liveChat = x.ChannelType == Some(1) || (x.Participants.IsEmpty && x.IsGroup && !x.Distinct);
        if (liveChat)
        {
            var queueId = x.Name.IfNone("");
            if (!rules.Queues.ContainsKey(queueId)) return Fail(x.RequestId, ServerErrors.QueueNotFound, $"Queue '{queueId}' not found");
            return NewConversation(s, c, x with { Participants = Seq<string>(), ChannelType = 1 }, queueId, now,
                Seq1<ServerEvent>(new ChatQueued(s.NewId("conv", 1), queueId, c.UserId, s.NameOf(c.UserId), now)));
        }
        var invalid = x.Participants.Choose(u => Inputs.IdProblem(u).Map(p => $"participant id {p}")).HeadOrNone();
        if (invalid.IsSome) return Fail(x.RequestId, ServerErrors.InvalidRequest, (string)invalid);
        var people = x.Participants.Add(c.UserId).Distinct().ToSeq();
        if (people.Count > rules.MaxParticipants) return Fail(x.RequestId, ServerErrors.TooLarge, $"a conversation has at most {rules.MaxParticipants} participants");
        if (people.Count < 2) return Fail(x.RequestId, ServerErrors.InvalidRequest, "A conversation needs at least one other participant");
        if (x.Distinct)
        {
            var existing = s.Conversations.Values.Find(v => v.Distinct && v.IsGroup == (x.IsGroup || people.Count > 2) && v.Members.Count == people.Count && people.ForAll(v.Members.ContainsKey));
            if (existing.IsSome)
            {
                var conv = (StoredConversation)existing;
                return new Outcome(Seq<ServerEvent>(), CreatedReply(s, conv, c.UserId, x, 2), Seq<Delivery>());
            }
        }
        return NewConversation(s, c, x with { Participants = people, IsGroup = x.IsGroup || people.Count > 2 }, None, now, Seq<ServerEvent>());
    }

    static Outcome NewConversation(ServerState s, Caller c, CreateConversation x, Option<string> queueId, long now, Seq<ServerEvent> extra)
    {
        var convId = s.NewId("conv", 1);
        var members = x.Participants.Add(c.UserId).Distinct().ToSeq();
        var created = new ConversationCreated(convId, c.UserId, x.Name.IfNone(""), x.IsGroup, x.Distinct, x.ChannelType.IfNone(0), x.CustomData, x.OaId, members, queueId, now);
        var afterCreate = ServerState.Evolve(s, created);
        var conv = afterCreate.Conversations[convId];
        var content = Json.Object(("creator", c.UserId), ("groupName", conv.Name),
            ("participants", new Json.Arr(members.Map(u => (Json)Json.Object(("user", u), ("role", u == c.UserId ? "admin" : "member"))))));
        var p = Post(afterCreate, conv, c.UserId, 7, content, x.LocalDbId, now);
        var after = ServerState.Evolve(afterCreate, p.Event);
        return new Outcome(Seq<ServerEvent>(created, p.Event) + extra, CreatedReply(after, after.Conversations[convId], c.UserId, x, 0),
            Seq1(To(members.Filter(u => u != c.UserId), c, Service.ChatMessageFromServer, p.Packet)));
    }

    static Json.Obj CreatedReply(ServerState s, StoredConversation conv, string user, CreateConversation x, int r)
    {
        var info = ConvJson(s, conv, user);
        var first = conv.Messages.Values.HeadOrNone().Map(m => (Json)MsgJson(s, m)).IfNone(Json.Obj.Empty);
        return Fields(Fields(Reply(x.RequestId, r), info), Json.Object(("group", conv.Id), ("distinct", conv.Distinct), ("lastMsg", first),
            ("info", info), ("localDbId", x.LocalDbId.IfNone(""))));
    }

    static Outcome AddPeople(ServerState s, ServerRules rules, Caller c, StoredConversation conv, AddParticipants x, long now)
    {
        var invalid = x.UserIds.Choose(u => Inputs.IdProblem(u).Map(p => $"participant id {p}")).HeadOrNone();
        if (invalid.IsSome) return Fail(x.RequestId, ServerErrors.InvalidRequest, (string)invalid);
        var added = x.UserIds.Filter(u => !conv.Members.ContainsKey(u)).Distinct().ToSeq();
        if (!conv.IsGroup) return Fail(x.RequestId, ServerErrors.NotAllowed, "Participants can only be added to a group");
        if (conv.Members.Count + added.Count > rules.MaxParticipants) return Fail(x.RequestId, ServerErrors.TooLarge, $"a conversation has at most {rules.MaxParticipants} participants");
        if (added.IsEmpty) return Ok(x.RequestId, Json.Object(("convId", conv.Id), ("added", new Json.Arr(Seq<Json>()))));
        var ev = new ParticipantsAdded(conv.Id, c.UserId, added, now);
        var after = ServerState.Evolve(s, ev);
        var p = Post(after, after.Conversations[conv.Id], c.UserId, 100, Json.Object(("type", "addParticipants"), ("addedBy", c.UserId),
            ("participants", new Json.Arr(added.Map(u => (Json)u)))), None, now);
        var parts = added.Map(u => new Participant(u, s.NameOf(u), s.Users.Find(u).Bind(q => q.AvatarUrl), "member", None, None));
        var everyone = after.Conversations[conv.Id].Members.Keys.ToSeq();
        return new Outcome(Seq<ServerEvent>(ev, p.Event), BodyCodec.Encode(new AddParticipantsResult(0, x.RequestId, conv.Id, parts)),
            Seq(To(everyone, c, Service.ChatAddParticipantFromServer, new ParticipantsAddedNotice(conv.Id, c.UserId, parts)), p.Notice(c) with { Users = everyone }));
    }

    static Outcome RemovePeople(ServerState s, Caller c, StoredConversation conv, RemoveParticipants x, long now)
    {
        var admin = conv.Members[c.UserId].Role == "admin" && conv.IsGroup;
        var targets = x.UserIds.Filter(conv.Members.ContainsKey).Distinct().ToSeq();
        if (!conv.IsGroup && targets.Exists(u => u != c.UserId)) return Fail(x.RequestId, ServerErrors.NotAllowed, "Nobody can be removed from a one-to-one conversation");
        if (targets.Exists(u => u != c.UserId) && !admin) return Fail(x.RequestId, ServerErrors.AdminOnly, "Only an admin can remove other participants");
        var events = targets.Map(u => (ServerEvent)new ParticipantRemoved(conv.Id, c.UserId, u, now));
        var notices = targets.Map(u => To(conv.Members.Keys, c, Service.ChatRemoveParticipantFromServer,
            new ParticipantRemovedNotice(conv.Id, c.UserId, Json.Object(("user", u)).ToJsonString())));
        var removed = targets.Map(u => new Participant(u, s.NameOf(u), None, conv.Members[u].Role, None, None));
        return new Outcome(events, BodyCodec.Encode(new RemoveParticipantsResult(0, x.RequestId, conv.Id, removed)), notices);
    }

    static Outcome StartCall(ServerState s, Caller c, CallStart x, Option<long> id, long now)
    {
        var callId = s.NewId("call", 1);
        var call2 = x.Call2.IfNone(false);
        var notice = new IncomingCallNotice(callId, x.FromNumber.IfNone(c.UserId), x.ToNumber, s.NameOf(c.UserId), s.NameOf(x.ToNumber), x.Video.IfNone(false), true, x.Custom);
        return new Outcome(Seq1<ServerEvent>(new CallStarted(callId, c.UserId, x.ToNumber, x.Video.IfNone(false), call2, x.Custom, now)),
            BodyCodec.Encode(new CallStartResult(0, id, None, callId, "internal", x.Custom)),
            Seq1(To(Seq1(x.ToNumber), c, call2 ? Service.VideoRoomCallInvite : Service.CallStartFromServer, notice, push: true)));
    }

    static Outcome Answer(ServerState s, Caller c, AnswerChatRequest x, Option<long> id, long now) =>
        s.Requests.Find(x.ConvId).Filter(r => r.OfferedTo == Some(c.UserId) && r.Status == RequestStatus.Offered).Match(
            r =>
            {
                var answered = new ChatAnswered(r.ConvId, c.UserId, x.Answer, now);
                var reply = BodyCodec.Encode(new AnswerChatRequestResult(0, id, r.ConvId, x.Answer));
                if (!x.Answer) return new Outcome(Seq1<ServerEvent>(answered), reply, Seq<Delivery>());
                var after = ServerState.Evolve(s, answered);
                var conv = after.Conversations[r.ConvId];
                var p = Post(after, conv, c.UserId, 100, Json.Object(("type", "agentJoined"), ("agent", c.UserId)), None, now);
                return new Outcome(Seq<ServerEvent>(answered, p.Event), reply, Seq1(p.Notice(c)));
            },
            () => Fail(id, ServerErrors.NoRequest, "This chat request is not offered to you (it may have timed out or been taken)"));

    static Outcome ConfirmTransferOf(ServerState s, Caller c, ChatRequest r, bool accept, Option<long> id, long now)
    {
        var answered = new ChatTransferAnswered(r.ConvId, c.UserId, accept, now);
        if (!accept) return new Outcome(Seq1<ServerEvent>(answered), Reply(id), Seq<Delivery>());
        var from = r.Transfer.Map(t => t.From).IfNone("");
        var after = ServerState.Evolve(ServerState.Evolve(s, answered), new ParticipantRemoved(r.ConvId, c.UserId, from, now));
        var conv = after.Conversations[r.ConvId];
        var p = Post(after, conv, c.UserId, 100, Json.Object(("type", "chatTransferred"), ("from", from), ("to", c.UserId)), None, now);
        return new Outcome(Seq<ServerEvent>(answered, new ParticipantRemoved(r.ConvId, c.UserId, from, now), p.Event), Reply(id),
            Seq1(p.Notice(c) with { Users = conv.Members.Keys.ToSeq().Add(from) }));
    }

    /// <summary>Conversations a user sees: a participant, not hidden by them.</summary>
    public static Seq<StoredConversation> Visible(ServerState s, string user) =>
        s.Conversations.Values.Filter(v => v.Members.Find(user).Exists(m => !m.Hidden)).ToSeq();

    static Seq<string> Peers(ServerState s, string user) =>
        s.Conversations.Values.Filter(v => v.Members.ContainsKey(user)).Bind(v => v.Members.Keys).Filter(u => u != user).Distinct().ToSeq();

    static int Unread(StoredConversation v, string user) =>
        v.Members.Find(user).Map(m => v.Messages.Values.Count(x => x.Seq > m.Seen && x.Seq > m.ClearedUpTo && x.Sender != user && !x.Deleted)).IfNone(0);

    static Seq<StoredMessage> Readable(StoredConversation v, string user, bool withDeleted) =>
        v.Messages.Values.Filter(m => m.Seq > v.Members.Find(user).Map(x => x.ClearedUpTo).IfNone(long.MaxValue) && (withDeleted || !m.Deleted)).ToSeq();

    static IEnumerable<StoredMessage> Sorted(IEnumerable<StoredMessage> ms, string sort) =>
        string.Equals(sort, "DESC", StringComparison.OrdinalIgnoreCase) ? ms.OrderByDescending(m => m.Seq) : ms.OrderBy(m => m.ConvId, StringComparer.Ordinal).ThenBy(m => m.Seq);

    /// <summary>A message as the server lists it (revoked and deleted content withheld).</summary>
    public static Json.Obj MsgJson(ServerState s, StoredMessage m) => BodyCodec.Encode(new MessageInfo(m.Id, m.Seq, m.ConvId, m.LocalDbId, m.Created, m.Type, m.Sender,
        m.Revoked || m.Deleted ? Json.Obj.Empty : m.Content, m.Deleted ? 1 : 0, new SenderInfo(m.Sender, s.NameOf(m.Sender), s.Users.Find(m.Sender).Bind(p => p.AvatarUrl)),
        None, m.Revoked ? 1 : 0, m.Edits));

    /// <summary>A conversation as a given user sees it in listings.</summary>
    public static Json.Obj ConvJson(ServerState s, StoredConversation v, string user)
    {
        var me = v.Members.Find(user);
        var last = v.Messages.Values.LastOrNone();
        return BodyCodec.Encode(new ConversationInfo(v.Id, v.Name, v.IsGroup, v.Distinct, v.Creator, v.Created, v.LastUpdate, last.Map(m => m.Created),
            Unread(v, user), v.LastSeq, me.Map(m => m.Received), me.Map(m => m.Seen), v.Pinned.IfNone(""), (Json)v.Ended, v.ChannelType, v.CustomData, v.OaId,
            None, v.Avatar, last.Map(m => (Json)(m.Revoked ? Json.Obj.Empty : m.Content)), last.Map(m => m.Id), last.Map(m => m.Type), last.Map(m => m.Sender),
            last.Map(m => new SenderInfo(m.Sender, s.NameOf(m.Sender), s.Users.Find(m.Sender).Bind(p => p.AvatarUrl))),
            v.Members.Values.Map(m => new Participant(m.User, s.NameOf(m.User), s.Users.Find(m.User).Bind(p => p.AvatarUrl), m.Role, m.Received, m.Seen)).ToSeq()));
    }
}
