using EventSourced.Domain.Client;

namespace EventSourced.Domain.Compliance;

/// <summary>
/// The compliance log's catalogue: legal holds, what retention removed, erasures, and every refusal to remove
/// or erase held data. Recorded in their own log (with its own evidence), never in a user's recording.
/// Storage contract: a breaking change is a new record, never an edit.
/// </summary>
public abstract record ComplianceEvent
{
    private ComplianceEvent() { }

    /// <summary>A legal hold on a conversation (<c>Scope</c> "conversation") or on everything of a user ("user"), placed by <c>By</c>.</summary>
    public sealed record HoldPlaced(string Scope, string Target, string Reason, string By) : ComplianceEvent;
    /// <summary>The hold on <c>Target</c> was released.</summary>
    public sealed record HoldReleased(string Scope, string Target, string By) : ComplianceEvent;
    /// <summary>
    /// Retention removed a conversation's recorded events from a log: which rule, how many, and their log positions (the ranges
    /// <c>verify</c> accepts as purged: each removed event's hash stays in the tree).
    /// </summary>
    public sealed record Purged(string Log, string ConvId, int ChannelType, string Rule, long Events, Seq<PositionRange> Positions, string By) : ComplianceEvent;
    /// <summary>A user's key was destroyed: every field encrypted under it now reads <c>[erased]</c>.</summary>
    public sealed record UserErased(string User, string KeyId, string By) : ComplianceEvent;
    /// <summary>A command that would have removed or erased held data, refused: what, on what, and the holds that stopped it.</summary>
    public sealed record Refused(string Command, string Scope, string Target, string Reason, string By) : ComplianceEvent;
}

/// <summary>Log positions From..To inclusive.</summary>
public sealed record PositionRange(long From, long To);

/// <summary>A compliance event as stored.</summary>
public sealed record ComplianceRecorded(Envelope Meta, ComplianceEvent Event) : IRecorded<ComplianceRecorded>
{
    /// <inheritdoc />
    public ComplianceRecorded WithMeta(Envelope meta) => this with { Meta = meta };
}

/// <summary>
/// Holds and retention as pure decisions over the compliance log and the client log's conversations: what a command records,
/// or why it is refused. The adapters read, call these, and write what they return.
/// </summary>
public static class Holds
{
    /// <summary>The compliance log's one stream.</summary>
    public const string Stream = "compliance";

    /// <summary>An active hold.</summary>
    public sealed record Hold(string Scope, string Target, string Reason, string By, long PlacedAt, long Position);

    /// <summary>Active holds by (scope, target).</summary>
    public sealed record State(Map<(string Scope, string Target), Hold> Active)
    {
        /// <summary>No hold.</summary>
        public static readonly State Empty = new(Map<(string, string), Hold>());
    }

    /// <summary>The holds in force after the log.</summary>
    public static State Of(IEnumerable<ComplianceRecorded> log) => log.Aggregate(State.Empty, (s, r) => r.Event switch
    {
        ComplianceEvent.HoldPlaced p => s with { Active = s.Active.AddOrUpdate((p.Scope, p.Target), new Hold(p.Scope, p.Target, p.Reason, p.By, r.Meta.ReceivedAt, r.Meta.Position)) },
        ComplianceEvent.HoldReleased x => s with { Active = s.Active.Remove((x.Scope, x.Target)) },
        _ => s,
    });

    static Either<string, string> ScopeOf(string scope) =>
        scope is "conversation" or "user" ? Right<string, string>(scope) : Left<string, string>($"a hold is on a conversation or a user, not '{scope}'");

    /// <summary><c>hold place</c>: the event to record, or why not (already held, no reason, unknown target).</summary>
    public static Either<string, ComplianceEvent> Place(State s, string scope, string target, string reason, string actor, bool targetExists) =>
        from sc in ScopeOf(scope)
        from _ in string.IsNullOrWhiteSpace(reason) ? Left<string, Unit>("a hold needs --reason TEXT (what matter it preserves)") : Right<string, Unit>(unit)
        from __ in targetExists ? Right<string, Unit>(unit) : Left<string, Unit>($"{sc} {target} is not in the log")
        from ___ in s.Active.Find((sc, target)).Match(h => Left<string, Unit>($"{sc} {target} is already held (placed by {h.By}: {h.Reason})"), () => Right<string, Unit>(unit))
        select (ComplianceEvent)new ComplianceEvent.HoldPlaced(sc, target, reason, actor);

    /// <summary><c>hold release</c>: the event to record, or why not (not held).</summary>
    public static Either<string, ComplianceEvent> Release(State s, string scope, string target, string actor) =>
        from sc in ScopeOf(scope)
        from _ in s.Active.ContainsKey((sc, target)) ? Right<string, Unit>(unit) : Left<string, Unit>($"{sc} {target} is not held")
        select (ComplianceEvent)new ComplianceEvent.HoldReleased(sc, target, actor);

    /// <summary>The holds that protect a conversation: one on it, or one on any user who recorded it or sent in it.</summary>
    public static Seq<Hold> Protecting(State s, string convId, IEnumerable<string> users) =>
        s.Active.Find(("conversation", convId)).ToSeq() + toSeq(users.Distinct(StringComparer.Ordinal).Choose(u => s.Active.Find(("user", u)))).Strict();

    /// <summary>Why an erasure does not go ahead: the line to print, and the refusal to record when a hold stopped it.</summary>
    public sealed record EraseRefusal(string Message, Option<ComplianceEvent> Record);

    /// <summary>What the log knows of a subject an erasure names.</summary>
    /// <param name="InLog">Recorded in a log (as a stream's user or a conversation's participant).</param>
    /// <param name="LiveKeys">Keys of the subject not yet destroyed.</param>
    /// <param name="ErasedKeys">Keys of the subject already destroyed.</param>
    public sealed record Subject(bool InLog, int LiveKeys, int ErasedKeys);

    /// <summary>
    /// <c>erase --user U</c>: whether U's keys may be destroyed. Refused (and recorded) when a hold on U, or on a conversation U
    /// recorded or sent in, protects it; refused unrecorded when the log knows nothing of U; nothing to do when every key of U is
    /// already destroyed and the erasure recorded.
    /// </summary>
    public static Either<EraseRefusal, Unit> Erase(State s, string user, Subject subject, IEnumerable<Conversation> conversations, bool erasureRecorded, string actor)
    {
        if (!subject.InLog && subject.LiveKeys + subject.ErasedKeys == 0) return new EraseRefusal($"user {user} is not in the log", None);
        var protecting = s.Active.Find(("user", user)).ToSeq()
            + toSeq(conversations.Where(c => c.Users.Contains(user))).Choose(c => s.Active.Find(("conversation", c.ConvId))).Strict();
        if (!protecting.IsEmpty)
        {
            var reason = $"held by {string.Join("; ", protecting.Map(h => $"{h.Scope} {h.Target} ({h.By}: {h.Reason})"))}";
            return new EraseRefusal($"REFUSED: user {user} is {reason}", Some<ComplianceEvent>(new ComplianceEvent.Refused("erase", "user", user, reason, actor)));
        }
        if (subject.LiveKeys == 0 && erasureRecorded) return new EraseRefusal($"user {user} is already erased", None);
        return unit;
    }

    /// <summary>What retention knows of a conversation from the client log.</summary>
    public sealed record Conversation(string ConvId, int ChannelType, long LastActivity, Seq<string> Users, Seq<long> Positions);

    /// <summary>A purge plan: what to remove, and what expired but is held (each refusal is recorded).</summary>
    public sealed record PurgePlan(Seq<(Conversation Conversation, string Rule)> Remove, Seq<(Conversation Conversation, Seq<Hold> Holds)> Held);

    /// <summary>Channel type names (§8.3) as retention is configured by them.</summary>
    public static string ChannelName(int channelType) => channelType switch
    {
        0 => "normal",
        1 => "livechat",
        2 => "facebook",
        3 => "zalo",
        _ => $"type{channelType}",
    };

    /// <summary>
    /// Which conversations retention removes at <paramref name="now"/>: those whose channel type has a retention period and whose last
    /// recorded activity is older than it, unless a hold protects them. A channel type without a period is kept forever.
    /// </summary>
    public static PurgePlan Plan(State holds, IEnumerable<Conversation> conversations, Map<string, long> retentionMs, long now)
    {
        var remove = new List<(Conversation, string)>();
        var held = new List<(Conversation, Seq<Hold>)>();
        foreach (var c in conversations)
        {
            var name = ChannelName(c.ChannelType);
            foreach (var period in retentionMs.Find(name))
            {
                if (c.LastActivity > now - period) continue;
                var protecting = Protecting(holds, c.ConvId, c.Users);
                if (protecting.IsEmpty) remove.Add((c, $"{name} retention {period / 86_400_000.0:0.###} days"));
                else held.Add((c, protecting));
            }
        }
        return new PurgePlan(toSeq(remove), toSeq(held));
    }

    /// <summary>Positions as sorted, merged ranges.</summary>
    public static Seq<PositionRange> Ranges(IEnumerable<long> positions)
    {
        var ranges = new List<PositionRange>();
        foreach (var p in positions.Distinct().Order())
            if (ranges.Count > 0 && ranges[^1].To + 1 == p) ranges[^1] = ranges[^1] with { To = p };
            else ranges.Add(new PositionRange(p, p));
        return toSeq(ranges);
    }
}
