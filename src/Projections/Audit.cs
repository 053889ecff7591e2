namespace EventSourced.Projections;

/// <summary>
/// What compliance and analysts read off the log: a conversation's audit trail (every post, edit,
/// pin, revoke, delete and report, with the client's clock and log position), its transcript with
/// every version, and volume, rate and live-chat figures. Pure functions of recorded events.
/// </summary>
public static class Audit
{
    /// <summary>One thing that happened to a conversation's messages, as a user's client recorded it.</summary>
    public sealed record Line(long Position, long At, string Kind, string MsgId, string Who, string Detail);

    /// <summary>A message with its whole history, as the audit view keeps it.</summary>
    public sealed record TranscriptLine(long Seq, string MsgId, long Created, string Sender, string Text, bool Edited, bool Revoked, bool Deleted, Seq<string> Versions)
    {
        /// <summary>Message type (§8.1): 7 creation, 8 rename, 100 notification are system messages.</summary>
        public int Type { get; init; } = 1;
    }

    /// <summary>Volumes, rates and live-chat figures.</summary>
    public sealed record Figures(int Messages, Map<OrdStringOrdinal, string, int> BySender, int Edits, int Revokes, int Pins, Seq<LiveChatFigures> LiveChats,
        Seq<long> FirstResponseMs, Seq<long> MessageTimes)
    {
        /// <summary>The figures every tool reports for the same log (<see cref="EventSourced.Projections.Transcript.Counts"/>).</summary>
        public EventSourced.Projections.Transcript.Counts Counts { get; init; } = new(0, 0, 0, 0, 0, 0);
        /// <summary>Edited messages per message.</summary>
        public double EditRate => Messages == 0 ? 0 : (double)Edits / Messages;
        /// <summary>Revoked messages per message.</summary>
        public double RevokeRate => Messages == 0 ? 0 : (double)Revokes / Messages;
    }

    /// <summary>One live chat: how long the customer waited for an agent, and how long it was handled.</summary>
    public sealed record LiveChatFigures(string ConvId, Option<long> WaitMs, Option<long> HandleMs, Option<string> Agent);

    static string UserOf(Envelope m) => Recording.UserOf(m.Stream);

    /// <summary>
    /// A conversation's audit trail as one user's client recorded it, in log order: what the server
    /// said, what the user asked, and when the server confirmed the user's own requests (those bare
    /// acknowledgements are recorded in the user's session stream and matched by requestId).
    /// </summary>
    public static Seq<Line> Trail(IEnumerable<Recorded> log, string user, string convId)
    {
        var stream = Recording.ConversationStream(user, convId);
        var session = Recording.SessionStream(user);
        var asked = new Dictionary<long, Event>();
        var lines = new List<Line>();
        foreach (var r in log.Where(r => r.Meta.Stream == stream || r.Meta.Stream == session))
        {
            if (r.Meta.Stream == stream)
            {
                if (r.Event is MessageEditRequested or MessagePinRequested) foreach (var id in Recording.RequestIdOf(r.Event)) asked[id] = r.Event;
                lines.AddRange(Lines(r));
            }
            var answered = r.Event switch
            {
                RequestAcknowledged a => a.Result.RequestId,
                MessagePinAnswered p => p.Result.RequestId,
                _ => None,
            };
            foreach (var id in answered)
                if (asked.Remove(id, out var cmd) && cmd is MessageEditRequested or MessagePinRequested)
                    lines.Add(new Line(r.Meta.Position, r.Meta.ReceivedAt, cmd switch
                    {
                        MessageEditRequested => "edit confirmed",
                        MessagePinRequested p => p.Request.IsPin ? "pin confirmed" : "unpin confirmed",
                        _ => "confirmed",
                    }, cmd switch { MessageEditRequested e => e.Request.MsgId, MessagePinRequested p => p.Request.MsgId, _ => "" }, user, ""));
        }
        return toSeq(lines);
    }

    /// <summary>
    /// One recorded fact about a message: which version of its content it shows (1 the original; 0 when it shows none: a pin, a revoke, a
    /// delete, a confirmation), who did it, the client's clock, the server's clock where the packet had one, and the log position.
    /// </summary>
    public sealed record Version(long Position, string RecordedBy, long LocalTime, Option<long> ServerTime, string Kind, string Actor, int Number, string Content);

    /// <summary>
    /// Every version of one message across every recording, in log order (the SEC 17a-4(f) audit trail: each version re-creatable, with who
    /// and when). A version number is given to each distinct content the first time any recording shows it; later copies repeat its number.
    /// The editor and revoker are the sender (Stringee lets only the sender edit or revoke) unless the recording says who asked.
    /// </summary>
    public static Seq<Version> History(IEnumerable<Recorded> log, string msgId) =>
        Histories(log, id => id == msgId).TryGetValue(msgId, out var h) ? h : Seq<Version>();

    // One message's history as it is read: its versions by content, its sender and type so far, its lines.
    sealed class Track
    {
        public readonly Dictionary<string, int> Versions = new(StringComparer.Ordinal);
        public readonly List<Version> Lines = [];
        public string Sender = "";
        public int Type = 1;

        public int Number(Json.Obj content)
        {
            var key = content.ToJsonString();
            if (!Versions.TryGetValue(key, out var n)) Versions[key] = n = Versions.Count + 1;
            return n;
        }

        public void Add(Recorded r, string kind, string actor, Option<Json.Obj> content, Option<long> serverTime) => Lines.Add(new Version(r.Meta.Position, UserOf(r.Meta),
            r.Meta.ReceivedAt, serverTime || r.Meta.ServerTime, kind, actor, content.Match(Number, () => 0), content.Match(c => Describe(Type, c), () => "")));
    }

    /// <summary><see cref="History"/> of every message <paramref name="include"/> selects, in one pass over the log.</summary>
    public static IReadOnlyDictionary<string, Seq<Version>> Histories(IEnumerable<Recorded> log, Func<string, bool> include)
    {
        var tracks = new Dictionary<string, Track>(StringComparer.Ordinal);
        var sends = new Dictionary<(string, long), SendMessage>();
        var asked = new Dictionary<(string, long), (string MsgId, string What)>();
        Track? Of(string msgId)
        {
            if (tracks.TryGetValue(msgId, out var t)) return t;
            return include(msgId) ? tracks[msgId] = new Track() : null;
        }
        void Loaded(Recorded r, MessageInfo i)
        {
            if (Of(i.Id) is not { } t) return;
            if (t.Sender.Length == 0) t.Sender = i.User.IfNone("");
            foreach (var type in i.Type) t.Type = type;
            t.Add(r, $"loaded (seq {i.Seq}{(i.Revoked.Exists(v => v != 0) ? ", revoked" : "")})", i.User.IfNone(""), i.Content.Bind(j => j is Json.Obj o ? Some(o) : None), i.Created);
        }
        void Confirmed(Recorded r, string me, Option<long> requestId)
        {
            foreach (var id in requestId)
                if (asked.Remove((me, id), out var q)) tracks[q.MsgId].Add(r, q.What, me, None, None);
        }
        foreach (var r in log.OrderBy(r => r.Meta.Position))
        {
            var me = UserOf(r.Meta);
            switch (r.Event)
            {
                case MessageSendRequested m: foreach (var id in m.Request.RequestId) sends[(r.Meta.Stream, id)] = m.Request; break;
                case MessageSent m when Of(m.Result.MsgId) is { } t:
                    t.Sender = me;
                    var sent = m.Result.RequestId.Bind(id => sends.TryGetValue((r.Meta.Stream, id), out var q) ? Some(q) : None);
                    foreach (var q in sent) t.Type = q.Type;
                    t.Add(r, $"sent (seq {m.Result.Seq})", me, sent.Map(q => q.Message), Some(m.Result.Created));
                    break;
                case MessageReceived m when Of(m.Packet.MsgId) is { } t:
                    (t.Sender, t.Type) = (m.Packet.From, m.Packet.Type);
                    t.Add(r, $"received (seq {m.Packet.Seq})", m.Packet.From, Some(m.Packet.Message), Some(m.Packet.CreatedTime));
                    break;
                case MessagesLoaded l: foreach (var i in l.Result.Msgs) Loaded(r, i); break;
                case MessagesByIdsLoaded l: foreach (var i in l.Result.ListMsgs) Loaded(r, i); break;
                case ConversationCreated c: foreach (var i in Timeline.CreationMessage(c)) Loaded(r, i); break;
                case MessageEditRequested m when Of(m.Request.MsgId) is { } t:
                    foreach (var id in m.Request.RequestId) asked[(me, id)] = (m.Request.MsgId, "edit confirmed");
                    t.Add(r, "edit requested", me, Some(Chat.ContentOf(m.Request.NewContent)), None);
                    break;
                // The server's bare acknowledgement of this user's own request (recorded in the session stream, matched by requestId).
                case RequestAcknowledged a: Confirmed(r, me, a.Result.RequestId); break;
                case MessagePinAnswered a: Confirmed(r, me, a.Result.RequestId); break;
                case MessageEdited m when Of(m.Packet.MsgId) is { } t: t.Add(r, "edited", t.Sender, Some(Chat.ContentOf(m.Packet.NewContent)), None); break;
                case MessageRevokeRequested m: foreach (var id in m.Request.MsgIds) Of(id)?.Add(r, "revoke requested", me, None, None); break;
                case MessageRevokeAnswered m: foreach (var id in m.Result.MsgIds) Of(id)?.Add(r, "revoked (confirmed)", me, None, None); break;
                case MessagesRevoked m: foreach (var id in m.Packet.MsgIds) if (Of(id) is { } t) t.Add(r, "revoked", t.Sender, None, None); break;
                case MessagesDeleted m: foreach (var id in m.Result.MessageIds) Of(id)?.Add(r, "deleted for this user", me, None, None); break;
                case MessagePinRequested m when Of(m.Request.MsgId) is { } t:
                    foreach (var id in m.Request.RequestId) asked[(me, id)] = (m.Request.MsgId, m.Request.IsPin ? "pin confirmed" : "unpin confirmed");
                    t.Add(r, m.Request.IsPin ? "pin requested" : "unpin requested", me, None, None);
                    break;
                case MessagePinChanged m when Of(m.Packet.MsgId) is { } t: t.Add(r, m.Packet.IsPin ? "pinned" : "unpinned", "", None, None); break;
            }
        }
        // A message only asked about (a pin of an id never recorded) has no history.
        return tracks.Where(kv => kv.Value.Lines.Count > 0).ToDictionary(kv => kv.Key, kv => toSeq(kv.Value.Lines).Strict(), StringComparer.Ordinal);
    }

    static IEnumerable<Line> Lines(Recorded r)
    {
        Line L(string kind, string msgId, string who, string detail) => new(r.Meta.Position, r.Meta.ReceivedAt, kind, msgId, who, detail);
        var me = UserOf(r.Meta);
        switch (r.Event)
        {
            case MessageReceived m: yield return L("posted", m.Packet.MsgId, m.Packet.From, $"seq {m.Packet.Seq}: {Describe(m.Packet.Type, m.Packet.Message)}"); break;
            case MessageSent m: yield return L("posted", m.Result.MsgId, me, $"seq {m.Result.Seq}"); break;
            case MessageEditRequested m: yield return L("edit requested", m.Request.MsgId, me, Chat.TextOf(Chat.ContentOf(m.Request.NewContent))); break;
            case MessageEdited m: yield return L("edited", m.Packet.MsgId, "", Chat.TextOf(Chat.ContentOf(m.Packet.NewContent))); break;
            case MessagePinRequested m: yield return L(m.Request.IsPin ? "pin requested" : "unpin requested", m.Request.MsgId, me, ""); break;
            case MessagePinChanged m: yield return L(m.Packet.IsPin ? "pinned" : "unpinned", m.Packet.MsgId, "", ""); break;
            case MessageRevokeRequested m: foreach (var id in m.Request.MsgIds) yield return L("revoke requested", id, me, ""); break;
            case MessagesRevoked m: foreach (var id in m.Packet.MsgIds) yield return L("revoked", id, "", ""); break;
            case MessageRevokeAnswered m: foreach (var id in m.Result.MsgIds) yield return L("revoked", id, me, ""); break;
            case MessagesDeleted m: foreach (var id in m.Result.MessageIds) yield return L("deleted", id, me, ""); break;
            case MessageReportReceived m: yield return L(m.Packet.Status == 2 ? "read" : "delivered", "", m.Packet.From, $"up to seq {m.Packet.LastMsgSeq}"); break;
            case ConversationReadMarked m: yield return L("read", "", me, $"up to seq {m.Request.LastMsgSeq}"); break;
        }
    }

    /// <summary>Every message of a conversation with every version (revoked and deleted included), by seq.</summary>
    public static Seq<TranscriptLine> Transcript(Timeline.State s, string convId) =>
        Timeline.Audit(s, convId).Map(m => new TranscriptLine(m.Seq, m.Id, m.Created, m.Sender, Describe(m.Type, m.Content), m.Edited, m.Revoked, m.Deleted,
            m.Versions.Map(v => Describe(m.Type, v))) { Type = m.Type });

    /// <summary>The text of a message, or what a system message says.</summary>
    public static string Describe(int type, Json.Obj content) => type switch
    {
        7 => $"(created the conversation{content["groupName"].Bind(j => j is Json.Str n && n.Value.Length > 0 ? Some($" '{n.Value}'") : None).IfNone("")})",
        8 => $"(renamed the conversation{content["groupName"].Bind(j => j is Json.Str n ? Some($" to '{n.Value}'") : None).IfNone("")})",
        100 => $"({content["type"].Bind(j => j is Json.Str t ? Some(t.Value) : None).IfNone("notification")})",
        _ => Chat.TextOf(content),
    };

    /// <summary>Figures over the whole log: messages from the merged transcript (<see cref="EventSourced.Projections.Transcript"/>), each counted once whichever clients recorded it.</summary>
    public static Figures Of(IEnumerable<Recorded> log)
    {
        var events = log as IReadOnlyCollection<Recorded> ?? log.ToList();
        return Of(events, EventSourced.Projections.Transcript.OfLog(events));
    }

    /// <summary>Figures of a log whose recordings are already merged.</summary>
    public static Figures Of(IEnumerable<Recorded> log, EventSourced.Projections.Transcript.Merged merged)
    {
        var messages = EventSourced.Projections.Transcript.AllMessages(merged).Filter(m => m.IsChat);
        var pinned = new System.Collections.Generic.HashSet<(string, string)>();
        var created = new Dictionary<string, long>(StringComparer.Ordinal);
        var accepted = new Dictionary<string, (long At, string Agent)>(StringComparer.Ordinal);
        var ended = new Dictionary<string, long>(StringComparer.Ordinal);
        var liveChats = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        foreach (var r in log)
        {
            var at = r.Meta.ReceivedAt;
            switch (r.Event)
            {
                case MessagePinChanged m when m.Packet.IsPin: pinned.Add((m.Packet.ConvId, m.Packet.MsgId)); break;
                case ConversationCreated c when c.Result.Conversation.ChannelType == Some(1):
                    liveChats.Add(c.Result.Conversation.ConvId);
                    created.TryAdd(c.Result.Conversation.ConvId, at);
                    break;
                case ChatRequestAnswered a when a.Result.Answer: accepted.TryAdd(a.Result.ConvId, (at, UserOf(r.Meta))); break;
                case ConversationEnded e: ended.TryAdd(e.Packet.ConvId, at); break;
                case ChatEnded e: ended.TryAdd(e.Result.ConvId, at); break;
            }
        }
        var bySender = messages.GroupBy(m => m.Sender).Aggregate(Map<OrdStringOrdinal, string, int>(), (acc, g) => acc.AddOrUpdate(g.Key, g.Count()));
        var chats = liveChats.Order(StringComparer.Ordinal).Select(id => new LiveChatFigures(id,
            accepted.TryGetValue(id, out var a) && created.TryGetValue(id, out var c) ? Some(a.At - c) : None,
            accepted.TryGetValue(id, out var a2) && ended.TryGetValue(id, out var e) ? Some(e - a2.At) : None,
            accepted.TryGetValue(id, out var a3) ? Some(a3.Agent) : None)).ToSeq();
        // First response: per conversation, the time from its first message to the first message by someone else (server times).
        var firstResponse = messages.GroupBy(m => m.ConvId).Choose(g =>
        {
            var ordered = g.OrderBy(m => m.Created).ThenBy(m => m.Seq).ToList();
            var reply = ordered.Skip(1).FirstOrDefault(m => m.Sender != ordered[0].Sender);
            return reply is null ? None : Some(reply.Created - ordered[0].Created);
        }).ToSeq();
        return new Figures(messages.Count, bySender, messages.Count(m => m.Edited), messages.Count(m => m.Revoked), pinned.Count, chats, firstResponse,
            toSeq(messages.Map(m => m.Created).Order())) { Counts = EventSourced.Projections.Transcript.CountsOf(merged) };
    }
}
