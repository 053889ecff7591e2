using EventSourced.Domain.Packets;
using C = EventSourced.Domain.Client.Command;

namespace EventSourced.Projections;

/// <summary>
/// What the client does by itself, as a pure function: <see cref="React"/> takes what was just
/// recorded (its facts, and the read models after them) and the time, and gives the steps the shell
/// runs: send a command (decided and recorded like a user's), record a local fact, complete a
/// caller, drop the connection, wake me at a time. It owns every protocol policy: answering pings,
/// coalescing delivery reports, request timeouts, the catch-up after a connect (the conversation
/// list, then each conversation's missing pages, a <c>GapDetected</c> first), the outbox flush in
/// order, and liveness. <see cref="Reconnect"/> is the rotation and backoff between connections.
/// </summary>
public static class Reactor
{
    /// <summary>A step for the shell to run.</summary>
    public abstract record Step
    {
        private Step() { }
        /// <summary>Decide, record and send a command.</summary>
        public sealed record Send(Command Command) : Step;
        /// <summary>Record a local fact.</summary>
        public sealed record Record(Event Event) : Step;
        /// <summary>The caller waiting on a request id has its outcome.</summary>
        public sealed record Complete(long RequestId, Fact Outcome) : Step;
        /// <summary>The caller waiting on a message (by local id) has its outcome.</summary>
        public sealed record CompleteSend(string LocalId, Fact Outcome) : Step;
        /// <summary>Drop the connection (no close handshake): the link is dead.</summary>
        public sealed record Drop(string Reason) : Step;
        /// <summary>Call <see cref="Tick"/> at this time.</summary>
        public sealed record Wake(long At) : Step;
    }

    /// <summary>The reactor's settings.</summary>
    public sealed record Settings(long RequestTimeoutMs, long LivenessGraceMs, int CatchUpPageSize, int ListingPageSize = 500, int MaxListingPages = 200, int MaxPagesPerConversation = 1_000)
    {
        /// <summary>The web SDK's figures: 10 s per request, ping_after_ms + 15 s of silence, pages of 50.</summary>
        public static readonly Settings Default = new(10_000, 15_000, 50);
    }

    /// <summary>Where the catch-up after a connect stands.</summary>
    public abstract record CatchUp
    {
        private CatchUp() { }
        /// <summary>No catch-up running (before the first connect, or done).</summary>
        public sealed record Idle : CatchUp;
        /// <summary>Listing conversations, waiting for the page updated before <c>Smaller</c>.</summary>
        public sealed record Listing(long Smaller, int Page, int Known) : CatchUp;
        /// <summary>Loading a conversation's messages after <c>After</c>; the others wait in <c>Next</c>.</summary>
        public sealed record Loading(string ConvId, long After, int Page, Seq<string> Next) : CatchUp
        {
            /// <summary>The seqs found missing when this conversation's catch-up began (recorded as <c>GapDetected</c>), whose fate it records when it ends.</summary>
            public Option<(long From, long To)> Gap { get; init; }
            /// <summary>How many times in a row this page went unanswered and was asked for again (at most <see cref="MaxPageRetries"/>).</summary>
            public int Retries { get; init; }
        }

        /// <summary>A catch-up page with no answer in time is asked for again this many times before the catch-up moves on (the next connect tries again).</summary>
        public const int MaxPageRetries = 3;
    }

    /// <summary>The reactor's state: what it asked for and when things are due.</summary>
    public sealed record State(
        Settings Settings,
        bool Connected,
        bool ChatAgent,
        long PingAfterMs,
        long LastHeard,
        CatchUp CatchUp,
        Map<long, (long At, short Service)> Deadlines,
        Map<OrdStringOrdinal, string, long> Reported,
        Set<OrdStringOrdinal, string> Reporting,
        Map<OrdStringOrdinal, string, long> ToReport,
        Set<OrdStringOrdinal, string> SentOnConnection)
    {
        /// <summary>Before anything happened.</summary>
        public static State Initial(Settings settings) => new(settings, false, false, 30_000, 0, new CatchUp.Idle(), Map<long, (long, short)>(),
            Map<OrdStringOrdinal, string, long>(), Set<OrdStringOrdinal, string>(), Map<OrdStringOrdinal, string, long>(), Set<OrdStringOrdinal, string>());
    }

    const long NoUpperBound = 9007199254740991;

    /// <summary>
    /// Reacts to one recorded event: <paramref name="facts"/> are what the correlation stage made of it,
    /// <paramref name="models"/> the read models after them, <paramref name="received"/> whether it came from the server.
    /// </summary>
    public static (State State, Seq<Step> Steps) React(State s, ReadModels models, Seq<Fact> facts, bool received, long now)
    {
        var steps = new List<Step>();
        if (received) s = s with { LastHeard = now };
        foreach (var f in facts) s = One(s, models, f, now, steps);
        return (s, toSeq(steps));
    }

    static State One(State s, ReadModels models, Fact f, long now, List<Step> steps)
    {
        switch (f)
        {
            case Fact.Abandoned a:
                s = s with { Deadlines = s.Deadlines.Remove(a.RequestId) };
                // A message whose connection closed waits in the outbox for the next flush: its caller waits on.
                if (a.Command is not MessageSendRequested || a.Reason == Abandonment.TimedOut) Complete(a.Command, a.RequestId, f, steps);
                return Continue(s, models, a.Command, f, steps);
            // An answer is also an event of its own: AUTHEN's answer is what starts the catch-up.
            case Fact.Confirmed c:
                return Observed(Answered(s, models, c.Command, f, steps), models, c.Answer, now, steps);
            case Fact.Rejected r:
                return Observed(Answered(s, models, r.Command, f, steps), models, r.Answer, now, steps);
            case Fact.Observed o:
                return Observed(s, models, o.Event, now, steps);
            default:
                return s;
        }
    }

    // Every caller learns its own outcome (a late one finds its caller already told "unknown", and the shell drops it).
    static State Answered(State s, ReadModels models, Event command, Fact outcome, List<Step> steps)
    {
        var id = Correlation.Tracked(command).IfNone(0);
        Complete(command, id, outcome, steps);
        return Continue(s with { Deadlines = s.Deadlines.Remove(id) }, models, command, outcome, steps);
    }

    static void Complete(Event command, long requestId, Fact outcome, List<Step> steps)
    {
        if (command is MessageSendRequested m) foreach (var local in m.Request.LocalDbId) steps.Add(new Step.CompleteSend(local, outcome));
        steps.Add(new Step.Complete(requestId, outcome));
    }

    static State Observed(State s, ReadModels models, Event e, long now, List<Step> steps)
    {
        switch (e)
        {
            case Connected c:
                var pingAfter = c.Result.PingAfterMs.IfNone(30_000);
                steps.Add(new Step.Wake(now + pingAfter + s.Settings.LivenessGraceMs));
                if (c.Result.ChatAgent.IfNone(false)) steps.Add(new Step.Send(new C.LoadChatRequests()));
                steps.Add(new Step.Send(new C.ListConversationsPage(NoUpperBound, s.Settings.ListingPageSize)));
                return s with
                {
                    Connected = true, ChatAgent = c.Result.ChatAgent.IfNone(false), PingAfterMs = pingAfter, LastHeard = now,
                    CatchUp = new CatchUp.Listing(NoUpperBound, 0, models.Conversations.ById.Count),
                    SentOnConnection = Set<OrdStringOrdinal, string>(),
                };
            case Disconnected or DisconnectRequested or TransportOpened:
                return s with
                {
                    Connected = false, CatchUp = new CatchUp.Idle(), Deadlines = Map<long, (long, short)>(), SentOnConnection = Set<OrdStringOrdinal, string>(),
                    Reported = Map<OrdStringOrdinal, string, long>(), Reporting = Set<OrdStringOrdinal, string>(), ToReport = Map<OrdStringOrdinal, string, long>(),
                };
            case PingReceived:
                steps.Add(new Step.Send(new C.AnswerPing()));
                return s;
            case MessageReceived m when models.Session.UserId != Some(m.Packet.From):
                return Report(s, m.Packet.ConvId, m.Packet.Seq, steps);
            case MessageSendRequested m:
                s = Track(s, e, now, steps);
                return s.Connected ? s with { SentOnConnection = m.Request.LocalDbId.Match(l => s.SentOnConnection.AddOrUpdate(l), () => s.SentOnConnection) } : s;
            default:
                return Track(s, e, now, steps);
        }
    }

    // Every command the server answers gets a deadline once it is on the wire; Tick records the timeout when it passes.
    // A command recorded while not connected never left: a message waits in the outbox, and nothing else is decided offline.
    static State Track(State s, Event e, long now, List<Step> steps)
    {
        if (!s.Connected) return s;
        foreach (var id in Correlation.Tracked(e))
            foreach (var service in Recording.Request(e).Map(r => (short)r.Service))
                if (e is not AuthenSent)
                {
                    steps.Add(new Step.Wake(now + s.Settings.RequestTimeoutMs));
                    return s with { Deadlines = s.Deadlines.AddOrUpdate(id, (now + s.Settings.RequestTimeoutMs, service)) };
                }
        return s;
    }

    // Delivery reports are cumulative: one per conversation in flight, the highest seq waiting behind it.
    static State Report(State s, string conv, long seq, List<Step> steps)
    {
        if (!s.Connected || s.Reported.Find(conv).Exists(r => r >= seq) || s.ToReport.Find(conv).Exists(w => w >= seq)) return s;
        if (s.Reporting.Contains(conv)) return s with { ToReport = s.ToReport.AddOrUpdate(conv, seq) };
        steps.Add(new Step.Send(new C.ReportDelivered(conv, seq)));
        return s with { Reported = s.Reported.AddOrUpdate(conv, seq), Reporting = s.Reporting.AddOrUpdate(conv) };
    }

    // What a catch-up or report answer (or its failure) leads to next.
    static State Continue(State s, ReadModels models, Event command, Fact outcome, List<Step> steps)
    {
        switch (command)
        {
            case MessageDeliveryReported r:
                var conv = r.Request.ConvId;
                var t = s with { Reporting = s.Reporting.Remove(conv), ToReport = s.ToReport.Remove(conv) };
                return s.ToReport.Find(conv).Match(seq => Report(t, conv, seq, steps), () => t);
            case ConversationsLoadRequested l when s.CatchUp is CatchUp.Listing listing && l.Request.LastUpdateSmaller == listing.Smaller
                                                   && l.Request.Limit == s.Settings.ListingPageSize && outcome is not Fact.Abandoned { Reason: Abandonment.ConnectionClosed }:
                var updates = outcome is Fact.Confirmed { Answer: ConversationsLoaded loaded } ? loaded.Result.ListConvs.Map(x => x.LastUpdate.IfNone(0)) : Seq<long>();
                var known = models.Conversations.ById.Count;
                // The server cuts a long listing to fit a frame: page on (latest first) until a page adds nothing.
                if (!updates.IsEmpty && (listing.Page == 0 || known > listing.Known) && listing.Page + 1 < s.Settings.MaxListingPages)
                {
                    var smaller = updates.Min() + 1;
                    steps.Add(new Step.Send(new C.ListConversationsPage(smaller, s.Settings.ListingPageSize)));
                    return s with { CatchUp = new CatchUp.Listing(smaller, listing.Page + 1, known) };
                }
                return NextConversation(s, models, ConversationList.Visible(models.Conversations).Map(x => x.Id), steps);
            case MessagesLoadRequested m when s.CatchUp is CatchUp.Loading loading && m.Request.ConvId == loading.ConvId && m.Request.SeqGreater == loading.After
                                              && m.Request.Limit == s.Settings.CatchUpPageSize && outcome is not Fact.Abandoned { Reason: Abandonment.ConnectionClosed }:
                // On a live connection a page can still go unanswered (a server that lost it): ask again, a few times.
                if (outcome is Fact.Abandoned { Reason: Abandonment.TimedOut } && loading.Retries < CatchUp.MaxPageRetries)
                {
                    steps.Add(new Step.Send(new C.CatchUpMessages(loading.ConvId, loading.After, s.Settings.CatchUpPageSize)));
                    return s with { CatchUp = loading with { Retries = loading.Retries + 1 } };
                }
                var count = outcome is Fact.Confirmed { Answer: MessagesLoaded ml } ? ml.Result.Msgs.Count : 0;
                var reached = Coverage.Of(models.Coverage, loading.ConvId).ContiguousUpTo;
                var more = count >= s.Settings.CatchUpPageSize && reached > loading.After;
                if (more && loading.Page + 1 < s.Settings.MaxPagesPerConversation)
                {
                    steps.Add(new Step.Send(new C.CatchUpMessages(loading.ConvId, reached, s.Settings.CatchUpPageSize)));
                    return s with { CatchUp = loading with { After = reached, Page = loading.Page + 1, Retries = 0 } };
                }
                foreach (var gap in loading.Gap) Fate(loading.ConvId, gap, Coverage.Of(models.Coverage, loading.ConvId), outcome, more, steps);
                return NextConversation(s, models, loading.Next, steps);
            default:
                return s;
        }
    }

    // How a detected gap ended: filled, or still missing and why. A catch-up that timed out says nothing (the next connect tries again).
    static void Fate(string conv, (long From, long To) gap, Coverage.Conversation coverage, Fact outcome, bool pageLimit, List<Step> steps)
    {
        if (outcome is Fact.Abandoned) return;
        var missing = coverage.Gaps.Filter(g => g.To >= gap.From && g.From <= gap.To).Map(g => new Coverage.Range(Math.Max(g.From, gap.From), Math.Min(g.To, gap.To)));
        if (missing.IsEmpty)
        {
            steps.Add(new Step.Record(new GapFilled(conv, gap.From, gap.To)));
            return;
        }
        var reason = outcome is Fact.Rejected r ? $"the server refused the catch-up (r = {r.Code}: {r.Message})"
            : pageLimit ? "the catch-up reached its page limit"
            : "the server returned no more messages";
        foreach (var m in missing) steps.Add(new Step.Record(new GapUnrecoverable(conv, m.From, m.To, reason)));
    }

    // The next conversation to catch up, a GapDetected first when the log knows of seqs it does not hold; the outbox once all are done.
    static State NextConversation(State s, ReadModels models, Seq<string> queue, List<Step> steps)
    {
        if (queue.IsEmpty)
        {
            // The outbox goes out in the order it was written; what this connection already carried is not sent twice.
            foreach (var o in Timeline.Outbox(models.Timeline).Filter(o => !s.SentOnConnection.Contains(o.LocalId)))
                steps.Add(new Step.Send(new C.ResendMessage(o.LocalId, o.ConvId, o.Type, o.Content)));
            return s with { CatchUp = new CatchUp.Idle() };
        }
        var conv = queue.Head;
        var coverage = Coverage.Of(models.Coverage, conv);
        var gap = coverage.KnownLast > coverage.ContiguousUpTo ? Some((coverage.ContiguousUpTo + 1, coverage.KnownLast)) : None;
        foreach (var (from, to) in gap) steps.Add(new Step.Record(new GapDetected(conv, from, to)));
        steps.Add(new Step.Send(new C.CatchUpMessages(conv, coverage.ContiguousUpTo, s.Settings.CatchUpPageSize)));
        return s with { CatchUp = new CatchUp.Loading(conv, coverage.ContiguousUpTo, 0, queue.Tail) { Gap = gap } };
    }

    /// <summary>
    /// The time has come: requests past their deadline time out (recorded, so every read model and
    /// caller learns it the same way), and a link silent for longer than ping_after_ms plus the grace is dropped.
    /// </summary>
    public static (State State, Seq<Step> Steps) Tick(State s, long now)
    {
        var steps = new List<Step>();
        foreach (var (id, due) in s.Deadlines.Filter(d => d.At <= now)) steps.Add(new Step.Record(new RequestTimedOut(due.Service, id)));
        s = s with { Deadlines = s.Deadlines.Filter(d => d.At > now) };
        if (s.Connected && now - s.LastHeard > s.PingAfterMs + s.Settings.LivenessGraceMs)
            steps.Add(new Step.Drop($"no packet from the server for {now - s.LastHeard} ms (ping every {s.PingAfterMs} ms)"));
        else if (s.Connected) steps.Add(new Step.Wake(s.LastHeard + s.PingAfterMs + s.Settings.LivenessGraceMs + 1));
        foreach (var next in s.Deadlines.Values.Map(d => d.At).OrderBy(at => at).Take(1)) steps.Add(new Step.Wake(next));
        return (s, toSeq(steps));
    }

    /// <summary>Where the reconnect policy stands: consecutive failed attempts, which server, how many retries on it.</summary>
    public sealed record Attempts(int Failed, int Server, int RetriesHere)
    {
        /// <summary>The first attempt, on the first server.</summary>
        public static readonly Attempts First = new(0, 0, 0);
    }

    /// <summary>
    /// After a connection attempt ended: the next server and how long to wait first, or give up. The web SDK's
    /// rotation: stay on a server for two retries, then move to the next; the n-th consecutive failure waits n
    /// (at most 20) times the backoff; a session that was connected starts the count again.
    /// </summary>
    public static (Attempts Next, long DelayMs, bool GiveUp) Reconnect(Attempts a, bool wasConnected, long backoffMs, int maxAttempts)
    {
        var failed = wasConnected ? 1 : a.Failed + 1;
        var retries = wasConnected ? 1 : a.RetriesHere + 1;
        var next = retries > 2 ? new Attempts(failed, a.Server + 1, 0) : new Attempts(failed, a.Server, retries);
        return (next, backoffMs * Math.Min(failed, 20), failed > maxAttempts);
    }
}
