namespace EventSourced.Projections;

/// <summary>
/// Which <c>seq</c> of each conversation the client holds, as contiguous ranges, and the gaps
/// up to the highest seq it knows exists: what catch-up must fetch, and the compliance proof
/// that nothing is missing.
/// </summary>
public static class Coverage
{
    /// <summary>A closed range of seq.</summary>
    public sealed record Range(long From, long To);

    /// <summary>One conversation's coverage: ranges keyed by their start.</summary>
    public sealed record Conversation(Map<long, long> Ranges, long KnownLast)
    {
        /// <summary>Nothing held.</summary>
        public static readonly Conversation Empty = new(Map<long, long>(), 0);

        /// <summary>The contiguous ranges held, in order.</summary>
        public Seq<Range> Held => Ranges.Map((f, t) => new Range(f, t)).Values.ToSeq();

        /// <summary>The seqs from 1 to the highest known that are not held.</summary>
        public Seq<Range> Gaps
        {
            get
            {
                var gaps = new List<Range>();
                var next = 1L;
                foreach (var (from, to) in Ranges)
                {
                    if (from > next) gaps.Add(new Range(next, from - 1));
                    next = to + 1;
                }
                if (KnownLast >= next) gaps.Add(new Range(next, KnownLast));
                return toSeq(gaps);
            }
        }

        /// <summary>The highest seq up to which everything is held (0 when seq 1 is missing).</summary>
        public long ContiguousUpTo => Ranges.Find(1).IfNone(0);

        /// <summary>True when a seq is held.</summary>
        public bool Holds(long seq) => Ranges.FindExactOrPredecessor(seq).Map(r => r.Value >= seq).IfNone(false);
    }

    /// <summary>Read model state.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Conversation> ByConv)
    {
        /// <summary>Nothing held.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Conversation>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = Reducers.OfEvents("coverage", State.Initial, Evolve);

    /// <summary>A conversation's coverage (empty when unknown).</summary>
    public static Conversation Of(State s, string convId) => s.ByConv.Find(convId).IfNone(Conversation.Empty);

    /// <summary>Applies one event. Total; unrelated events return the same instance.</summary>
    public static State Evolve(State s, Event e) => e switch
    {
        MessageReceived m => Hold(s, m.Packet.ConvId, m.Packet.Seq),
        MessageSent m => Hold(s, m.Result.ConvId, m.Result.Seq),
        MessagesLoaded l => l.Result.Msgs.Fold(s, (st, m) => m.ConvId.Match(c => Hold(st, c, m.Seq), () => st)),
        MessagesByIdsLoaded l => l.Result.ListMsgs.Fold(s, (st, m) => m.ConvId.Match(c => Hold(st, c, m.Seq), () => st)),
        // The creation answer carries the conversation's first message: the client holds it.
        ConversationCreated c => Timeline.CreationMessage(c).Fold(Known(s, c.Result.Conversation), (st, m) => m.ConvId.Match(conv => Hold(st, conv, m.Seq), () => st)),
        ConversationsLoaded l => Chat.Distinct(l.Result.ListConvs).Fold(s, Known),
        ConversationWithUserLoaded l => Chat.Distinct(l.Result.Conversations).Fold(s, Known),
        MessageReportReceived r => Last(s, r.Packet.ConvId, r.Packet.LastMsgSeq),
        _ => s,
    };

    static State Known(State s, ConversationInfo c) => c.ConvLastSeq.Match(q => Last(s, c.ConvId, q), () => s);

    static State Last(State s, string convId, long seq)
    {
        var c = Of(s, convId);
        return seq <= c.KnownLast ? s : s with { ByConv = s.ByConv.AddOrUpdate(convId, c with { KnownLast = seq }) };
    }

    static State Hold(State s, string convId, long seq)
    {
        if (seq < 1) return s;
        var c = Of(s, convId);
        if (c.Holds(seq)) return s;
        var ranges = c.Ranges;
        var from = seq;
        var to = seq;
        // Merge with the range ending just before and the one starting just after.
        foreach (var before in ranges.FindPredecessor(seq).Filter(r => r.Value == seq - 1))
        {
            from = before.Key;
            ranges = ranges.Remove(before.Key);
        }
        foreach (var after in ranges.Find(seq + 1))
        {
            to = after;
            ranges = ranges.Remove(seq + 1);
        }
        return s with { ByConv = s.ByConv.AddOrUpdate(convId, new Conversation(ranges.Add(from, to), Math.Max(c.KnownLast, to))) };
    }
}
