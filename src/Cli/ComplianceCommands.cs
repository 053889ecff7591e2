using System.Globalization;
using System.Text.Json;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Compliance;
using EventSourced.Projections;
using LanguageExt;
using LanguageExt.Common;
using Spectre.Console;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>hold and purge: legal holds and retention, decided by <see cref="Holds"/> and recorded in the compliance log.</summary>
public static class ComplianceCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The environment variable naming the retention file.</summary>
    public const string RetentionVariable = "STRINGEE_ES_RETENTION";

    static int Fail(string message) => Tools.Fail(message);

    /// <summary>Who ran the command, as recorded beside what they did.</summary>
    static string Actor => $"{Environment.UserName}@{Environment.MachineName}";

    static long Now => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

    static ComplianceRecorded Record(ComplianceEvent e) =>
        new(new Envelope(Holds.Stream, 0, 0, Now, None, None, Origin.Local, None, None, Raw.None), e);

    sealed record Opened(Database Db, MartenEventLog<ComplianceRecorded> Log, List<ComplianceRecorded> Records) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Log.DisposeAsync();
            await Db.DisposeAsync();
        }
    }

    static async Task<Fin<Opened>> OpenAsync(string? pg, string? data, CancellationToken ct)
    {
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return opened.Map(_ => (Opened)null!);
        var db = (Database)opened;
        var (log, records) = await ReadAsync(db, ct);
        return new Opened(db, log, records);
    }

    static async Task<(MartenEventLog<ComplianceRecorded> Log, List<ComplianceRecorded> Records)> ReadAsync(Database db, CancellationToken ct)
    {
        var log = await db.ComplianceLogAsync(ct);
        var records = new List<ComplianceRecorded>();
        await foreach (var r in log.ReadAllAsync(1, ct)) records.Add(r);
        return (log, records);
    }

    /// <summary>Appends to the compliance stream expecting what was read (two officers at once: one is told to retry).</summary>
    static Task<Fin<AppendResult>> AppendAsync(Opened o, params ComplianceEvent[] events) => AppendAsync(o.Log, o.Records, events);

    static Task<Fin<AppendResult>> AppendAsync(MartenEventLog<ComplianceRecorded> log, List<ComplianceRecorded> read, params ComplianceEvent[] events) =>
        log.AppendAsync(Holds.Stream, read.Count == 0 ? ExpectedVersion.NoStream : ExpectedVersion.Exactly(read.Count), events.Select(Record).ToList());

    static Task<bool> TargetExistsAsync(Database db, string scope, string target, CancellationToken ct) =>
        Verifier.HoldsAsync(db.ConnectionString, "client_log", scope == "conversation" ? new VerifyScope.Conversation(target) : new VerifyScope.User(target), ct);

    static Either<string, (string Scope, string Target)> Target(string? conv, string? user) =>
        (conv, user) switch
        {
            (not null, null) => ("conversation", conv),
            (null, not null) => ("user", user),
            (null, null) => Left<string, (string, string)>("a hold is on --conversation ID or --user U"),
            _ => Left<string, (string, string)>("a hold is on --conversation ID or --user U, not both"),
        };

    /// <summary><c>hold place</c>.</summary>
    public static async Task<int> PlaceAsync(string? pg, string? data, string? conv, string? user, string? reason, CancellationToken ct)
    {
        var target = Target(conv, user);
        if (target.IsLeft) return Fail($"hold place: {(string)target}");
        var (scope, id) = ((string, string))target;
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail($"hold place: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        var placed = await PlaceAsync(db, scope, id, reason ?? "", ct);
        if (placed.IsFail) return Fail($"hold place: {placed.Match(_ => "", e => e.Message)}");
        Console.WriteLine(Terminal.Plain(string.Create(Inv, $"hold placed on {scope} {id} (compliance log position {(long)placed}): {reason}")));
        return 0;
    }

    /// <summary>Places a hold through an open database (the command's and the demo's path): the compliance log position, or why not.</summary>
    internal static async Task<Fin<long>> PlaceAsync(Database db, string scope, string target, string reason, CancellationToken ct)
    {
        var (log, records) = await ReadAsync(db, ct);
        await using var _ = log;
        var decided = Holds.Place(Holds.Of(records), scope, target, reason, Actor, await TargetExistsAsync(db, scope, target, ct));
        if (decided.IsLeft) return Error.New((string)decided);
        var appended = await AppendAsync(log, records, (ComplianceEvent)decided);
        return appended.Match(a => Fin<long>.Succ(a.LastPosition), e => Error.New($"not recorded: {e.Message}"));
    }

    /// <summary><c>hold release</c>.</summary>
    public static async Task<int> ReleaseAsync(string? pg, string? data, string? conv, string? user, CancellationToken ct)
    {
        var target = Target(conv, user);
        if (target.IsLeft) return Fail($"hold release: {(string)target}");
        var (scope, id) = ((string, string))target;
        var opened = await OpenAsync(pg, data, ct);
        if (opened.IsFail) return Fail($"hold release: {opened.Match(_ => "", e => e.Message)}");
        await using var o = (Opened)opened;
        var decided = Holds.Release(Holds.Of(o.Records), scope, id, Actor);
        if (decided.IsLeft) return Fail($"hold release: {(string)decided}");
        var appended = await AppendAsync(o, (ComplianceEvent)decided);
        if (appended.IsFail) return Fail($"hold release: not recorded: {appended.Match(_ => "", e => e.Message)}");
        Console.WriteLine(Terminal.Plain(string.Create(Inv, $"hold released on {scope} {id} (compliance log position {((AppendResult)appended).LastPosition})")));
        return 0;
    }

    /// <summary><c>hold list</c>: the holds in force, then the whole compliance history.</summary>
    public static async Task<int> ListAsync(string? pg, string? data, CancellationToken ct)
    {
        var opened = await OpenAsync(pg, data, ct);
        if (opened.IsFail) return Fail($"hold list: {opened.Match(_ => "", e => e.Message)}");
        await using var o = (Opened)opened;
        var active = Holds.Of(o.Records).Active.Values.ToList();
        var table = new Table().Title($"{active.Count} holds in force").AddColumns("scope", "target", "reason", "placed by", "placed (UTC)", "position");
        foreach (var h in active)
            table.AddRow(h.Scope, Terminal.Escape(h.Target), Terminal.Escape(h.Reason), Terminal.Escape(h.By), Time(h.PlacedAt), h.Position.ToString(Inv));
        AnsiConsole.Write(table);
        var history = new Table().Title("compliance log").AddColumns("position", "time (UTC)", "what", "by");
        foreach (var r in o.Records) history.AddRow(r.Meta.Position.ToString(Inv), Time(r.Meta.ReceivedAt), Terminal.Escape(Describe(r.Event)), Terminal.Escape(ByOf(r.Event)));
        AnsiConsole.Write(history);
        return 0;
    }

    static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", Inv);

    static string Describe(ComplianceEvent e) => e switch
    {
        ComplianceEvent.HoldPlaced p => $"hold placed on {p.Scope} {p.Target}: {p.Reason}",
        ComplianceEvent.HoldReleased r => $"hold released on {r.Scope} {r.Target}",
        ComplianceEvent.Purged p => string.Create(Inv, $"purged {p.Events} events of {p.ConvId} from {p.Log} ({p.Rule})"),
        ComplianceEvent.UserErased x => $"erased {x.User} (keys destroyed: {x.KeyId})",
        ComplianceEvent.Refused x => $"REFUSED {x.Command} on {x.Scope} {x.Target}: {x.Reason}",
        _ => e.GetType().Name,
    };

    static string ByOf(ComplianceEvent e) => e switch
    {
        ComplianceEvent.HoldPlaced p => p.By,
        ComplianceEvent.HoldReleased r => r.By,
        ComplianceEvent.Purged p => p.By,
        ComplianceEvent.UserErased x => x.By,
        ComplianceEvent.Refused x => x.By,
        _ => "",
    };

    /// <summary>
    /// Retention periods by channel type name (normal, livechat, facebook, zalo), from a JSON file <c>{"retentionDays": {"livechat": 365}}</c>:
    /// <paramref name="file"/>, else <c>STRINGEE_ES_RETENTION</c>, else <c>retention.json</c> in the tool's home. None configured: nothing expires.
    /// </summary>
    public static Fin<(string Source, Map<string, long> Periods)> LoadRetention(string? file)
    {
        var named = file ?? Environment.GetEnvironmentVariable(RetentionVariable);
        var path = string.IsNullOrWhiteSpace(named) ? Path.Combine(EmbeddedPostgres.DefaultHome, "retention.json") : named;
        if (!File.Exists(path))
            return string.IsNullOrWhiteSpace(named) ? ("none", Map<string, long>()) : Error.New($"the retention file {path} does not exist");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            if (!doc.RootElement.TryGetProperty("retentionDays", out var days) || days.ValueKind != JsonValueKind.Object)
                return Error.New($"{path}: expected {{\"retentionDays\": {{\"normal\": 2555, \"livechat\": 365}}}}");
            var periods = Map<string, long>();
            foreach (var p in days.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.Number || !p.Value.TryGetDouble(out var d) || d < 0 || d > 36_500)
                    return Error.New($"{path}: retentionDays.{p.Name} must be a number of days from 0 to 36500");
                if (p.Name is not ("normal" or "livechat" or "facebook" or "zalo") && !p.Name.StartsWith("type", StringComparison.Ordinal))
                    return Error.New($"{path}: unknown channel type '{p.Name}' (normal, livechat, facebook, zalo or typeN)");
                periods = periods.AddOrUpdate(p.Name, (long)(d * 86_400_000));
            }
            return (path, periods);
        }
        catch (JsonException ex)
        {
            return Error.New($"{path}: {ex.Message}");
        }
    }

    /// <summary><c>purge</c>: removes what retention expired and no hold protects; records each removal and each refusal first.</summary>
    public static async Task<int> PurgeAsync(string? pg, string? data, string? retentionFile, bool dryRun, CancellationToken ct)
    {
        var retention = LoadRetention(retentionFile);
        if (retention.IsFail) return Fail($"purge: {retention.Match(_ => "", e => e.Message)}");
        var (source, periods) = ((string, Map<string, long>))retention;
        if (periods.IsEmpty)
        {
            Console.WriteLine("purge: no retention period is configured: nothing expires (see README, Compliance)");
            return 0;
        }
        var opened = await OpenAsync(pg, data, ct);
        if (opened.IsFail) return Fail($"purge: {opened.Match(_ => "", e => e.Message)}");
        await using var o = (Opened)opened;
        await using var clientLog = await o.Db.ClientLogAsync(ct);
        var records = new List<Recorded>();
        await foreach (var r in clientLog.ReadAllAsync(1, ct)) records.Add(r);
        var now = Now;
        var plan = Holds.Plan(Holds.Of(o.Records), Retention.Conversations(records), periods, now);
        Console.WriteLine(Terminal.Plain(string.Create(Inv, $"retention from {source}: {string.Join(", ", periods.Map((k, v) => $"{k} {v / 86_400_000.0:0.###} days").Values)}")));
        foreach (var (c, holds) in plan.Held)
            Console.WriteLine(Terminal.Plain($"REFUSED: {c.ConvId} expired ({Holds.ChannelName(c.ChannelType)}) but is held: {string.Join("; ", holds.Map(h => $"{h.Scope} {h.Target} by {h.By}: {h.Reason}"))}"));
        foreach (var (c, rule) in plan.Remove)
            Console.WriteLine(Terminal.Plain(string.Create(Inv, $"{(dryRun ? "would purge" : "purging")} {c.ConvId}: {c.Positions.Count} events, last activity {Time(c.LastActivity)} ({rule})")));
        if (dryRun) return 0;
        var recorded = plan.Held.Map(h => (ComplianceEvent)new ComplianceEvent.Refused("purge", "conversation", h.Conversation.ConvId,
                $"retention expired but held by {string.Join("; ", h.Holds.Map(x => $"{x.Scope} {x.Target}"))}", Actor))
            + plan.Remove.Map(p => (ComplianceEvent)new ComplianceEvent.Purged("client_log", p.Conversation.ConvId, p.Conversation.ChannelType, p.Rule,
                p.Conversation.Positions.Count, Holds.Ranges(p.Conversation.Positions), Actor));
        if (recorded.IsEmpty)
        {
            Console.WriteLine("purge: nothing expired");
            return 0;
        }
        // Recorded first: a removal is never unrecorded. A crash after this leaves events still present that the log says were
        // purged, and the next purge removes them; verify reports neither as tampering.
        var appended = await AppendAsync(o, recorded.ToArray());
        if (appended.IsFail) return Fail($"purge: nothing removed, the purge could not be recorded: {appended.Match(_ => "", e => e.Message)}");
        long removed = 0;
        foreach (var (c, rule) in plan.Remove)
            removed += await Purger.RemoveAsync(o.Db.OwnerConnectionString, "client_log", c.Positions.ToList(), [c.ConvId], rule, now, ct);
        Console.WriteLine(string.Create(Inv, $"purged {removed} events of {plan.Remove.Count} conversations; {plan.Held.Count} refused under hold; recorded in the compliance log"));
        return 0;
    }

    /// <summary><c>erase --user U</c>: destroys U's keys (crypto-shredding) unless a hold protects U; records the erasure or the refusal.</summary>
    public static async Task<int> EraseAsync(string? pg, string? data, string? user, CancellationToken ct)
    {
        if (string.IsNullOrEmpty(user)) return Fail("erase: name the data subject with --user U (a user id, or email:ADDRESS for a ticket)");
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail($"erase: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        var erased = await EraseAsync(db, user, ct);
        return erased.Match(
            Succ: message =>
            {
                Console.WriteLine(Terminal.Plain(message));
                return 0;
            },
            Fail: e => Fail($"erase: {e.Message}"));
    }

    /// <summary>
    /// Erases a data subject through an open database (the command's and the demo's path): what was done, or why not. The keys are
    /// destroyed first, in one transaction, then the erasure is recorded; the keys table is then rewritten (VACUUM FULL) so no
    /// destroyed key is left in a dead row.
    /// </summary>
    internal static async Task<Fin<string>> EraseAsync(Database db, string user, CancellationToken ct)
    {
        var (log, records) = await ReadAsync(db, ct);
        await using var _ = log;
        var conversations = Seq<Holds.Conversation>();
        await using (var clientLog = await db.ClientLogAsync(ct))
        {
            var recorded = new List<Recorded>();
            await foreach (var r in clientLog.ReadAllAsync(1, ct)) recorded.Add(r);
            conversations = Retention.Conversations(recorded);
        }
        var inLog = conversations.Exists(c => c.Users.Contains(user))
            || await Verifier.HoldsAsync(db.ConnectionString, "client_log", new VerifyScope.User(user), ct)
            || await Verifier.HoldsAsync(db.ConnectionString, "server_log", new VerifyScope.User(user), ct);
        await using var owner = new Npgsql.NpgsqlConnection(db.OwnerConnectionString);
        await owner.OpenAsync(ct);
        var keys = await Adapters.Storage.Erasure.SubjectKeys.OfAsync(owner, user, ct);
        var subject = new Holds.Subject(inLog, keys.Count(k => !k.Erased), keys.Count(k => k.Erased));
        var recordedBefore = records.Exists(r => r.Event is ComplianceEvent.UserErased x && x.User == user);
        var decided = Holds.Erase(Holds.Of(records), user, subject, conversations, recordedBefore, Actor);
        if (decided.IsLeft)
        {
            var refusal = (Holds.EraseRefusal)decided;
            foreach (var refused in refusal.Record)
            {
                var noted = await AppendAsync(log, records, refused);
                if (noted.IsFail) return Error.New($"{refusal.Message} (and the refusal could not be recorded: {noted.Match(_ => "", e => e.Message)})");
            }
            return refusal.Record.IsNone && subject.LiveKeys == 0 && recordedBefore ? Fin<string>.Succ(refusal.Message) : Error.New(refusal.Message);
        }
        Seq<long> destroyed;
        await using (var tx = await owner.BeginTransactionAsync(ct))
        {
            destroyed = await Adapters.Storage.Erasure.SubjectKeys.EraseAsync(owner, user, Actor, ct);
            await tx.CommitAsync(ct);
        }
        var ids = destroyed.IsEmpty ? "none" : string.Join(",", destroyed.Map(i => i.ToString(Inv)));
        var appended = await AppendAsync(log, records, new ComplianceEvent.UserErased(user, ids, Actor));
        await Adapters.Storage.Erasure.SubjectKeys.VacuumAsync(owner, ct);
        if (appended.IsFail)
            return Error.New($"the keys of {user} are destroyed ({ids}) but the erasure could not be recorded: {appended.Match(_ => "", e => e.Message)}; run erase again to record it");
        return string.Create(Inv, $"erased {user}: {(destroyed.IsEmpty ? "nothing of theirs was sealed" : $"{destroyed.Count} key(s) destroyed ({ids})")}; every value sealed under them now reads {Personal.Placeholder}; recorded at compliance log position {((AppendResult)appended).LastPosition}");
    }

    /// <summary>Every position the compliance log says was purged from <paramref name="log"/>.</summary>
    public static Seq<PositionRange> PurgedRanges(IEnumerable<ComplianceRecorded> records, string log) =>
        toSeq(records).Choose(r => r.Event is ComplianceEvent.Purged p && p.Log == log ? Some(p.Positions) : None).Bind(x => x);
}
