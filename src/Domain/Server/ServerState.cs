using static EventSourced.Domain.Server.ServerEvent;

namespace EventSourced.Domain.Server;

/// <summary>A participant of a conversation on the server.</summary>
public sealed record Member(string User, string Role, long Received, long Seen, long ClearedUpTo, bool Hidden);

/// <summary>A message on the server, with its edit count and flags.</summary>
public sealed record StoredMessage(string Id, string ConvId, long Seq, string Sender, int Type, Json.Obj Content, long Created,
    Option<string> LocalDbId, bool Revoked, bool Deleted, int Edits);

/// <summary>A conversation on the server.</summary>
public sealed record StoredConversation(string Id, string Name, Option<string> Avatar, string Creator, long Created, bool IsGroup, bool Distinct,
    int ChannelType, Option<string> CustomData, Option<string> OaId, Map<OrdStringOrdinal, string, Member> Members, long LastSeq, long LastUpdate,
    Option<string> Pinned, bool Ended, Option<string> EndedBy, Option<string> QueueId, Map<long, StoredMessage> Messages)
{
    /// <summary>
    /// Where the conversation's last activity stands among all conversations' activity, in log order.
    /// <see cref="LastUpdate"/> is a millisecond clock and many conversations move within one millisecond;
    /// listings order by it first and by this second, so "most recent first" is total and replays the same.
    /// </summary>
    public long Activity { get; init; }
}

/// <summary>A user's profile as the server knows it.</summary>
public sealed record Profile(string UserId, Option<string> DisplayName, Option<string> Email, Option<string> AvatarUrl, Option<string> Phone);

/// <summary>Where a live-chat request stands in its queue.</summary>
public enum RequestStatus
{
    /// <summary>In the queue, offered to nobody right now.</summary>
    Waiting = 0,
    /// <summary>Offered to an agent, waiting for the answer.</summary>
    Offered = 1,
    /// <summary>An agent took it.</summary>
    Accepted = 2,
    /// <summary>Nobody took it within the queue timeout.</summary>
    TimedOut = 3,
    /// <summary>The chat ended.</summary>
    Ended = 4,
}

/// <summary>A live-chat request with its routing history.</summary>
public sealed record ChatRequest(string ConvId, string QueueId, string CustomerId, string CustomerName, long QueuedAt, RequestStatus Status,
    Option<string> OfferedTo, long OfferedAt, Set<OrdStringOrdinal, string> Declined, Option<string> Agent, Option<(string From, string To)> Transfer);

/// <summary>The server's whole state: a fold of its events.</summary>
public sealed record ServerState(Map<OrdStringOrdinal, string, StoredConversation> Conversations, Map<OrdStringOrdinal, string, (string ConvId, long Seq)> MessageIndex,
    Map<OrdStringOrdinal, string, Profile> Users, Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, int>> PushTokens, Map<OrdStringOrdinal, string, Set<OrdStringOrdinal, string>> Blocked, Map<OrdStringOrdinal, string, ChatRequest> Requests,
    long Counter)
{
    /// <summary>How many conversation activities (creation, message, membership, rename, end) the log holds.</summary>
    public long Activities { get; init; }

    /// <summary>
    /// The id epoch: recorded once per log (<see cref="ServerEvent.IdEpochStarted"/>) from a random value
    /// the adapter draws, and part of every id issued after it, so ids never repeat across restarts,
    /// even on a log that does not survive them. Empty on logs written before epochs (ids <c>conv-N</c>).
    /// </summary>
    public string Epoch { get; init; } = "";

    /// <summary>The id of the <paramref name="offset"/>-th object created from now (<c>conv-EPOCH-N</c>).</summary>
    public string NewId(string kind, long offset) => Epoch.Length == 0 ? $"{kind}-{Counter + offset}" : $"{kind}-{Epoch}-{Counter + offset}";

    /// <summary>An empty server.</summary>
    public static readonly ServerState Initial = new(Map<OrdStringOrdinal, string, StoredConversation>(), Map<OrdStringOrdinal, string, (string, long)>(), Map<OrdStringOrdinal, string, Profile>(),
        Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, int>>(), Map<OrdStringOrdinal, string, Set<OrdStringOrdinal, string>>(), Map<OrdStringOrdinal, string, ChatRequest>(), 0);

    /// <summary>A message by id.</summary>
    public Option<StoredMessage> Message(string msgId) =>
        MessageIndex.Find(msgId).Bind(ix => Conversations.Find(ix.ConvId).Bind(c => c.Messages.Find(ix.Seq)));

    /// <summary>A user's display name (the id when unknown).</summary>
    public string NameOf(string user) => Users.Find(user).Bind(p => p.DisplayName).IfNone(user);

    /// <summary>Applies one event. Total.</summary>
    public static ServerState Evolve(ServerState s, ServerEvent e) => e switch
    {
        ConversationCreated c => s with
        {
            Conversations = s.Conversations.AddOrUpdate(c.ConvId, new StoredConversation(c.ConvId, c.Name, None, c.Creator, c.At, c.IsGroup, c.Distinct,
                c.ChannelType, c.CustomData, c.OaId,
                c.Participants.Fold(Map<OrdStringOrdinal, string, Member>(), (m, u) => m.AddOrUpdate(u, new Member(u, u == c.Creator ? "admin" : "member", 0, 0, 0, false))),
                0, c.At, None, false, None, c.QueueId, Map<long, StoredMessage>()) { Activity = s.Activities + 1 }),
            Counter = s.Counter + 1,
            Activities = s.Activities + 1,
        },
        MessagePosted m => Active(s, m.ConvId, c => c with
        {
            Messages = c.Messages.AddOrUpdate(m.Seq, new StoredMessage(m.MsgId, m.ConvId, m.Seq, m.Sender, m.Type, m.Content, m.At, m.LocalDbId, false, false, 0)),
            LastSeq = Math.Max(c.LastSeq, m.Seq),
            LastUpdate = Math.Max(c.LastUpdate, m.At),
            Members = c.Members.Find(m.Sender).Match(p => c.Members.SetItem(m.Sender, p with { Received = Math.Max(p.Received, m.Seq), Seen = Math.Max(p.Seen, m.Seq), Hidden = false }), () => c.Members)
                .Map(p => p with { Hidden = false }),
        }) with { MessageIndex = s.MessageIndex.AddOrUpdate(m.MsgId, (m.ConvId, m.Seq)), Counter = s.Counter + 1 },
        ParticipantsAdded a => Active(s, a.ConvId, c => c with
        {
            Members = a.Users.Fold(c.Members, (m, u) => m.ContainsKey(u) ? m : m.Add(u, new Member(u, "member", c.LastSeq, c.LastSeq, 0, false))),
            LastUpdate = Math.Max(c.LastUpdate, a.At),
        }),
        ParticipantRemoved r => Active(s, r.ConvId, c => c with { Members = c.Members.Remove(r.User), LastUpdate = Math.Max(c.LastUpdate, r.At) }),
        RoleSet r => Conv(s, r.ConvId, c => c with { Members = c.Members.Find(r.User).Match(m => c.Members.SetItem(r.User, m with { Role = r.Role }), () => c.Members) }),
        ConversationUpdated u => Active(s, u.ConvId, c => c with { Name = u.Name.IfNone(c.Name), Avatar = u.Avatar || c.Avatar, LastUpdate = Math.Max(c.LastUpdate, u.At) }),
        ConversationHidden h => Member(s, h.ConvId, h.User, m => m with { Hidden = true }),
        HistoryCleared h => Member(s, h.ConvId, h.User, m => m with { ClearedUpTo = Math.Max(m.ClearedUpTo, h.Seq) }),
        Reported r => Member(s, r.ConvId, r.User, m => r.Status == 2
            ? m with { Seen = Math.Max(m.Seen, r.Seq), Received = Math.Max(m.Received, r.Seq) }
            : m with { Received = Math.Max(m.Received, r.Seq) }),
        MessagesDeleted d => d.MsgIds.Fold(s, (st, id) => Msg(st, id, m => m with { Deleted = true })),
        MessagePinned p => Conv(s, p.ConvId, c => c with { Pinned = p.IsPin ? Some(p.MsgId) : c.Pinned == Some(p.MsgId) ? None : c.Pinned }),
        MessageEdited ed => Msg(s, ed.MsgId, m => m.Revoked ? m : m with { Content = ed.Content, Edits = m.Edits + 1 }),
        MessagesRevoked r => r.MsgIds.Fold(s, (st, id) => Msg(st, id, m => m with { Revoked = true })),
        UserUpdated u => s with
        {
            Users = s.Users.AddOrUpdate(u.UserId, s.Users.Find(u.UserId).Match(
                p => p with { DisplayName = u.DisplayName || p.DisplayName, Email = u.Email || p.Email, AvatarUrl = u.AvatarUrl || p.AvatarUrl, Phone = u.Phone || p.Phone },
                () => new Profile(u.UserId, u.DisplayName, u.Email, u.AvatarUrl, u.Phone))),
        },
        UserBlocked b => s with { Blocked = s.Blocked.AddOrUpdate(b.UserId, s.Blocked.Find(b.UserId).IfNone(Set<OrdStringOrdinal, string>()).TryAdd(b.Blocked)) },
        PushRegistered p => s with { PushTokens = s.PushTokens.AddOrUpdate(p.UserId, s.PushTokens.Find(p.UserId).IfNone(Map<OrdStringOrdinal, string, int>()).AddOrUpdate(p.Token, p.DeviceType)) },
        PushUnregistered p => s with { PushTokens = s.PushTokens.Find(p.UserId).Match(t => s.PushTokens.SetItem(p.UserId, t.Remove(p.Token)), () => s.PushTokens) },
        ChatQueued q => s with { Requests = s.Requests.AddOrUpdate(q.ConvId, new ChatRequest(q.ConvId, q.QueueId, q.CustomerId, q.CustomerName, q.At, RequestStatus.Waiting, None, 0, Set<OrdStringOrdinal, string>(), None, None)) },
        ChatOffered o => Req(s, o.ConvId, r => r with { Status = RequestStatus.Offered, OfferedTo = o.Agent, OfferedAt = o.At }),
        ChatAnswered a => Req(s, a.ConvId, r => a.Accepted
            ? r with { Status = RequestStatus.Accepted, Agent = a.Agent, OfferedTo = None }
            : r with { Status = RequestStatus.Waiting, OfferedTo = None, Declined = r.Declined.TryAdd(a.Agent) }) is var t && a.Accepted
            ? Conv(t, a.ConvId, c => c with { Members = c.Members.ContainsKey(a.Agent) ? c.Members : c.Members.Add(a.Agent, new Member(a.Agent, "admin", c.LastSeq, c.LastSeq, 0, false)) })
            : t,
        ChatAgentTimedOut a => Req(s, a.ConvId, r => r with { Status = RequestStatus.Waiting, OfferedTo = None, Declined = r.Declined.TryAdd(a.Agent) }),
        ChatQueueTimedOut q => Req(s, q.ConvId, r => r with { Status = RequestStatus.TimedOut, OfferedTo = None }),
        ChatTransferRequested t => Req(s, t.ConvId, r => r with { Transfer = Some((t.From, t.To)) }),
        ChatTransferAnswered t => t.Accepted
            ? Conv(Req(s, t.ConvId, r => r with { Agent = t.To, Transfer = None }), t.ConvId, c => c with
            {
                Members = (c.Members.ContainsKey(t.To) ? c.Members : c.Members.Add(t.To, new Member(t.To, "admin", c.LastSeq, c.LastSeq, 0, false))),
            })
            : Req(s, t.ConvId, r => r with { Transfer = None }),
        ChatEnded x => Req(Active(s, x.ConvId, c => c with { Ended = true, EndedBy = x.By, LastUpdate = Math.Max(c.LastUpdate, x.At) }), x.ConvId,
            r => r with { Status = RequestStatus.Ended, OfferedTo = None }),
        CallStarted => s with { Counter = s.Counter + 1 },
        IdEpochStarted x => s with { Epoch = x.Epoch },
        _ => s,
    };

    static ServerState Conv(ServerState s, string id, Func<StoredConversation, StoredConversation> f) =>
        s.Conversations.Find(id).Match(c => s with { Conversations = s.Conversations.SetItem(id, f(c)) }, () => s);

    /// <summary><see cref="Conv"/> for an event that moves the conversation's <see cref="StoredConversation.LastUpdate"/>.</summary>
    static ServerState Active(ServerState s, string id, Func<StoredConversation, StoredConversation> f) =>
        s.Conversations.ContainsKey(id) ? Conv(s, id, c => f(c) with { Activity = s.Activities + 1 }) with { Activities = s.Activities + 1 } : s;

    static ServerState Member(ServerState s, string convId, string user, Func<Member, Member> f) =>
        Conv(s, convId, c => c.Members.Find(user).Match(m => c with { Members = c.Members.SetItem(user, f(m)) }, () => c));

    static ServerState Msg(ServerState s, string msgId, Func<StoredMessage, StoredMessage> f) =>
        s.MessageIndex.Find(msgId).Match(ix => Conv(s, ix.ConvId, c => c.Messages.Find(ix.Seq).Match(m => c with { Messages = c.Messages.SetItem(ix.Seq, f(m)) }, () => c)), () => s);

    static ServerState Req(ServerState s, string convId, Func<ChatRequest, ChatRequest> f) =>
        s.Requests.Find(convId).Match(r => s with { Requests = s.Requests.SetItem(convId, f(r)) }, () => s);

    /// <summary>Applies events in order.</summary>
    public static ServerState Fold(ServerState s, IEnumerable<ServerEvent> events) => events.Aggregate(s, Evolve);
}
