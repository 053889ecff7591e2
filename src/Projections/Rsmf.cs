using System.Globalization;
using System.Text;

namespace EventSourced.Projections;

/// <summary>
/// Relativity Short Message Format 2.0: the manifest (<c>rsmf_manifest.json</c>) and its attachment files for the merged transcript of
/// some conversations, from the log alone. Participants are every user any event names; a conversation is <c>direct</c> (two people, not a
/// group) or <c>channel</c>, with its participants at its first recorded event and its custodian the first recording's user; every message
/// becomes a <c>message</c> event (system messages <c>history</c>) with its edits, read and delivered receipts and attachments; participant
/// changes become <c>join</c> and <c>leave</c>. A revoked or deleted message is <c>deleted</c>, its original text kept in <c>custom</c>.
/// </summary>
public static class Rsmf
{
    /// <summary>The manifest, its attachment files (name, bytes), and its time span and event count (what the EML headers carry).</summary>
    public sealed record Package(Json.Obj Manifest, Seq<(string Name, byte[] Content)> Files, long Begin, long End, int EventCount);

    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>RFC 3339 UTC with milliseconds.</summary>
    public static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", Inv);

    // RSMF custom values are non-empty strings: numbers and flags are written as text; a missing or empty value is left out.
    static Json Custom(params (string Name, Json Value)[] fields) =>
        new Json.Arr(toSeq(fields.Choose(f => (f.Value switch
        {
            Json.Str s when s.Value.Length > 0 => Some(s.Value),
            Json.Number or Json.Bool => Some(f.Value.ToJsonString()),
            _ => None,
        }).Map(v => (Json)Json.Object(("name", f.Name), ("value", v))))).Strict());

    sealed class People
    {
        public readonly SortedDictionary<string, (Option<string> Display, Option<string> Email, Option<string> Avatar, Option<string> Phone)> ById = new(StringComparer.Ordinal);

        public void Note(string id, Option<string> display = default, Option<string> email = default, Option<string> avatar = default, Option<string> phone = default)
        {
            if (id.Length == 0) return;
            var p = ById.TryGetValue(id, out var x) ? x : (None, None, None, None);
            ById[id] = (display.Filter(d => d.Length > 0) || p.Display, email.Filter(d => d.Length > 0) || p.Email, avatar.Filter(d => d.Length > 0) || p.Avatar,
                phone.Filter(d => d.Length > 0) || p.Phone);
        }
    }

    /// <summary>The package for the conversations <paramref name="include"/> selects.</summary>
    public static Package Of(IReadOnlyList<Recorded> log, Func<string, bool> include)
    {
        var merged = Transcript.OfLog(log);
        var people = new People();
        var firstInfo = new Dictionary<string, ConversationInfo>(StringComparer.Ordinal);
        var liveChat = new Dictionary<string, ChatRequestNotice>(StringComparer.Ordinal);
        var changes = new List<(long At, string Kind, string ConvId, string User, string By)>();
        var reports = new List<(string ConvId, string From, long UpTo, string Action, long At)>();
        var deletedBy = new Dictionary<string, SortedSet<string>>(StringComparer.Ordinal);
        foreach (var r in log)
        {
            var me = Recording.UserOfStream(r.Meta.Stream).IfNone("");
            void Info(ConversationInfo c)
            {
                firstInfo.TryAdd(c.ConvId, c);
                foreach (var p in c.Participants.IfNone(Seq<Participant>())) people.Note(p.User, p.DisplayName, avatar: p.AvatarUrl);
            }
            switch (r.Event)
            {
                case Connected c: foreach (var u in c.Result.UserId) people.Note(u, c.Result.DisplayName); break;
                case ConversationCreated c: Info(c.Result.Conversation); break;
                case ConversationsLoaded l: foreach (var c in l.Result.ListConvs) Info(c); break;
                case ConversationWithUserLoaded l: foreach (var c in l.Result.Conversations) Info(c); break;
                case MessageReceived m: people.Note(m.Packet.From, m.Packet.DisplayName, avatar: m.Packet.AvatarUrl); break;
                case UserInfoChanged u: people.Note(u.Packet.UserId, u.Packet.DisplayName, u.Packet.Email, u.Packet.AvatarUrl); break;
                case ChatRequestReceived q:
                    liveChat.TryAdd(q.Packet.ConvId, q.Packet);
                    people.Note(q.Packet.CustomerId, q.Packet.CustomerName);
                    break;
                case ParticipantsAddedNotified a:
                    foreach (var p in a.Packet.Added)
                    {
                        people.Note(p.User, p.DisplayName, avatar: p.AvatarUrl);
                        changes.Add((r.Meta.ServerTime.IfNone(r.Meta.ReceivedAt), "join", a.Packet.ConvId, p.User, a.Packet.AddedBy.IfNone("")));
                    }
                    break;
                case ParticipantsAdded a:
                    foreach (var conv in a.Result.ConvId)
                        foreach (var p in a.Result.Added)
                        {
                            people.Note(p.User, p.DisplayName, avatar: p.AvatarUrl);
                            changes.Add((r.Meta.ServerTime.IfNone(r.Meta.ReceivedAt), "join", conv, p.User, me));
                        }
                    break;
                case ParticipantRemovedNotified x:
                    var removed = Json.Parse(x.Packet.RemovedInfo).ToOption().Bind(j => j is Json.Obj o ? o["user"] : None).Bind(j => j is Json.Str s ? Some(s.Value) : None);
                    foreach (var u in removed) changes.Add((r.Meta.ServerTime.IfNone(r.Meta.ReceivedAt), "leave", x.Packet.GroupId, u, x.Packet.RemovedBy.IfNone("")));
                    break;
                case ParticipantsRemoved x:
                    foreach (var conv in x.Result.ConvId) foreach (var p in x.Result.Removed) changes.Add((r.Meta.ServerTime.IfNone(r.Meta.ReceivedAt), "leave", conv, p.User, me));
                    break;
                // A live chat: the agent who accepts it joins; one who hands it over leaves, the one who takes the transfer joins.
                case ChatRequestAnswered a when a.Result.Answer && a.Result.R == 0: changes.Add((r.Meta.ServerTime.IfNone(r.Meta.ReceivedAt), "join", a.Result.ConvId, me, "")); break;
                case TransferAnswerRequested t when t.Request.Answer: changes.Add((r.Meta.ReceivedAt, "join", t.Request.ConvId, me, "")); break;
                case ChatTransferred t when t.Result.R == 0: changes.Add((r.Meta.ServerTime.IfNone(r.Meta.ReceivedAt), "leave", t.Result.ConvId, me, "")); break;
                case MessageReportReceived m: reports.Add((m.Packet.ConvId, m.Packet.From, m.Packet.LastMsgSeq, m.Packet.Status == 2 ? "read" : "delivered", r.Meta.ReceivedAt)); break;
                case MessagesDeleted d:
                    foreach (var id in d.Result.MessageIds) (deletedBy.TryGetValue(id, out var s) ? s : deletedBy[id] = new SortedSet<string>(StringComparer.Ordinal)).Add(me);
                    break;
            }
        }

        // Every message's versions with when each first appeared, in one pass (not one pass of the log per message).
        var exported = merged.Conversations.Filter(include).Bind(c => Transcript.Messages(merged, c).Map(m => m.MsgId)).ToHashSet();
        var histories = Audit.Histories(log, exported.Contains);
        var reportsOf = reports.ToLookup(x => x.ConvId, StringComparer.Ordinal);
        var conversations = new List<Json>();
        // Only who the exported conversations name is listed (another conversation's people stay out of this export).
        var referenced = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var events = new List<(long At, string ConvId, long Seq, int Order, Json Event)>();
        var files = new List<(string, byte[])>();
        foreach (var convId in merged.Conversations.Filter(include))
        {
            var messages = Transcript.Messages(merged, convId);
            var recorders = messages.Bind(m => m.SeenBy.Map(w => w.User)).Distinct().Order(StringComparer.Ordinal).ToSeq();
            var info = firstInfo.TryGetValue(convId, out var i) ? Some(i) : None;
            var members = info.Bind(c => c.Participants).Map(ps => ps.Map(p => p.User)).IfNone(Seq<string>());
            if (members.IsEmpty) members = messages.HeadOrNone().Map(m => Seq1(m.Sender)).IfNone(recorders);
            foreach (var u in members.Concat(recorders))
            {
                people.Note(u);
                referenced.Add(u);
            }
            var isGroup = info.Bind(c => c.IsGroup).IfNone(true);
            var chat = liveChat.TryGetValue(convId, out var q) ? Some(q) : None;
            conversations.Add(Json.Object(("id", convId), ("display", info.Bind(c => c.ConvName).Filter(n => n.Length > 0).IfNone(convId)), ("platform", "Stringee"),
                ("type", !isGroup && members.Count == 2 ? "direct" : "channel"),
                ("participants", new Json.Arr(members.Distinct().Map(u => (Json)u).ToSeq().Strict())),
                ("custodian", recorders.HeadOrNone().IfNone(members.HeadOrNone().IfNone(""))),
                ("custom", Custom(("recorded_by", string.Join(", ", recorders)), ("channel_type", (long)info.Bind(c => c.ChannelType).IfNone(0)),
                    ("creator", info.Bind(c => c.Creator).Match(x => (Json)x, () => Json.Null.Value)),
                    ("live_chat_customer_id", chat.Match(x => (Json)x.CustomerId, () => Json.Null.Value)),
                    ("live_chat_customer_name", chat.Bind(x => x.CustomerName).Match(x => (Json)x, () => Json.Null.Value))))));

            foreach (var m in messages)
            {
                people.Note(m.Sender);
                referenced.Add(m.Sender);
                var history = histories.TryGetValue(m.MsgId, out var h) ? h : Seq<Audit.Version>();
                var edits = new List<Json>();
                for (var v = 1; v < m.Versions.Count; v++)
                {
                    var at = history.Find(h => h.Number == v + 1).Map(h => h.LocalTime).IfNone(m.Created);
                    edits.Add(Json.Object(("participant", m.Sender), ("timestamp", Time(at)),
                        ("previous", Audit.Describe(m.Type, m.Versions[v - 1])), ("new", Audit.Describe(m.Type, m.Versions[v]))));
                }
                var receipts = reportsOf[convId].Where(x => x.UpTo >= m.Seq && x.From != m.Sender)
                    .GroupBy(x => (x.From, x.Action)).Select(g => g.MinBy(x => x.At)).OrderBy(x => x.At).ThenBy(x => x.From, StringComparer.Ordinal)
                    .Select(x =>
                    {
                        people.Note(x.From);
                        referenced.Add(x.From);
                        return (Json)Json.Object(("participant", x.From), ("action", x.Action), ("timestamp", Time(x.At)));
                    }).ToList();
                var attachments = new List<Json>();
                if (!m.Revoked)
                    foreach (var (url, display) in Files(m.Content))
                    {
                        var name = $"{SafeName(m.MsgId)}-{attachments.Count + 1}.url";
                        var bytes = Encoding.UTF8.GetBytes($"[InternetShortcut]\r\nURL={url.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal)}\r\n");
                        files.Add((name, bytes));
                        attachments.Add(Json.Object(("id", name), ("display", display), ("size", (long)bytes.Length)));
                    }
                var deleted = deletedBy.TryGetValue(m.MsgId, out var by) ? by : null;
                var text = Audit.Describe(m.Type, m.Content);
                var ev = new List<(string, Json)>
                {
                    ("id", m.MsgId), ("type", m.IsChat ? "message" : "history"), ("participant", m.Sender), ("conversation", convId), ("timestamp", Time(m.Created)),
                    ("body", m.Revoked ? "" : text), ("deleted", m.Revoked || deleted is not null),
                    ("custom", Custom(("seq", m.Seq), ("stringee_type", (long)m.Type), ("revoked", m.Revoked ? (Json)true : Json.Null.Value),
                        ("original_body", m.Revoked ? (Json)text : Json.Null.Value),
                        ("deleted_by", deleted is null ? Json.Null.Value : string.Join(", ", deleted)),
                        ("seen_by", string.Join(", ", m.SeenBy.Map(w => w.User))), ("disputed", m.Disputed ? (Json)true : Json.Null.Value))),
                };
                if (edits.Count > 0) ev.Add(("edits", new Json.Arr(toSeq(edits))));
                if (receipts.Count > 0) ev.Add(("read_receipts", new Json.Arr(toSeq(receipts))));
                if (attachments.Count > 0) ev.Add(("attachments", new Json.Arr(toSeq(attachments))));
                events.Add((m.Created, convId, m.Seq, 1, Json.Object(ev.ToArray())));
            }
            foreach (var c in changes.Where(c => c.ConvId == convId).GroupBy(c => (c.Kind, c.User)).Select(g => g.MinBy(c => c.At)))
            {
                people.Note(c.User);
                referenced.Add(c.User);
                events.Add((c.At, convId, long.MaxValue, 0, Json.Object(("type", c.Kind), ("participant", c.User), ("conversation", convId), ("timestamp", Time(c.At)),
                    ("custom", Custom(("by", c.By.Length > 0 ? (Json)c.By : Json.Null.Value))))));
            }
        }
        var ordered = events.OrderBy(e => e.At).ThenBy(e => e.ConvId, StringComparer.Ordinal).ThenBy(e => e.Seq).ThenBy(e => e.Order).ToList();
        var participants = people.ById.Where(p => referenced.Contains(p.Key)).Select(p => (Json)Json.Object(new (string, Json)[]
        {
            ("id", p.Key), ("display", p.Value.Display.IfNone(p.Key)), ("account_id", p.Key),
            ("custom", Custom(("avatar_url", p.Value.Avatar.Match(a => (Json)a, () => Json.Null.Value)), ("phone", p.Value.Phone.Match(a => (Json)a, () => Json.Null.Value)))),
        }.Concat(p.Value.Email.Filter(IsEmail).Map(e => ("email", (Json)e))).ToArray())).ToSeq().Strict();
        var manifest = Json.Object(("version", "2.0.0"), ("participants", new Json.Arr(participants)), ("conversations", new Json.Arr(toSeq(conversations))),
            ("events", new Json.Arr(toSeq(ordered.Select(e => e.Event)))));
        return new Package(manifest, toSeq(files), ordered.Count == 0 ? 0 : ordered.Min(e => e.At), ordered.Count == 0 ? 0 : ordered.Max(e => e.At), ordered.Count);
    }

    static bool IsEmail(string s) => s.Length < 255 && s.IndexOf('@', StringComparison.Ordinal) is > 0 and var at && at < s.Length - 1 && !s.Any(char.IsWhiteSpace) && !s.Any(char.IsControl);

    /// <summary>A file name made of the id: letters, digits, '-', '_' and '.' kept, everything else as _XX (its UTF-8 bytes), at most 80 characters.</summary>
    public static string SafeName(string id)
    {
        var b = new StringBuilder();
        foreach (var by in Encoding.UTF8.GetBytes(id))
        {
            var c = (char)by;
            b.Append(by < 128 && (char.IsAsciiLetterOrDigit(c) || c is '-' or '.') && !(b.Length == 0 && c == '.') ? c.ToString() : $"_{by:X2}");
        }
        var s = b.ToString();
        return s.Length <= 80 ? s : s[..60] + "_" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..16];
    }

    // File references in a content object (§7.3): photo, video, audio and file carry a filePath; a file its name.
    static IEnumerable<(string Url, string Display)> Files(Json.Obj content)
    {
        foreach (var key in new[] { "photo", "video", "audio", "file" })
            foreach (var part in content[key].Bind(j => j is Json.Obj o ? Some(o) : None))
                foreach (var url in (part["filePath"] || part["fileUrl"]).Bind(j => j is Json.Str s && s.Value.Length > 0 ? Some(s.Value) : None))
                    yield return (url, part["filename"].Bind(j => j is Json.Str s && s.Value.Length > 0 ? Some(s.Value) : None)
                        .IfNone(() => Uri.TryCreate(url, UriKind.Absolute, out var u) && u.Segments.Length > 0 ? Uri.UnescapeDataString(u.Segments[^1]) : $"{key} attachment"));
    }
}
