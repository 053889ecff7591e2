namespace EventSourced.Projections;

/// <summary>
/// Time travel over a recorded log (in log order). Two clocks: the client's (log position, local
/// receive time: what the client knew, and when) and the server's (conversation <c>seq</c>: what was
/// true in the conversation).
/// </summary>
public static class AsOf
{
    /// <summary>State after the event at local position <paramref name="position"/> (inclusive).</summary>
    public static TState Position<TState>(IEnumerable<Recorded> log, long position, Reducer<TState> reducer) =>
        reducer.Fold(log.TakeWhile(r => r.Meta.Position <= position).Select(r => r.Event));

    /// <summary>What the client knew at local time <paramref name="at"/> (epoch ms, inclusive).</summary>
    public static TState Time<TState>(IEnumerable<Recorded> log, long at, Reducer<TState> reducer) =>
        reducer.Fold(log.Where(r => r.Meta.ReceivedAt <= at).Select(r => r.Event));

    /// <summary>
    /// One conversation as it stood at <paramref name="seq"/>: every message with a seq up to it
    /// (whenever it was received), and the facts without a seq (edits, pins, revokes, reports)
    /// recorded before the client first saw a message beyond it.
    /// </summary>
    public static TState Seq<TState>(IEnumerable<Recorded> log, string convId, long seq, Reducer<TState> reducer)
    {
        var mine = log.Where(r => Recording.ConversationOf(r.Event) == Some(convId)).Select(r => r.Event).ToList();
        var cut = mine.FindIndex(e => MaxSeq(e).Exists(q => q > seq));
        var kept = mine.Select((e, i) => MaxSeq(e).IsSome ? Trim(e, seq) : cut < 0 || i < cut ? Some(e) : None).Somes();
        return reducer.Fold(kept);
    }

    /// <summary>
    /// One conversation as it was true at server time <paramref name="serverTime"/> (epoch ms): as it
    /// stood at the last message the server had stamped by then (see <see cref="Seq{TState}"/>).
    /// Beside <see cref="Time{TState}"/> (what the client knew at a local time) this answers what was said by then.
    /// </summary>
    public static TState TrueAt<TState>(IEnumerable<Recorded> log, string convId, long serverTime, Reducer<TState> reducer)
    {
        var events = log.Where(r => Recording.ConversationOf(r.Event) == Some(convId)).ToList();
        var upTo = SeqAt(events, convId, serverTime);
        return AsOf.Seq(events, convId, upTo, reducer);
    }

    /// <summary>Where <see cref="Seq{TState}"/> stops taking seq-less facts: the log position of the first event of the conversation beyond <paramref name="seq"/>.</summary>
    public static Option<long> Cut(IEnumerable<Recorded> log, string convId, long seq) =>
        log.Where(r => Recording.ConversationOf(r.Event) == Some(convId)).Find(r => MaxSeq(r.Event).Exists(q => q > seq)).Map(r => r.Meta.Position);

    /// <summary>The seq up to which a conversation was true at a server time (0 when nothing was stamped by then).</summary>
    public static long SeqAt(IEnumerable<Recorded> log, string convId, long serverTime)
    {
        var upTo = 0L;
        foreach (var r in log.Where(r => Recording.ConversationOf(r.Event) == Some(convId)))
        {
            var stamps = r.Event switch
            {
                MessageReceived m => LanguageExt.Prelude.Seq1((Seq: m.Packet.Seq, At: m.Packet.CreatedTime)),
                MessageSent m => LanguageExt.Prelude.Seq1((Seq: m.Result.Seq, At: m.Result.Created)),
                MessagesLoaded l => l.Result.Msgs.Choose(x => x.Created.Map(c => (Seq: x.Seq, At: c))),
                MessagesByIdsLoaded l => l.Result.ListMsgs.Choose(x => x.Created.Map(c => (Seq: x.Seq, At: c))),
                _ => LanguageExt.Prelude.Seq<(long Seq, long At)>(),
            };
            foreach (var (seq, at) in stamps) if (at <= serverTime && seq > upTo) upTo = seq;
        }
        return upTo;
    }

    static Option<long> MaxSeq(Event e) => e switch
    {
        MessageReceived m => m.Packet.Seq,
        MessageSent m => m.Result.Seq,
        MessagesLoaded l => l.Result.Msgs.IsEmpty ? None : Some(l.Result.Msgs.Max(m => m.Seq)),
        MessagesByIdsLoaded l => l.Result.ListMsgs.IsEmpty ? None : Some(l.Result.ListMsgs.Max(m => m.Seq)),
        _ => None,
    };

    static Option<Event> Trim(Event e, long seq) => e switch
    {
        MessageReceived m => m.Packet.Seq <= seq ? Some(e) : None,
        MessageSent m => m.Result.Seq <= seq ? Some(e) : None,
        MessagesLoaded l => Some<Event>(new MessagesLoaded(l.Result with { Msgs = l.Result.Msgs.Filter(m => m.Seq <= seq) })),
        MessagesByIdsLoaded l => Some<Event>(new MessagesByIdsLoaded(l.Result with { ListMsgs = l.Result.ListMsgs.Filter(m => m.Seq <= seq) })),
        _ => Some(e),
    };
}
