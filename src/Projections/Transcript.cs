namespace EventSourced.Projections;

/// <summary>
/// One conversation from every recording: the canonical transcript. Each user's client records its
/// own copy of a conversation; a copy may miss messages (the user joined late, left, or lost a
/// connection) or versions (an edit it never heard of). <see cref="Merge"/> joins copies as sets,
/// so it is commutative, associative and idempotent; <see cref="Messages"/> reads the join as one
/// message per server seq, with who saw it and when, and <see cref="Disagreements"/> reports every
/// place where copies contradict each other (never resolved silently). This is the one definition
/// of "a message" that audit, export, stats, report and the SQL views share.
/// </summary>
public static class Transcript
{
    /// <summary>One client's copy of one message, and when that client first recorded it (its clock and log position).</summary>
    public sealed record Copy(string User, string ConvId, long Seq, string MsgId, string Sender, int Type, long Created,
        Seq<Json.Obj> Versions, bool Revoked, bool Deleted, long SeenAt, long Position);

    /// <summary>Every copy of every recording merged so far, by conversation and seq. Merging is set union.</summary>
    public sealed record Merged(Map<OrdStringOrdinal, string, Map<long, LanguageExt.HashSet<Copy>>> ByConv)
    {
        /// <summary>No recording.</summary>
        public static readonly Merged Empty = new(Map<OrdStringOrdinal, string, Map<long, LanguageExt.HashSet<Copy>>>());

        /// <summary>The conversations some recording holds, in ordinal order.</summary>
        public Seq<string> Conversations => ByConv.Keys.ToSeq();
    }

    /// <summary>A client that holds a message: who, when it first recorded it, and whether it deleted it on its side.</summary>
    public sealed record Witness(string User, long SeenAt, long Position, bool Deleted);

    /// <summary>
    /// A message of the canonical transcript. <c>Versions</c> is the longest history any copy holds (original first);
    /// <c>Revoked</c> is true when any copy saw the revoke; <c>Disputed</c> when copies contradict each other
    /// (then the variant most clients hold is shown and <see cref="Disagreements"/> says what differs).
    /// </summary>
    public sealed record Message(string ConvId, long Seq, string MsgId, string Sender, int Type, long Created, Seq<Json.Obj> Versions,
        bool Revoked, Seq<Witness> SeenBy, bool Disputed)
    {
        /// <summary>The current content.</summary>
        public Json.Obj Content => Versions.Last;
        /// <summary>True once edited.</summary>
        public bool Edited => Versions.Count > 1;
        /// <summary>A message people wrote (not the server's creation, rename or notification messages).</summary>
        public bool IsChat => IsChatType(Type);
    }

    /// <summary>Where copies contradict each other: which conversation, seq and message, what differs, and which clients hold each side.</summary>
    public sealed record Disagreement(string ConvId, long Seq, string MsgId, string What, Seq<string> Users);

    /// <summary>Message types the server writes (7 creation, 8 rename, 100 and above notifications); every other type is a chat message.</summary>
    public static bool IsChatType(int type) => type is not (7 or 8) && type < 100;

    /// <summary>One user's copy of every conversation, from that user's recorded events in log order.</summary>
    public static Merged FromLog(string user, IEnumerable<Recorded> events)
    {
        var list = events as IReadOnlyCollection<Recorded> ?? events.ToList();
        return Of(user, Timeline.Reducer.Fold(list.Select(r => r.Event)), FirstSeen(list));
    }

    /// <summary>When a client first recorded each (conversation, seq): its clock and log position (0, 0 for one it never recorded).</summary>
    public static Func<string, long, (long At, long Position)> FirstSeen(IEnumerable<Recorded> events)
    {
        var seen = new Dictionary<(string Conv, long Seq), (long At, long Position)>();
        void See(string conv, long seq, Envelope m)
        {
            if (seq >= 1) seen.TryAdd((conv, seq), (m.ReceivedAt, m.Position));
        }
        foreach (var r in events)
            switch (r.Event)
            {
                case MessageReceived m: See(m.Packet.ConvId, m.Packet.Seq, r.Meta); break;
                case MessageSent m: See(m.Result.ConvId, m.Result.Seq, r.Meta); break;
                case MessagesLoaded l: foreach (var i in l.Result.Msgs) foreach (var c in i.ConvId) See(c, i.Seq, r.Meta); break;
                case MessagesByIdsLoaded l: foreach (var i in l.Result.ListMsgs) foreach (var c in i.ConvId) See(c, i.Seq, r.Meta); break;
                case ConversationCreated c: foreach (var i in Timeline.CreationMessage(c)) foreach (var conv in i.ConvId) See(conv, i.Seq, r.Meta); break;
            }
        return (conv, seq) => seen.TryGetValue((conv, seq), out var at) ? at : (0, 0);
    }

    /// <summary>One user's copy from a folded timeline; <paramref name="seenAt"/> says when the client first recorded a (conversation, seq).</summary>
    public static Merged Of(string user, Timeline.State timeline, Func<string, long, (long At, long Position)> seenAt)
    {
        var byConv = Map<OrdStringOrdinal, string, Map<long, LanguageExt.HashSet<Copy>>>();
        foreach (var c in timeline.Conversations.Values)
        {
            if (c.BySeq.IsEmpty) continue;
            var bySeq = Map<long, LanguageExt.HashSet<Copy>>();
            foreach (var m in c.BySeq.Values)
            {
                var (at, position) = seenAt(c.Id, m.Seq);
                bySeq = bySeq.Add(m.Seq, LanguageExt.HashSet<Copy>.Empty.Add(new Copy(user, c.Id, m.Seq, m.Id, m.Sender, m.Type, m.Created, m.Versions, m.Revoked, m.Deleted, at, position)));
            }
            byConv = byConv.Add(c.Id, bySeq);
        }
        return new Merged(byConv);
    }

    /// <summary>The join of two merges: every copy of both. Commutative, associative and idempotent.</summary>
    public static Merged Merge(Merged a, Merged b) =>
        new(b.ByConv.Fold(a.ByConv, (acc, conv, bySeq) => acc.AddOrUpdate(conv,
            mine => bySeq.Fold(mine, (m, seq, copies) => m.AddOrUpdate(seq, held => held.Union(copies), () => copies)),
            () => bySeq)));

    /// <summary>Every user's recording in a log merged (each event belongs to the user whose stream holds it).</summary>
    public static Merged OfLog(IEnumerable<Recorded> log) =>
        MergeAll(log.GroupBy(r => EventSourced.Domain.Client.Recording.UserOf(r.Meta.Stream), StringComparer.Ordinal)
            .Select(g => FromLog(g.Key, g)));

    /// <summary>
    /// The figures every tool reports for a log, from this one definition: <c>Conversations</c> with at least one message;
    /// <c>Messages</c> = distinct (conversation, seq) any recording holds, server messages included; <c>ChatMessages</c>
    /// = those of a chat type; <c>Edited</c> and <c>Revoked</c> chat messages; <c>Disagreements</c> between copies.
    /// </summary>
    public sealed record Counts(int Conversations, int Messages, int ChatMessages, int Edited, int Revoked, int Disagreements)
    {
        /// <summary>Nothing counted.</summary>
        public static readonly Counts None = new(0, 0, 0, 0, 0, 0);

        /// <summary>The counts of two disjoint sets of conversations together.</summary>
        public static Counts operator +(Counts a, Counts b) => new(a.Conversations + b.Conversations, a.Messages + b.Messages,
            a.ChatMessages + b.ChatMessages, a.Edited + b.Edited, a.Revoked + b.Revoked, a.Disagreements + b.Disagreements);

        /// <summary>The one line every tool prints.</summary>
        public override string ToString() =>
            $"{Messages} messages ({ChatMessages} chat, {Messages - ChatMessages} server) in {Conversations} conversations; {Edited} edited, {Revoked} revoked; {Disagreements} disagreements between recordings";
    }

    /// <summary>The counts of a merge (optionally of some conversations only).</summary>
    public static Counts CountsOf(Merged merged, Func<string, bool>? conversations = null)
    {
        var convs = merged.Conversations.Filter(c => conversations is null || conversations(c));
        var messages = convs.Bind(c => Messages(merged, c));
        var chat = messages.Filter(m => m.IsChat);
        var only = new Merged(merged.ByConv.Filter((c, _) => conversations is null || conversations(c)));
        return new Counts(convs.Count, messages.Count, chat.Count, chat.Count(m => m.Edited), chat.Count(m => m.Revoked), Disagreements(only).Count);
    }

    /// <summary>Every recording merged.</summary>
    public static Merged MergeAll(IEnumerable<Merged> recordings) => recordings.Aggregate(Merged.Empty, Merge);

    /// <summary>The canonical transcript of one conversation, by seq.</summary>
    public static Seq<Message> Messages(Merged merged, string convId) =>
        merged.ByConv.Find(convId).Map(bySeq => bySeq.Values.Map(Canonical).ToSeq()).IfNone(Seq<Message>());

    /// <summary>Every conversation's canonical messages, conversations in ordinal order, each by seq.</summary>
    public static Seq<Message> AllMessages(Merged merged) => merged.Conversations.Bind(c => Messages(merged, c));

    // The copies of one seq read as one message: the variant most clients hold (ties by the lowest user), its
    // longest history, revoked when any copy saw the revoke, and every client that holds any copy.
    static Message Canonical(LanguageExt.HashSet<Copy> copies)
    {
        var ordered = copies.OrderBy(c => c.User, StringComparer.Ordinal).ThenBy(c => c.Position).ToList();
        var variants = ordered.GroupBy(Identity).OrderByDescending(g => g.Select(c => c.User).Distinct().Count()).ToList();
        var chosen = variants[0].ToList();
        var head = chosen[0];
        var versions = chosen.Select(c => c.Versions).Aggregate(head.Versions, (best, v) => IsPrefix(best, v) ? v : best);
        var witnesses = ordered.GroupBy(c => c.User, StringComparer.Ordinal)
            .Select(g => new Witness(g.Key, g.Min(c => c.SeenAt), g.Min(c => c.Position), g.Any(c => c.Deleted))).ToSeq();
        return new Message(head.ConvId, head.Seq, head.MsgId, head.Sender, head.Type, head.Created, versions, chosen.Any(c => c.Revoked),
            witnesses, Conflicts(ordered).Any());
    }

    static (string MsgId, string Sender, int Type, long Created, Json.Obj Original) Identity(Copy c) => (c.MsgId, c.Sender, c.Type, c.Created, c.Versions.Head);

    static bool IsPrefix(Seq<Json.Obj> shorter, Seq<Json.Obj> longer) => shorter.Count <= longer.Count && shorter.Zip(longer).ForAll(p => p.Item1 == p.Item2);

    // What the copies of one seq contradict each other on.
    static IEnumerable<(string What, Seq<string> Users)> Conflicts(IReadOnlyList<Copy> copies)
    {
        (string, Seq<string>)? Differ<TKey>(string what, Func<Copy, TKey> key) =>
            copies.Select(key).Distinct().Skip(1).Any() ? (what, copies.Select(c => c.User).Distinct().Order(StringComparer.Ordinal).ToSeq()) : null;
        foreach (var d in new[]
        {
            Differ("message id", c => c.MsgId), Differ("sender", c => c.Sender), Differ("type", c => c.Type), Differ("created time", c => c.Created),
        })
            if (d is { } found) yield return found;
        // Histories agree when one is a prefix of the other (a client that missed an edit); anything else is a different history.
        if (copies.Any(a => copies.Any(b => !IsPrefix(a.Versions, b.Versions) && !IsPrefix(b.Versions, a.Versions))))
            yield return ("content", copies.Select(c => c.User).Distinct().Order(StringComparer.Ordinal).ToSeq());
    }

    /// <summary>Every contradiction between copies: per seq (id, sender, type, time, content) and per message id across seqs.</summary>
    public static Seq<Disagreement> Disagreements(Merged merged) =>
        merged.ByConv.Map((conv, bySeq) =>
        {
            var perSeq = bySeq.Values.SelectMany(copies =>
            {
                var list = copies.OrderBy(c => c.User, StringComparer.Ordinal).ToList();
                return Conflicts(list).Select(x => new Disagreement(conv, list[0].Seq, list[0].MsgId, x.What, x.Users));
            });
            var perId = bySeq.Values.SelectMany(c => c).GroupBy(c => c.MsgId, StringComparer.Ordinal)
                .Where(g => g.Select(c => c.Seq).Distinct().Skip(1).Any())
                .Select(g => new Disagreement(conv, g.Min(c => c.Seq), g.Key, $"seq ({string.Join(", ", g.Select(c => c.Seq).Distinct().Order())})",
                    g.Select(c => c.User).Distinct().Order(StringComparer.Ordinal).ToSeq()));
            return perSeq.Concat(perId).ToSeq();
        }).Values.Bind(x => x).ToSeq();
}
