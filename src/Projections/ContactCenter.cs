using EventSourced.Domain.Server;

namespace EventSourced.Projections;

/// <summary>
/// The live-chat figures contact-center products report: first response time, speed of answer, handling time,
/// abandonment, service level and transfers, overall, per queue, per agent and per interval. Pure: the queue's
/// lifecycle comes as <see cref="QueueFact"/>s (from the local server's record, or failing that from what the agents'
/// and customers' clients recorded), the messages from the merged transcript (<see cref="Transcript"/>).
/// </summary>
/// <remarks>
/// Definitions, each per live chat (a conversation routed to a queue):
/// <list type="bullet">
/// <item><b>offered</b>: the chat was queued. <b>answered</b>: an agent accepted it. <b>abandoned</b>: it ended
/// (the customer left) or timed out in the queue before any agent accepted it. <b>waiting</b>: none of these yet.</item>
/// <item><b>speed of answer</b>: queued → first acceptance. <b>handling time</b>: first acceptance → end, for answered
/// chats that ended; per agent, each agent's part (their acceptance → the next agent's acceptance, or the end).</item>
/// <item><b>first response time</b>: the customer's first message → the first later message by anyone else
/// (server times of the merged transcript); attributed to whoever wrote that reply.</item>
/// <item><b>abandonment rate</b>: abandoned ÷ (offered − waiting). <b>service level at T</b>: chats answered
/// within T ÷ (offered − waiting). Chats still waiting are left out of both, since their outcome is not known.</item>
/// <item><b>transfers</b>: transfers another agent accepted.</item>
/// <item><b>median</b>: the middle value (the mean of the two middle values for an even count); <b>p90</b>: the
/// nearest-rank 90th percentile (the ⌈0.9·n⌉-th smallest value).</item>
/// </list>
/// </remarks>
public static class ContactCenter
{
    /// <summary>One step of a live chat's life in the queue. Times are milliseconds since the Unix epoch.</summary>
    public abstract record QueueFact(string ConvId, long At)
    {
        /// <summary>The chat entered a queue.</summary>
        public sealed record Queued(string ConvId, string Queue, string Customer, long At) : QueueFact(ConvId, At);
        /// <summary>An agent accepted the chat.</summary>
        public sealed record Answered(string ConvId, string Agent, long At) : QueueFact(ConvId, At);
        /// <summary>Another agent accepted a transfer of the chat.</summary>
        public sealed record Transferred(string ConvId, string To, long At) : QueueFact(ConvId, At);
        /// <summary>Nobody accepted the chat before the queue's timeout.</summary>
        public sealed record QueueTimedOut(string ConvId, long At) : QueueFact(ConvId, At);
        /// <summary>The chat ended.</summary>
        public sealed record Ended(string ConvId, long At) : QueueFact(ConvId, At);
    }

    /// <summary>Where a chat ended up.</summary>
    public enum Outcome
    {
        /// <summary>Still in the queue (or its outcome was not recorded).</summary>
        Waiting = 0,
        /// <summary>An agent accepted it.</summary>
        Answered = 1,
        /// <summary>The customer left, or the queue timed out, before any agent accepted it.</summary>
        Abandoned = 2,
    }

    /// <summary>One agent's part of a chat: from their acceptance to the next agent's, or to the end (None while open).</summary>
    public sealed record Segment(string Agent, long From, Option<long> To);

    /// <summary>One live chat.</summary>
    public sealed record Chat(string ConvId, string Queue, string Customer, long QueuedAt, Outcome Outcome, Option<long> AnsweredAt,
        Option<long> EndedAt, Seq<Segment> Segments, Option<(string By, long Ms)> FirstResponse)
    {
        /// <summary>Queued → first acceptance.</summary>
        public Option<long> SpeedOfAnswerMs => AnsweredAt.Map(a => a - QueuedAt);
        /// <summary>First acceptance → end.</summary>
        public Option<long> HandlingMs => from a in AnsweredAt from e in EndedAt select e - a;
        /// <summary>The agent who accepted first.</summary>
        public Option<string> FirstAgent => Segments.HeadOrNone().Map(s => s.Agent);
        /// <summary>Transfers another agent accepted.</summary>
        public int Transfers => Math.Max(0, Segments.Count - 1);
    }

    /// <summary>Mean, median and p90 of a set of durations, in milliseconds; None when there is no value.</summary>
    public sealed record Stat(int Count, Option<double> Mean, Option<double> Median, Option<double> P90)
    {
        /// <summary>Of the values given.</summary>
        public static Stat Of(IEnumerable<long> values)
        {
            var v = values.Order().ToArray();
            if (v.Length == 0) return new Stat(0, None, None, None);
            var median = v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2.0;
            var p90 = v[(int)Math.Ceiling(0.9 * v.Length) - 1];
            return new Stat(v.Length, v.Average(), median, p90);
        }
    }

    /// <summary>The share of chats answered within a threshold (None when no chat's outcome is known).</summary>
    public sealed record ServiceLevel(long ThresholdMs, int Within, Option<double> Rate);

    /// <summary>The figures of a set of chats (all of them, or one queue's).</summary>
    public sealed record Summary(string Key, int Offered, int Answered, int Abandoned, int Waiting, Option<double> AbandonmentRate,
        Seq<ServiceLevel> ServiceLevels, Stat SpeedOfAnswer, Stat FirstResponse, Stat Handling, int Transfers);

    /// <summary>One agent's figures: chats they accepted first, transfers they took in and handed on, and their times.</summary>
    public sealed record AgentSummary(string Agent, int Accepted, int TransfersIn, int TransfersOut, Stat SpeedOfAnswer, Stat FirstResponse, Stat Handling);

    /// <summary>One interval of the time axis: chats queued in it by outcome, and chat messages sent in it.</summary>
    public sealed record Bucket(long Start, int Offered, int Answered, int Abandoned, int Messages);

    /// <summary>What the figures were computed from, and the thresholds used.</summary>
    public sealed record Options(Seq<long> ServiceLevelMs)
    {
        /// <summary>Service level at 20 s and 60 s.</summary>
        public static readonly Options Default = new(Seq(20_000L, 60_000L));
    }

    /// <summary>Everything the report shows. <see cref="From"/>..<see cref="To"/> is the reporting period (None without data).</summary>
    public sealed record Figures(Option<long> From, Option<long> To, long IntervalMs, Seq<Chat> Chats, Summary Overall, Seq<Summary> ByQueue,
        Seq<AgentSummary> ByAgent, Seq<Bucket> Timeline);

    /// <summary>The queue's lifecycle as the local server recorded it (one clock: the server's).</summary>
    public static Seq<QueueFact> FromServer(IEnumerable<ServerRecorded> log) => log.Choose(r => r.Event switch
    {
        ServerEvent.ChatQueued q => Some<QueueFact>(new QueueFact.Queued(q.ConvId, q.QueueId, q.CustomerId, q.At)),
        ServerEvent.ChatAnswered { Accepted: true } a => Some<QueueFact>(new QueueFact.Answered(a.ConvId, a.Agent, a.At)),
        ServerEvent.ChatTransferAnswered { Accepted: true } t => Some<QueueFact>(new QueueFact.Transferred(t.ConvId, t.To, t.At)),
        ServerEvent.ChatQueueTimedOut t => Some<QueueFact>(new QueueFact.QueueTimedOut(t.ConvId, t.At)),
        ServerEvent.ChatEnded e => Some<QueueFact>(new QueueFact.Ended(e.ConvId, e.At)),
        _ => None,
    }).ToSeq();

    /// <summary>
    /// The queue's lifecycle as the clients recorded it, for logs recorded against a server whose own record is not at hand
    /// (Stringee's): a chat is queued when its first offer reaches an agent (the customer's creation of the conversation
    /// when that comes first), at the recording client's clock. The queue is the one the request names, else "(unknown)".
    /// </summary>
    public static Seq<QueueFact> FromClients(IEnumerable<Recorded> log)
    {
        var facts = new List<QueueFact>();
        var queued = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        void Queue(string conv, string customer, long at)
        {
            if (queued.Add(conv)) facts.Add(new QueueFact.Queued(conv, "(unknown)", customer, at));
        }
        foreach (var r in log)
        {
            var at = r.Meta.ReceivedAt;
            var user = Recording.UserOf(r.Meta.Stream);
            switch (r.Event)
            {
                case ConversationCreated c when c.Result.Conversation.ChannelType == Some(1):
                    Queue(c.Result.Conversation.ConvId, user, at);
                    break;
                case ChatRequestReceived q: Queue(q.Packet.ConvId, q.Packet.CustomerId, at); break;
                case ChatRequestAnswered a when a.Result.Answer: facts.Add(new QueueFact.Answered(a.Result.ConvId, user, at)); break;
                // The target agent's acceptance as they sent it (the server's confirmation is not needed for the time).
                case TransferAnswerRequested { Request.Answer: true } t: facts.Add(new QueueFact.Transferred(t.Request.ConvId, user, at)); break;
                case QueueTimedOut t: facts.Add(new QueueFact.QueueTimedOut(t.Packet.ConvId, at)); break;
                case ChatEnded e: facts.Add(new QueueFact.Ended(e.Result.ConvId, at)); break;
                case ConversationEnded e: facts.Add(new QueueFact.Ended(e.Packet.ConvId, at)); break;
            }
        }
        return facts.ToSeq();
    }

    /// <summary>Every chat's life, folded from its facts (in time order; a chat first seen after it was queued is ignored).</summary>
    public static Seq<Chat> Chats(IEnumerable<QueueFact> facts, Transcript.Merged merged) => Chats(facts, ChatMessages(merged));

    // The merged transcript's chat messages (not the server's creation, rename or notification messages).
    static Seq<Transcript.Message> ChatMessages(Transcript.Merged merged) => Transcript.AllMessages(merged).Filter(m => m.IsChat).ToSeq().Strict();

    static Seq<Chat> Chats(IEnumerable<QueueFact> facts, Seq<Transcript.Message> chatMessages)
    {
        var chats = new Dictionary<string, Chat>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var f in facts.OrderBy(f => f.At))
        {
            if (f is QueueFact.Queued q)
            {
                if (chats.TryAdd(q.ConvId, new Chat(q.ConvId, q.Queue, q.Customer, q.At, Outcome.Waiting, None, None, Empty, None))) order.Add(q.ConvId);
                continue;
            }
            if (chats.TryGetValue(f.ConvId, out var c)) chats[f.ConvId] = Step(c, f);
        }
        var messages = chatMessages.GroupBy(m => m.ConvId, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.OrderBy(m => m.Created).ThenBy(m => m.Seq).ToArray(), StringComparer.Ordinal);
        return order.Select(id => messages.TryGetValue(id, out var ms) ? chats[id] with { FirstResponse = FirstResponse(chats[id].Customer, ms) } : chats[id]).ToSeq();
    }

    static Chat Step(Chat c, QueueFact f) => (f, c.Outcome) switch
    {
        (QueueFact.Answered a, Outcome.Waiting) => c with { Outcome = Outcome.Answered, AnsweredAt = a.At, Segments = Seq1(new Segment(a.Agent, a.At, None)) },
        (QueueFact.Transferred t, Outcome.Answered) when c.EndedAt.IsNone && c.Segments.Last.Agent != t.To =>
            c with { Segments = CloseLast(c.Segments, t.At).Add(new Segment(t.To, t.At, None)) },
        (QueueFact.QueueTimedOut or QueueFact.Ended, Outcome.Waiting) => c with { Outcome = Outcome.Abandoned, EndedAt = f.At },
        (QueueFact.Ended e, Outcome.Answered) when c.EndedAt.IsNone => c with { EndedAt = e.At, Segments = CloseLast(c.Segments, e.At) },
        _ => c,
    };

    static Seq<Segment> CloseLast(Seq<Segment> s, long at) => s.Take(s.Count - 1).Add(s.Last with { To = at });

    static Option<(string, long)> FirstResponse(string customer, Transcript.Message[] ordered)
    {
        var first = System.Array.FindIndex(ordered, m => m.Sender == customer);
        if (first < 0) return None;
        var reply = ordered.Skip(first + 1).FirstOrDefault(m => m.Sender != customer);
        return reply is null ? None : Some((reply.Sender, reply.Created - ordered[first].Created));
    }

    /// <summary>The figures of a set of chats.</summary>
    public static Summary Summarize(string key, Seq<Chat> chats, Options options)
    {
        var waiting = chats.Count(c => c.Outcome == Outcome.Waiting);
        var known = chats.Count - waiting;
        Option<double> Share(int n) => known == 0 ? None : Some((double)n / known);
        var levels = options.ServiceLevelMs.Map(t =>
        {
            var within = chats.Count(c => c.SpeedOfAnswerMs.Exists(ms => ms <= t));
            return new ServiceLevel(t, within, Share(within));
        });
        var abandoned = chats.Count(c => c.Outcome == Outcome.Abandoned);
        return new Summary(key, chats.Count, chats.Count(c => c.Outcome == Outcome.Answered), abandoned, waiting, Share(abandoned), levels,
            Stat.Of(chats.Choose(c => c.SpeedOfAnswerMs)), Stat.Of(chats.Choose(c => c.FirstResponse.Map(r => r.Ms))),
            Stat.Of(chats.Choose(c => c.HandlingMs)), chats.Sum(c => c.Transfers));
    }

    /// <summary>Each agent's figures, by agent id.</summary>
    public static Seq<AgentSummary> ByAgent(Seq<Chat> chats)
    {
        var agents = chats.Bind(c => c.Segments.Map(s => s.Agent)).Distinct().Order(StringComparer.Ordinal);
        return agents.Select(agent =>
        {
            var first = chats.Filter(c => c.FirstAgent == Some(agent));
            var parts = chats.Bind(c => c.Segments.Filter(s => s.Agent == agent));
            return new AgentSummary(agent, first.Count,
                chats.Sum(c => c.Segments.Skip(1).Count(s => s.Agent == agent)),
                chats.Sum(c => c.Segments.Take(c.Segments.Count - 1).Count(s => s.Agent == agent)),
                Stat.Of(first.Choose(c => c.SpeedOfAnswerMs)),
                Stat.Of(chats.Choose(c => c.FirstResponse.Filter(r => r.By == agent).Map(r => r.Ms))),
                Stat.Of(parts.Choose(s => s.To.Map(to => to - s.From))));
        }).ToSeq();
    }

    static readonly long[] Intervals = [60_000, 300_000, 900_000, 1_800_000, 3_600_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000, 604_800_000];

    /// <summary>The interval of the time axis: the shortest of 1, 5, 15, 30 min, 1, 3, 6, 12 h, 1 day, 1 week giving at most <paramref name="max"/> intervals.</summary>
    public static long IntervalFor(long from, long to, int max = 60) =>
        Intervals.FirstOrDefault(i => Floor(to, i) / i - Floor(from, i) / i + 1 <= max, Intervals[^1]);

    static long Floor(long t, long interval) => t - ((t % interval) + interval) % interval;

    /// <summary>
    /// The figures of a log: the chats from <paramref name="facts"/>, the messages from <paramref name="merged"/>. The period
    /// runs from the first to the last time seen (a queued chat or a chat message); the time axis covers it without gaps,
    /// empty intervals included.
    /// </summary>
    public static Figures Of(IEnumerable<QueueFact> facts, Transcript.Merged merged, Options options)
    {
        var chatMessages = ChatMessages(merged);
        var chats = Chats(facts, chatMessages);
        var messageTimes = chatMessages.Map(m => m.Created).ToArray();
        var times = chats.Map(c => c.QueuedAt).Concat(messageTimes).ToArray();
        var overall = Summarize("all", chats, options);
        var byQueue = chats.GroupBy(c => c.Queue, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => Summarize(g.Key, g.ToSeq(), options)).ToSeq();
        if (times.Length == 0) return new Figures(None, None, Intervals[0], chats, overall, byQueue, ByAgent(chats), Empty);
        var (from, to) = (times.Min(), times.Max());
        var interval = IntervalFor(from, to);
        var start = Floor(from, interval);
        var count = (int)((Floor(to, interval) - start) / interval) + 1;
        // One pass over the chats and one over the messages, each counted in the interval its time falls in.
        var (offered, answered, abandoned, sent) = (new int[count], new int[count], new int[count], new int[count]);
        int Slot(long t) => (int)((t - start) / interval);
        foreach (var c in chats)
        {
            var i = Slot(c.QueuedAt);
            offered[i]++;
            if (c.Outcome == Outcome.Answered) answered[i]++;
            if (c.Outcome == Outcome.Abandoned) abandoned[i]++;
        }
        foreach (var t in messageTimes) sent[Slot(t)]++;
        var timeline = Enumerable.Range(0, count).Select(i => new Bucket(start + i * interval, offered[i], answered[i], abandoned[i], sent[i])).ToSeq();
        return new Figures(from, to, interval, chats, overall, byQueue, ByAgent(chats), timeline);
    }
}
