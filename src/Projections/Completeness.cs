namespace EventSourced.Projections;

/// <summary>
/// The completeness certificate: per conversation and recording, the seq ranges held, the highest seq
/// known to exist, and every gap with its fate, from the log alone. A gap is <c>filled</c> (the catch-up
/// fetched it: <see cref="Event.GapFilled"/>), <c>unrecoverable</c> (the catch-up ended without it, and
/// why: <see cref="Event.GapUnrecoverable"/>), <c>open</c> (detected, not yet fetched: the client has not
/// caught up since) or <c>unexplained</c> (missing with no record of why: what an auditor asks about).
/// </summary>
public static class Completeness
{
    /// <summary>A gap and how it ended, with the log position of the event that says so (0 for an unexplained one).</summary>
    public sealed record Gap(long From, long To, string Fate, long Position);

    /// <summary>One recording of one conversation.</summary>
    public sealed record Certificate(string User, string ConvId, Seq<Coverage.Range> Held, long KnownLast, Seq<Gap> Gaps)
    {
        /// <summary>True when every gap has a recorded fate.</summary>
        public bool Explained => Gaps.ForAll(g => g.Fate != "unexplained");
    }

    /// <summary>What every recording of a conversation holds together (the merged transcript's seqs), and what none holds.</summary>
    public static (Seq<Coverage.Range> Held, long KnownLast, Seq<Coverage.Range> Missing) Together(Seq<Certificate> recordings)
    {
        var known = recordings.Fold(0L, (k, c) => Math.Max(k, c.KnownLast));
        var held = new List<Coverage.Range>();
        foreach (var r in recordings.Bind(c => c.Held).OrderBy(r => r.From))
            if (held.Count > 0 && r.From <= held[^1].To + 1) held[^1] = held[^1] with { To = Math.Max(held[^1].To, r.To) };
            else held.Add(r);
        var missing = new List<Coverage.Range>();
        var next = 1L;
        foreach (var r in held)
        {
            if (r.From > next) missing.Add(new Coverage.Range(next, r.From - 1));
            next = Math.Max(next, r.To + 1);
        }
        if (known >= next) missing.Add(new Coverage.Range(next, known));
        return (held.ToSeq(), known, missing.ToSeq());
    }

    static bool Overlaps(long from, long to, long f2, long t2) => from <= t2 && f2 <= to;

    /// <summary>Every recording's certificate, by conversation then user (ordinal).</summary>
    public static Seq<Certificate> Of(IEnumerable<Recorded> log)
    {
        var byUser = log.GroupBy(r => Recording.UserOf(r.Meta.Stream), StringComparer.Ordinal);
        var certificates = new List<Certificate>();
        foreach (var user in byUser)
        {
            var coverage = Coverage.Reducer.Fold(user.Select(r => r.Event));
            var marks = user.Where(r => r.Event is GapDetected or GapFilled or GapUnrecoverable).ToList();
            var convs = coverage.ByConv.Keys.Concat(marks.Choose(r => Recording.ConversationOf(r.Event))).Distinct(StringComparer.Ordinal);
            foreach (var conv in convs)
            {
                var c = Coverage.Of(coverage, conv);
                var mine = marks.Where(r => Recording.ConversationOf(r.Event) == Some(conv)).ToList();
                var gaps = new List<Gap>();
                foreach (var r in mine)
                    if (r.Event is GapFilled f) gaps.Add(new Gap(f.From, f.To, "filled by the catch-up", r.Meta.Position));
                foreach (var g in c.Gaps)
                {
                    var unrecoverable = mine.Where(r => r.Event is GapUnrecoverable u && Overlaps(u.From, u.To, g.From, g.To)).LastOrDefault();
                    var detected = mine.Where(r => r.Event is GapDetected d && Overlaps(d.From, d.To, g.From, g.To)).LastOrDefault();
                    gaps.Add(unrecoverable is { Event: GapUnrecoverable u2 } ? new Gap(g.From, g.To, $"unrecoverable: {u2.Reason}", unrecoverable.Meta.Position)
                        : detected is not null ? new Gap(g.From, g.To, "open: detected, not yet fetched", detected.Meta.Position)
                        // A recorder that joined later (a transferred live chat, an added member) starts at its first seq: other recordings hold the rest.
                        : g.From == 1 && !c.Held.IsEmpty && c.Held.Head.From == g.To + 1 ? new Gap(g.From, g.To, $"before this recording began (its first record is seq {g.To + 1})", 0)
                        : new Gap(g.From, g.To, "unexplained", 0));
                }
                certificates.Add(new Certificate(user.Key, conv, c.Held, c.KnownLast, gaps.OrderBy(g => g.From).ToSeq()));
            }
        }
        return certificates.OrderBy(c => c.ConvId, StringComparer.Ordinal).ThenBy(c => c.User, StringComparer.Ordinal).ToSeq();
    }

    /// <summary><see cref="Together"/> as JSON.</summary>
    public static Json.Obj TogetherJson(Seq<Certificate> recordings)
    {
        var (held, known, missing) = Together(recordings);
        static Json Ranges(Seq<Coverage.Range> rs) => new Json.Arr(rs.Map(r => (Json)new Json.Arr(Seq<Json>(r.From, r.To))));
        return Json.Object(("held", Ranges(held)), ("knownLast", known), ("missing", Ranges(missing)));
    }

    /// <summary>A certificate as JSON (what exports carry).</summary>
    public static Json.Obj ToJson(Certificate c) => Json.Object(("user", c.User), ("convId", c.ConvId),
        ("held", new Json.Arr(c.Held.Map(r => (Json)new Json.Arr(Seq<Json>(r.From, r.To))))), ("knownLast", c.KnownLast),
        ("gaps", new Json.Arr(c.Gaps.Map(g => (Json)Json.Object(("from", g.From), ("to", g.To), ("fate", g.Fate), ("position", g.Position))))),
        ("explained", c.Explained));
}
