namespace EventSourced.Bench;

/// <summary>
/// The ceiling of #4 and #3: what the timeline and conversation-list read models keep of the
/// benchmark's traffic (messages by seq and by id with every version, each participant's received and
/// seen seq, each conversation's last message, last seq, last update and unread seqs), kept in
/// mutable dictionaries and updated in place: no immutability, no structural sharing, no versions
/// of the state itself. <typeparamref name="TContent"/> is what a message's content is where the
/// fold runs (decoded JSON for #4, the raw JSON text for #3).
/// </summary>
public sealed class MutableReadModels<TContent>(Func<TContent, TContent, TContent> merge, Func<TContent, TContent, bool> same, string? me = null)
    where TContent : class
{
    sealed class Message(string id, string sender, int type, long created, TContent content)
    {
        public readonly string Id = id;
        public readonly string Sender = sender;
        public readonly int Type = type;
        public readonly long Created = created;
        public readonly List<TContent> Versions = [content];
    }

    sealed class TimelineConversation
    {
        public readonly Dictionary<long, Message> BySeq = [];
        public readonly Dictionary<string, long> SeqOf = new(StringComparer.Ordinal);
        public readonly Dictionary<string, (long Received, long Seen)> Reports = new(StringComparer.Ordinal);
    }

    sealed class ListConversation
    {
        public long LastSeq;
        public long LastUpdate;
        public long ReadSeq;
        public (string Id, long Seq, int Type, string Sender, TContent Content, long Created)? Last;
        public readonly HashSet<long> Unread = [];
        public readonly Dictionary<string, (long Received, long Seen)> Participants = new(StringComparer.Ordinal);
    }

    readonly Dictionary<string, TimelineConversation> timeline = new(StringComparer.Ordinal);
    readonly Dictionary<string, ListConversation> list = new(StringComparer.Ordinal);

    /// <summary>Messages kept (for a check that the fold did its work).</summary>
    public int Messages => timeline.Values.Sum(c => c.BySeq.Count);

    // Each model has its own methods, so #4 can fold one model after the other, as its pure side does.
    public void Received(string convId, string msgId, string from, long seq, int type, long created, TContent content)
    {
        ReceivedInTimeline(convId, msgId, from, seq, type, created, content);
        ReceivedInList(convId, msgId, from, seq, type, created, content);
    }

    public void ReceivedInTimeline(string convId, string msgId, string from, long seq, int type, long created, TContent content)
    {
        if (!timeline.TryGetValue(convId, out var t)) timeline[convId] = t = new();
        if (t.SeqOf.TryAdd(msgId, seq) && !t.BySeq.TryAdd(seq, new Message(msgId, from, type, created, content))) t.SeqOf.Remove(msgId);
    }

    public void ReceivedInList(string convId, string msgId, string from, long seq, int type, long created, TContent content)
    {
        if (!list.TryGetValue(convId, out var c)) list[convId] = c = new();
        if (c.Last is not { } last || seq > last.Seq || (seq == last.Seq && string.CompareOrdinal(msgId, last.Id) > 0))
            c.Last = (msgId, seq, type, from, content, created);
        if (from != me && seq > c.ReadSeq) c.Unread.Add(seq);
        c.LastSeq = Math.Max(c.LastSeq, seq);
        c.LastUpdate = Math.Max(c.LastUpdate, created);
    }

    public void Edited(string convId, string msgId, TContent change)
    {
        if (!timeline.TryGetValue(convId, out var t) || !t.SeqOf.TryGetValue(msgId, out var seq)) return;
        var versions = t.BySeq[seq].Versions;
        var merged = merge(versions[^1], change);
        if (!same(merged, versions[^1])) versions.Add(merged);
    }

    public void Reported(string convId, string from, long seq, bool seen)
    {
        ReportedInTimeline(convId, from, seq, seen);
        ReportedInList(convId, from, seq, seen);
    }

    public void ReportedInTimeline(string convId, string from, long seq, bool seen)
    {
        if (!timeline.TryGetValue(convId, out var t)) timeline[convId] = t = new();
        t.Reports[from] = Raise(t.Reports.GetValueOrDefault(from), seq, seen);
    }

    public void ReportedInList(string convId, string from, long seq, bool seen)
    {
        if (!list.TryGetValue(convId, out var c)) list[convId] = c = new();
        c.Participants[from] = Raise(c.Participants.GetValueOrDefault(from), seq, seen);
        if (seen && from == me && seq > c.ReadSeq)
        {
            c.ReadSeq = seq;
            c.Unread.RemoveWhere(q => q <= seq);
        }
    }

    static (long Received, long Seen) Raise((long Received, long Seen) r, long seq, bool seen) =>
        (Math.Max(r.Received, seq), seen ? Math.Max(r.Seen, seq) : r.Seen);
}
