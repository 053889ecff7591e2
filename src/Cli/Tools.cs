using System.Globalization;
using System.Net;
using System.Text;
using EventSourced.Adapters.Storage;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Server;
using EventSourced.Projections;
using LanguageExt;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>replay, audit, export and stats: read the client event log from PostgreSQL and fold it with the same pure functions as the client.</summary>
public static class Tools
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>
    /// The CLI's diagnostics (what the logs, the server and the demo's clients report about themselves), one line each on
    /// standard error, so standard output stays the command's answer. Warnings and errors by default; the environment
    /// variable <c>STRINGEE_ES_LOG_LEVEL</c> (Trace, Debug, Information, Warning, Error, None) changes it.
    /// </summary>
    internal static readonly Microsoft.Extensions.Logging.ILoggerFactory Loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b
        .SetMinimumLevel(Enum.TryParse<Microsoft.Extensions.Logging.LogLevel>(Environment.GetEnvironmentVariable("STRINGEE_ES_LOG_LEVEL"), true, out var level)
            ? level : Microsoft.Extensions.Logging.LogLevel.Warning)
        .AddConsole(o => o.LogToStandardErrorThreshold = Microsoft.Extensions.Logging.LogLevel.Trace)
        .AddSimpleConsole(o => o.SingleLine = true));

    static async Task<Fin<List<Recorded>>> ReadLogAsync(string? pg, string? data, bool progress, CancellationToken ct) =>
        (await ReadLogsAsync(pg, data, progress, server: false, ct)).Map(r => r.Client);

    /// <summary>
    /// Each recorder's events a conversation is folded from (the session stream's and its scope's, in log order), by user: the
    /// users with an event of the conversation. One pass over the log folds the outlines; only these events are kept.
    /// </summary>
    static async Task<Fin<Dictionary<string, List<Recorded>>>> ConversationLogsAsync(string? pg, string? data, string convId, bool progress, CancellationToken ct)
    {
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return opened.Map(_ => new Dictionary<string, List<Recorded>>());
        await using var db = (Database)opened;
        await using var log = await db.ClientLogAsync(ct);
        return await WithProgressAsync(progress, "reading the event log", 1, async _ =>
        {
            var byUser = new Dictionary<string, List<Recorded>>(StringComparer.Ordinal);
            foreach (var o in (await StreamedReplay.OutlinesAsync(log, ct)).Values.Where(o => o.State.Scopes.Known.Contains(convId)))
            {
                var events = await StreamedReplay.ConversationEventsAsync(log, o, convId, ct).ToListAsync(ct);
                if (events.Exists(r => Recording.ConversationOf(r.Event) == Some(convId))) byUser[o.User] = events;
            }
            return byUser;
        });
    }

    /// <summary>Whether progress bars are drawn: only on a terminal, so redirected output is the command's answer alone.</summary>
    internal static bool ShowProgress => !Console.IsOutputRedirected;

    sealed class Bar(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = value;
    }

    /// <summary>Runs <paramref name="work"/> under a progress bar of <paramref name="total"/> steps when <paramref name="show"/> and on a terminal.</summary>
    internal static async Task<T> WithProgressAsync<T>(bool show, string label, long total, Func<IProgress<long>?, Task<T>> work)
    {
        if (!show || !ShowProgress) return await work(null);
        var result = default(T)!;
        await AnsiConsole.Progress().StartAsync(async p =>
        {
            var task = p.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total));
            result = await work(new Bar(task));
            task.Value = task.MaxValue;
        });
        return result;
    }

    // The client log, and the server's log when asked for, read whole (with a progress bar on a terminal when asked for).
    static async Task<Fin<(List<Recorded> Client, List<ServerRecorded> Server)>> ReadLogsAsync(string? pg, string? data, bool progress, bool server, CancellationToken ct)
    {
        progress &= ShowProgress;
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return opened.Map(_ => (new List<Recorded>(), new List<ServerRecorded>()));
        await using var db = (Database)opened;
        await using var log = await db.ClientLogAsync(ct);
        await using var serverLog = server ? await db.ServerLogAsync(ct) : null;
        var all = new List<Recorded>();
        var servers = new List<ServerRecorded>();
        if (!progress)
        {
            await ReadWholeAsync(log, all, null, ct);
            if (serverLog is not null) await ReadWholeAsync(serverLog, servers, null, ct);
            return (all, servers);
        }
        await AnsiConsole.Progress().StartAsync(async p =>
        {
            await ReadWholeAsync(log, all, p.AddTask("reading the event log", maxValue: Math.Max(1, log.LastPosition)), ct);
            if (serverLog is not null)
                await ReadWholeAsync(serverLog, servers, p.AddTask("reading the server's log", maxValue: Math.Max(1, serverLog.LastPosition)), ct);
        });
        return (all, servers);
    }

    // Every event of a log into a list, moving its progress bar (when there is one) to each event's position.
    static async Task ReadWholeAsync<T>(IEventLog<T> log, List<T> into, ProgressTask? bar, CancellationToken ct) where T : class, IRecorded<T>
    {
        await foreach (var r in log.ReadAllAsync(1, ct))
        {
            into.Add(r);
            if (bar is not null) bar.Value = r.Meta.Position;
        }
        if (bar is not null) bar.Value = bar.MaxValue;
    }

    /// <summary>The folder <paramref name="file"/> would be written in, when that folder does not exist (None when it does).</summary>
    internal static Option<string> MissingFolder(string file) =>
        Path.GetDirectoryName(Path.GetFullPath(file)) is { } folder && !Directory.Exists(folder) ? Some(folder) : None;

    internal static int Fail(string message)
    {
        AnsiConsole.MarkupLineInterpolated($"[red]{Terminal.Plain(message)}[/]");
        return 2;
    }

    /// <summary>
    /// Rebuilds every read model of every user from the log and reports the rate, in the memory of its conversations, not of
    /// its messages: one pass folds every user's outline, then each conversation is folded from its recorders' streams, counted
    /// and let go (<see cref="StreamedReplay"/>).
    /// </summary>
    public static async Task<int> ReplayAsync(string? pg, string? data, bool json, CancellationToken ct)
    {
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail(opened.Match(_ => "", e => e.Message));
        await using var db = (Database)opened;
        await using var log = await db.ClientLogAsync(ct);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (outlines, messages, counts) = await WithProgressAsync(!json, "replaying the event log", log.LastPosition, async bar =>
        {
            var outlines = await StreamedReplay.OutlinesAsync(log, ct);
            bar?.Report(log.LastPosition / 2);
            var convs = outlines.Values.SelectMany(o => o.Conversations).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            var messages = 0L;
            var counts = Transcript.Counts.None;
            var done = 0;
            foreach (var c in convs)
            {
                // Every recording of this conversation, merged as the transcript merges them, then counted and let go.
                var merged = Transcript.Merged.Empty;
                foreach (var o in outlines.Values.Where(o => o.State.Scopes.Known.Contains(c)))
                {
                    var events = await StreamedReplay.ConversationEventsAsync(log, o, c, ct).ToListAsync(ct);
                    var timeline = Timeline.Reducer.Fold(events.Select(r => r.Event));
                    messages += timeline.Conversations.Find(c).Map(x => (long)x.BySeq.Count).IfNone(0);
                    merged = Transcript.Merge(merged, Transcript.Of(o.User, timeline, Transcript.FirstSeen(events)));
                }
                counts += Transcript.CountsOf(merged, x => x == c);
                bar?.Report(log.LastPosition / 2 + log.LastPosition / 2 * ++done / Math.Max(1, convs.Count));
            }
            return (outlines, messages, counts);
        });
        watch.Stop();
        var events = outlines.Values.Sum(o => o.Events);
        var conversations = outlines.Values.Sum(o => o.State.Models.Conversations.ById.Count);
        var rate = events / Math.Max(watch.Elapsed.TotalSeconds, 1e-6);
        if (json)
            return WriteJson(w =>
            {
                w.WriteNumber("users", outlines.Count);
                w.WriteNumber("events", events);
                w.WriteNumber("conversations", conversations);
                w.WriteNumber("messages", messages);
                w.WriteNumber("foldMilliseconds", Math.Round(watch.Elapsed.TotalMilliseconds, 1));
                w.WriteNumber("eventsPerSecond", Math.Round(rate));
                WriteCounts(w, counts);
            });
        var table = new Table().AddColumns("users", "events", "conversations", "messages", "read and fold time", "events/s");
        table.AddRow(outlines.Count.ToString(Inv), events.ToString(Inv), conversations.ToString(Inv), messages.ToString(Inv),
            $"{watch.Elapsed.TotalMilliseconds:0.0} ms", rate.ToString("N0", Inv));
        AnsiConsole.Write(table);
        Console.WriteLine(Terminal.Plain(counts.ToString()));
        return 0;
    }

    /// <summary>
    /// Every message of a conversation with its versions, who saw each, and who edited, pinned and revoked what when: from every
    /// recording merged (the canonical transcript), or one user's recording (<paramref name="user"/>); optionally as of a time or a seq.
    /// </summary>
    public static async Task<int> AuditAsync(string? pg, string? data, string convId, string? user, string? asOf, long? seq, CancellationToken ct, string? trueAt = null,
        bool json = false)
    {
        var read = await ConversationLogsAsync(pg, data, convId, progress: !json, ct);
        if (read.IsFail) return Fail(read.Match(_ => "", e => e.Message));
        var byUser = (Dictionary<string, List<Recorded>>)read;
        var recorders = byUser.Keys.Order(StringComparer.Ordinal).ToList();
        if (recorders.Count == 0) return Fail($"conversation {convId} is not in the log");
        if (user is not null && !recorders.Contains(user, StringComparer.Ordinal)) return Fail($"{user} has no recording of conversation {convId}");
        static long? Parse(string? text) => text is null ? null
            : long.TryParse(text, NumberStyles.Integer, Inv, out var ms) ? ms
            : DateTimeOffset.TryParse(text, Inv, DateTimeStyles.AssumeUniversal, out var t) ? t.ToUnixTimeMilliseconds() : -1;
        var at = Parse(asOf);
        var trueAtMs = Parse(trueAt);
        if (at == -1 || trueAtMs == -1) return Fail("--as-of and --true-at take epoch milliseconds or an ISO-8601 time");
        var users = user is null ? recorders : [user];
        Timeline.State StateOf(List<Recorded> mine) => seq is { } s ? AsOf.Seq(mine, convId, s, Timeline.Reducer)
            : trueAtMs is { } tt ? AsOf.TrueAt(mine, convId, tt, Timeline.Reducer)
            : at is { } t2 ? AsOf.Time(mine, t2, Timeline.Reducer)
            : Timeline.Reducer.Fold(mine.Select(r => r.Event));
        var merged = Transcript.MergeAll(users.Select(u => Transcript.Of(u, StateOf(byUser[u]), Transcript.FirstSeen(byUser[u]))));
        var title = seq is not null ? $"as of seq {seq}"
            : trueAtMs is not null ? $"as true at {DateTimeOffset.FromUnixTimeMilliseconds(trueAtMs.Value):u} (server time)"
            : at is not null ? $"as known at {DateTimeOffset.FromUnixTimeMilliseconds(at.Value):u} (client time)" : "now";
        var source = user is null ? $"merged from {recorders.Count} recordings ({string.Join(", ", recorders)})" : $"as {user}'s client recorded it";
        var disagreements = Transcript.Disagreements(merged).Filter(d => d.ConvId == convId);
        var trailRows = users.SelectMany(u =>
        {
            var mine = byUser[u];
            var asOfSeq = seq ?? (trueAtMs is { } tta ? AsOf.SeqAt(mine, convId, tta) : null);
            var cut = asOfSeq is { } q ? AsOf.Cut(mine, convId, q).IfNone(long.MaxValue) : long.MaxValue;
            return Audit.Trail(mine, u, convId).Where(l => (at is null || l.At <= at) && l.Position < cut).Select(l => (u, l));
        }).OrderBy(x => x.l.Position).ToList();
        var counts = Transcript.CountsOf(merged, c => c == convId);
        if (json)
            return WriteJson(w =>
            {
                w.WriteString("conversation", convId);
                w.WriteString("asOf", title);
                w.WriteStartArray("recordings");
                foreach (var u in users) w.WriteStringValue(u);
                w.WriteEndArray();
                w.WritePropertyName("messages");
                WriteValue(w, Transcript.Messages(merged, convId).Map(m => new
                {
                    m.Seq, id = m.MsgId, from = m.Sender, versions = m.Versions.Map(v => Audit.Describe(m.Type, v)).ToArray(),
                    m.Edited, m.Revoked, m.Disputed, seenBy = m.SeenBy.Map(x => x.User).ToArray(),
                }).ToArray());
                w.WritePropertyName("disagreements");
                WriteValue(w, disagreements.Map(d => new { d.Seq, message = d.MsgId, d.What, recordings = d.Users.ToArray() }).ToArray());
                w.WritePropertyName("trail");
                WriteValue(w, trailRows.Select(x => new
                {
                    x.l.Position, at = DateTimeOffset.FromUnixTimeMilliseconds(x.l.At).ToString("O", Inv), recordedBy = x.u, what = x.l.Kind,
                    message = x.l.MsgId, x.l.Who, x.l.Detail,
                }).ToArray());
                WriteCounts(w, counts);
            });
        var transcript = new Table().Title(Terminal.Escape($"{convId} ({title}), {source}")).AddColumns("seq", "id", "from", "versions (original first)", "state", "seen by");
        foreach (var m in Transcript.Messages(merged, convId))
            transcript.AddRow(m.Seq.ToString(Inv), Terminal.Escape(m.MsgId), Terminal.Escape(m.Sender), Terminal.Escape(string.Join(" -> ", m.Versions.Map(v => $"\"{Audit.Describe(m.Type, v)}\""))),
                Terminal.Escape(string.Join(" ", new[] { m.Edited ? "edited" : "", m.Revoked ? "revoked" : "", m.SeenBy.Exists(w => w.Deleted) ? "deleted" : "", m.Disputed ? "DISPUTED" : "" }.Where(x => x.Length > 0))),
                Terminal.Escape(string.Join(", ", m.SeenBy.Map(w => w.User))));
        AnsiConsole.Write(transcript);
        if (!disagreements.IsEmpty)
        {
            var table = new Table().Title("[red]recordings disagree[/]").AddColumns("seq", "message", "what differs", "recordings");
            foreach (var d in disagreements) table.AddRow(d.Seq.ToString(Inv), Terminal.Escape(d.MsgId), Terminal.Escape(d.What), Terminal.Escape(string.Join(", ", d.Users)));
            AnsiConsole.Write(table);
        }
        var trail = new Table().Title("who did what, when").AddColumns("position", "time (UTC)", "recorded by", "what", "message", "who", "detail");
        foreach (var (u, l) in trailRows)
            trail.AddRow(l.Position.ToString(Inv), DateTimeOffset.FromUnixTimeMilliseconds(l.At).ToString("yyyy-MM-dd HH:mm:ss.fff", Inv), Terminal.Escape(u), Terminal.Escape(l.Kind),
                Terminal.Escape(l.MsgId), Terminal.Escape(l.Who), Terminal.Escape(l.Detail));
        AnsiConsole.Write(trail);
        Console.WriteLine(Terminal.Plain(counts.ToString()));
        return 0;
    }

    /// <summary><c>audit --message</c>: every version of one message from every recording (or one user's), with who, when and where in the log.</summary>
    public static async Task<int> MessageAuditAsync(string? pg, string? data, string msgId, string? user, CancellationToken ct)
    {
        var read = await ReadLogAsync(pg, data, progress: true, ct);
        if (read.IsFail) return Fail(read.Match(_ => "", e => e.Message));
        var log = (List<Recorded>)read;
        var history = Audit.History(user is null ? log : log.Where(r => Recording.UserOf(r.Meta.Stream) == user), msgId);
        if (history.IsEmpty) return Fail(user is null ? $"message {msgId} is not in the log" : $"{user} has no record of message {msgId}");
        static string Time(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss.fff", Inv);
        var table = new Table().Title(Terminal.Escape($"message {msgId}: {history.Map(v => v.Number).Max()} versions in {history.Count} records"))
            .AddColumns("position", "recorded by", "local time (UTC)", "server time (UTC)", "what", "actor", "version", "content");
        foreach (var v in history)
            table.AddRow(v.Position.ToString(Inv), Terminal.Escape(v.RecordedBy), Time(v.LocalTime), v.ServerTime.Match(Time, () => "-"), Terminal.Escape(v.Kind),
                Terminal.Escape(v.Actor.Length > 0 ? v.Actor : "(not in the packet)"), v.Number > 0 ? v.Number.ToString(Inv) : "", Terminal.Escape(v.Content));
        AnsiConsole.Write(table);
        return 0;
    }

    /// <summary>Transcripts (every recording merged) with their edit and revoke lineage and who saw each message, as JSON lines, CSV or a readable HTML page.</summary>
    public static async Task<int> ExportAsync(string? pg, string? data, string? convId, bool all, string format, string? outFile, CancellationToken ct)
    {
        if (convId is null && !all) return Fail("export needs --conversation ID or --all");
        if (convId is not null && all) return Fail("export takes --conversation ID or --all, not both");
        if (format is not ("jsonl" or "csv" or "html" or "evidence" or "rsmf" or "eml")) return Fail($"--format is jsonl, csv, html, evidence, rsmf or eml, not '{format}'");
        if (format == "rsmf" && outFile is null) return Fail("export --format rsmf needs --out FILE.rsmf");
        if (format == "eml" && all && (outFile is null || !Directory.Exists(outFile))) return Fail("export --format eml --all needs --out DIR, an existing folder (one .eml file per conversation)");
        if (outFile is not null && !(format == "eml" && all) && MissingFolder(outFile).Case is string folder) return Fail($"the folder {folder} does not exist");
        if (format == "evidence") return await ExportEvidenceAsync(pg, data, convId, all, outFile, ct);
        var read = await ReadLogAsync(pg, data, progress: outFile is not null, ct);
        if (read.IsFail) return Fail(read.Match(_ => "", e => e.Message));
        var log = (List<Recorded>)read;
        var merged = Transcript.OfLog(log);
        var rows = merged.Conversations.Filter(c => all || c == convId).Map(c => (Conv: c, Lines: Transcript.Messages(merged, c))).ToList();
        if (rows.Count == 0) return Fail(convId is null ? "the log holds no conversation" : $"conversation {convId} is not in the log");
        if (format is "rsmf" or "eml") return await ExportMailAsync(log, merged, rows.Select(r => r.Conv).ToList(), format, all, outFile!, ct);
        static string Text(Transcript.Message m) => m.Revoked ? "" : Audit.Describe(m.Type, m.Content);
        static string SeenBy(Transcript.Message m) => string.Join(" ", m.SeenBy.Map(w => w.User));
        var text = format switch
        {
            "jsonl" => string.Concat(rows.SelectMany(r => r.Lines.Map(m => Json.Object(("convId", r.Conv), ("seq", m.Seq), ("id", m.MsgId), ("type", (long)m.Type),
                ("from", m.Sender), ("created", m.Created), ("text", Text(m)), ("versions", new Json.Arr(m.Versions.Map(v => (Json)v))),
                ("edited", m.Edited), ("revoked", m.Revoked), ("deletedBy", new Json.Arr(m.SeenBy.Filter(w => w.Deleted).Map(w => (Json)new Json.Str(w.User)))),
                ("seenBy", new Json.Arr(m.SeenBy.Map(w => (Json)Json.Object(("user", w.User), ("at", w.SeenAt), ("position", w.Position))))),
                ("disputed", m.Disputed)).ToJsonString() + "\n"))),
            "csv" => "convId,seq,id,from,created,text,versions,edited,revoked,deleted_by,seen_by,disputed\n" + string.Concat(rows.SelectMany(r => r.Lines.Map(m =>
                string.Join(',', Csv(r.Conv), m.Seq.ToString(Inv), Csv(m.MsgId), Csv(m.Sender), m.Created.ToString(Inv), Csv(Text(m)),
                    Csv(string.Join(" | ", m.Versions.Map(v => Audit.Describe(m.Type, v)))), m.Edited ? "1" : "0", m.Revoked ? "1" : "0",
                    Csv(string.Join(" ", m.SeenBy.Filter(w => w.Deleted).Map(w => w.User))), Csv(SeenBy(m)), m.Disputed ? "1" : "0") + "\n"))),
            _ => Html(rows.Select(r => (r.Conv, r.Lines))),
        };
        // On a terminal, recorded text may not drive it; a pipe or a file gets the export exactly.
        if (outFile is null) Console.Write(Console.IsOutputRedirected ? text : Terminal.Plain(text));
        else
        {
            await File.WriteAllTextAsync(outFile, text, new UTF8Encoding(false), ct);
            AnsiConsole.MarkupLineInterpolated($"wrote {Terminal.Plain(outFile)}");
            Console.WriteLine(Terminal.Plain(Transcript.CountsOf(merged, c => all || c == convId).ToString()));
        }
        foreach (var d in Transcript.Disagreements(merged).Filter(d => all || d.ConvId == convId))
            await Console.Error.WriteLineAsync(Terminal.Plain($"warning: recordings disagree on {d.ConvId} seq {d.Seq} ({d.MsgId}): {d.What} ({string.Join(", ", d.Users)})"));
        return 0;
    }

    // RSMF (one EML holding rsmf.zip) or plain EML (one message per conversation).
    static async Task<int> ExportMailAsync(List<Recorded> log, Transcript.Merged merged, List<string> convs, string format, bool all, string? outFile, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var selected = new System.Collections.Generic.HashSet<string>(convs, StringComparer.Ordinal);
        if (format == "rsmf")
        {
            var package = Rsmf.Of(log, selected.Contains);
            var mail = Adapters.Export.RsmfWriter.Message(package, convs.Count == 1 ? $"Conversation {convs[0]}" : $"{convs.Count} conversations", now);
            await mail.WriteToAsync(outFile!, ct);
            Console.WriteLine(Terminal.Plain(string.Create(Inv, $"wrote {outFile}: RSMF 2.0, {package.EventCount} events, {package.Files.Count} attachment files, {Rsmf.Time(package.Begin)} to {Rsmf.Time(package.End)}")));
        }
        else
        {
            foreach (var conv in convs)
            {
                var mail = Adapters.Export.RsmfWriter.Conversation(conv, Transcript.Messages(merged, conv), now);
                var file = all ? Path.Combine(outFile!, Rsmf.SafeName(conv) + ".eml") : outFile;
                if (file is null) await mail.WriteToAsync(Console.OpenStandardOutput(), ct);
                else await mail.WriteToAsync(file, ct);
            }
            if (outFile is not null) Console.WriteLine(Terminal.Plain(string.Create(Inv, $"wrote {convs.Count} .eml {(convs.Count == 1 ? "message" : "messages")} to {outFile}")));
        }
        if (outFile is not null) Console.WriteLine(Terminal.Plain(Transcript.CountsOf(merged, selected.Contains).ToString()));
        return 0;
    }

    // The evidence export needs the log itself (its ledger proves each entry), not only its events.
    static async Task<int> ExportEvidenceAsync(string? pg, string? data, string? convId, bool all, string? outFile, CancellationToken ct)
    {
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail(opened.Match(_ => "", e => e.Message));
        await using var db = (Database)opened;
        await using var log = await db.ClientLogAsync(ct);
        var records = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync(1, ct)) records.Add(r);
        var merged = Transcript.OfLog(records);
        if (!merged.Conversations.Exists(c => all || c == convId)) return Fail(convId is null ? "the log holds no conversation" : $"conversation {convId} is not in the log");
        var built = await EvidenceCommands.EvidenceAsync(log, records, c => all || c == convId, ct);
        if (built.IsFail) return Fail(built.Match(_ => "", e => e.Message));
        var (doc, counts) = ((Json.Obj, Transcript.Counts))built;
        var text = doc.ToJsonString() + "\n";
        if (outFile is null) Console.Write(text);
        else
        {
            await File.WriteAllTextAsync(outFile, text, new UTF8Encoding(false), ct);
            Console.WriteLine(Terminal.Plain($"wrote {outFile} (check it anywhere with: stringee-es verify --proof FILE --public-key KEY.pem)"));
            Console.WriteLine(Terminal.Plain(counts.ToString()));
        }
        return 0;
    }

    /// <summary>
    /// One CSV cell (RFC 4180 quoting). A cell a spreadsheet would run as a formula (it starts with
    /// <c>=</c>, <c>+</c>, <c>-</c>, <c>@</c>, a tab or a carriage return) gets a leading <c>'</c>, as OWASP
    /// recommends, and is quoted: the text shows as text, never as a formula.
    /// </summary>
    public static string Csv(string s)
    {
        var neutral = s.Length > 0 && s[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + s : s;
        return neutral.IndexOfAny([',', '"', '\n', '\r', '\'']) >= 0 ? $"\"{neutral.Replace("\"", "\"\"", StringComparison.Ordinal)}\"" : neutral;
    }

    static string Html(IEnumerable<(string Conv, Seq<Transcript.Message> Lines)> convs)
    {
        var b = new StringBuilder("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Transcripts</title><style>"
            + "body{font:15px/1.4 system-ui,sans-serif;margin:2rem;color:#222}table{border-collapse:collapse;margin:1rem 0 2rem}td,th{border:1px solid #ccc;padding:.3rem .6rem;vertical-align:top}"
            + "th{background:#f3f3f3}.revoked{color:#999}.old{color:#777;text-decoration:line-through}.sys{color:#666;font-style:italic}.disputed{background:#fee}</style></head><body><h1>Transcripts</h1>");
        foreach (var (conv, lines) in convs)
        {
            b.Append("<h2>").Append(WebUtility.HtmlEncode(conv)).Append("</h2><table><tr><th>seq</th><th>time (UTC)</th><th>from</th><th>message</th><th>history</th><th>seen by</th></tr>");
            foreach (var m in lines)
            {
                var css = m.Disputed ? "disputed" : m.Revoked ? "revoked" : m.IsChat ? "" : "sys";
                var text = Audit.Describe(m.Type, m.Content);
                b.Append("<tr class=\"").Append(css).Append("\"><td>").Append(m.Seq.ToString(Inv)).Append("</td><td>")
                    .Append(DateTimeOffset.FromUnixTimeMilliseconds(m.Created).ToString("yyyy-MM-dd HH:mm:ss", Inv)).Append("</td><td>")
                    .Append(WebUtility.HtmlEncode(m.Sender)).Append("</td><td>")
                    .Append(m.Revoked ? "<em>message revoked</em>" : WebUtility.HtmlEncode(text)).Append(m.SeenBy.Exists(w => w.Deleted) ? " <em>(deleted)</em>" : "").Append("</td><td>");
                if (m.Versions.Count > 1 || m.Revoked)
                    b.Append(string.Join("<br>", m.Versions.Map((i, v) => $"<span class=\"{(i < m.Versions.Count - 1 || m.Revoked ? "old" : "")}\">{WebUtility.HtmlEncode(Audit.Describe(m.Type, v))}</span>")));
                b.Append("</td><td>").Append(WebUtility.HtmlEncode(string.Join(", ", m.SeenBy.Map(w => w.User)))).Append("</td></tr>");
            }
            b.Append("</table>");
        }
        return b.Append("</body></html>\n").ToString();
    }

    /// <summary>A self-contained HTML page with SVG charts of the figures.</summary>
    public static async Task<int> ReportAsync(string? pg, string? data, string outFile, IReadOnlyList<double> serviceLevelSeconds, CancellationToken ct)
    {
        var read = await ReadLogsAsync(pg, data, progress: true, server: true, ct);
        if (read.IsFail) return Fail(read.Match(_ => "", e => e.Message));
        var (client, server) = ((List<Recorded>, List<ServerRecorded>))read;
        var merged = Transcript.OfLog(client);
        var options = new ContactCenter.Options(serviceLevelSeconds.Select(s => (long)Math.Round(s * 1000)).ToSeq());
        var (figures, source) = LiveChatFigures(client, server, merged, options);
        var page = Report.Html(Audit.Of(client, merged), figures, source, DateTimeOffset.UtcNow);
        await File.WriteAllTextAsync(outFile, page, new UTF8Encoding(false), ct);
        AnsiConsole.MarkupLineInterpolated($"wrote {Terminal.Plain(outFile)}");
        return 0;
    }

    // The local server saw the queue itself, on one clock; without its record the agents' and customers' recordings stand in.
    static (ContactCenter.Figures Figures, string Source) LiveChatFigures(List<Recorded> client, List<ServerRecorded> server, Transcript.Merged merged,
        ContactCenter.Options options)
    {
        var fromServer = ContactCenter.FromServer(server);
        return fromServer.Exists(f => f is ContactCenter.QueueFact.Queued)
            ? (ContactCenter.Of(fromServer, merged, options), "the local server's record (server clock)")
            : (ContactCenter.Of(ContactCenter.FromClients(client), merged, options), "the agents' and customers' recordings (each client's clock)");
    }

    /// <summary>Volumes, response times, edit and revoke rates, live-chat queue figures.</summary>
    public static async Task<int> StatsAsync(string? pg, string? data, bool json, CancellationToken ct)
    {
        var read = await ReadLogsAsync(pg, data, progress: !json, server: true, ct);
        if (read.IsFail) return Fail(read.Match(_ => "", e => e.Message));
        var (client, server) = ((List<Recorded>, List<ServerRecorded>))read;
        var merged = Transcript.OfLog(client);
        var f = Audit.Of(client, merged);
        var (queue, source) = LiveChatFigures(client, server, merged, ContactCenter.Options.Default);
        var firstResponse = ContactCenter.Stat.Of(f.FirstResponseMs);
        if (json)
            return WriteJson(w =>
            {
                w.WriteNumber("messages", f.Counts.Messages);
                w.WriteNumber("chatMessages", f.Messages);
                w.WriteNumber("conversations", f.Counts.Conversations);
                w.WriteNumber("senders", f.BySender.Count);
                w.WriteNumber("editRate", f.EditRate);
                w.WriteNumber("revokeRate", f.RevokeRate);
                w.WriteNumber("pins", f.Pins);
                WriteStat(w, "firstResponseMs", firstResponse);
                w.WriteStartObject("queue");
                w.WriteString("source", source);
                WriteSummary(w, "overall", queue.Overall);
                WriteObjects(w, "byQueue", queue.ByQueue, q =>
                {
                    w.WriteString("queue", q.Key);
                    WriteSummary(w, null, q);
                });
                WriteObjects(w, "byAgent", queue.ByAgent, a =>
                {
                    w.WriteString("agent", a.Agent);
                    w.WriteNumber("accepted", a.Accepted);
                    w.WriteNumber("transfersIn", a.TransfersIn);
                    w.WriteNumber("transfersOut", a.TransfersOut);
                    WriteStat(w, "speedOfAnswerMs", a.SpeedOfAnswer);
                    WriteStat(w, "firstResponseMs", a.FirstResponse);
                    WriteStat(w, "handlingMs", a.Handling);
                });
                w.WriteEndObject();
                WriteObjects(w, "liveChats", f.LiveChats, c =>
                {
                    w.WriteString("conversation", c.ConvId);
                    if (c.Agent.IsSome) w.WriteString("agent", (string)c.Agent); else w.WriteNull("agent");
                    if (c.WaitMs.IsSome) w.WriteNumber("waitedMs", (long)c.WaitMs); else w.WriteNull("waitedMs");
                    if (c.HandleMs.IsSome) w.WriteNumber("handledMs", (long)c.HandleMs); else w.WriteNull("handledMs");
                });
                WriteCounts(w, f.Counts);
            });
        var volumes = new Table().Title("volumes and rates").AddColumns("figure", "value");
        volumes.AddRow("messages (every recording merged)", f.Counts.Messages.ToString(Inv));
        volumes.AddRow("chat messages", f.Messages.ToString(Inv));
        volumes.AddRow("conversations", f.Counts.Conversations.ToString(Inv));
        volumes.AddRow("senders", f.BySender.Count.ToString(Inv));
        volumes.AddRow("edit rate", f.EditRate.ToString("P1", Inv));
        volumes.AddRow("revoke rate", f.RevokeRate.ToString("P1", Inv));
        volumes.AddRow("pins", f.Pins.ToString(Inv));
        if (firstResponse.Count > 0)
            volumes.AddRow("first response (median / p90)", $"{firstResponse.Median.IfNone(0):0} ms / {firstResponse.P90.IfNone(0):0} ms");
        AnsiConsole.Write(volumes);
        var queues = new Table().Title($"live-chat queues (from {Terminal.Escape(source)})").AddColumns("queue", "offered", "answered", "abandoned", "waiting",
            "abandonment", "within 20 s / 60 s", "speed of answer (median / p90)", "first response (median)", "handling (median)", "transfers");
        foreach (var q in queue.ByQueue.Add(queue.Overall))
            queues.AddRow(Terminal.Escape(q.Key), q.Offered.ToString(Inv), q.Answered.ToString(Inv), q.Abandoned.ToString(Inv), q.Waiting.ToString(Inv),
                Share(q.AbandonmentRate), string.Join(" / ", q.ServiceLevels.Map(l => Share(l.Rate))),
                $"{Ms(q.SpeedOfAnswer.Median)} / {Ms(q.SpeedOfAnswer.P90)}", Ms(q.FirstResponse.Median), Ms(q.Handling.Median), q.Transfers.ToString(Inv));
        AnsiConsole.Write(queues);
        var chats = new Table().Title("live chats").AddColumns("conversation", "agent", "waited", "handled");
        foreach (var c in f.LiveChats)
            chats.AddRow(Terminal.Escape(c.ConvId), Terminal.Escape(c.Agent.IfNone("-")), c.WaitMs.Map(w => $"{w} ms").IfNone("-"), c.HandleMs.Map(h => $"{h} ms").IfNone("-"));
        AnsiConsole.Write(chats);
        Console.WriteLine(Terminal.Plain(f.Counts.ToString()));
        return 0;
    }

    static string Share(Option<double> rate) => rate.Map(r => r.ToString("P1", Inv)).IfNone("-");
    static string Ms(Option<double> ms) => ms.Map(v => $"{v:0} ms").IfNone("-");

    // An array of objects, each written by write.
    static void WriteObjects<T>(System.Text.Json.Utf8JsonWriter w, string name, IEnumerable<T> items, Action<T> write)
    {
        w.WriteStartArray(name);
        foreach (var item in items)
        {
            w.WriteStartObject();
            write(item);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static void WriteStat(System.Text.Json.Utf8JsonWriter w, string name, ContactCenter.Stat s)
    {
        w.WriteStartObject(name);
        w.WriteNumber("count", s.Count);
        foreach (var (key, value) in new[] { ("mean", s.Mean), ("median", s.Median), ("p90", s.P90) })
            if (value.IsSome) w.WriteNumber(key, Math.Round((double)value, 1)); else w.WriteNull(key);
        w.WriteEndObject();
    }

    static void WriteSummary(System.Text.Json.Utf8JsonWriter w, string? name, ContactCenter.Summary q)
    {
        if (name is not null) w.WriteStartObject(name);
        w.WriteNumber("offered", q.Offered);
        w.WriteNumber("answered", q.Answered);
        w.WriteNumber("abandoned", q.Abandoned);
        w.WriteNumber("waiting", q.Waiting);
        if (q.AbandonmentRate.IsSome) w.WriteNumber("abandonmentRate", (double)q.AbandonmentRate); else w.WriteNull("abandonmentRate");
        w.WriteStartArray("serviceLevels");
        foreach (var l in q.ServiceLevels)
        {
            w.WriteStartObject();
            w.WriteNumber("thresholdMs", l.ThresholdMs);
            w.WriteNumber("within", l.Within);
            if (l.Rate.IsSome) w.WriteNumber("rate", (double)l.Rate); else w.WriteNull("rate");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        WriteStat(w, "speedOfAnswerMs", q.SpeedOfAnswer);
        WriteStat(w, "firstResponseMs", q.FirstResponse);
        WriteStat(w, "handlingMs", q.Handling);
        w.WriteNumber("transfers", q.Transfers);
        if (name is not null) w.WriteEndObject();
    }

    // One JSON document on standard output (ids and texts escaped by the writer, whatever they hold).
    internal static int WriteJson(Action<System.Text.Json.Utf8JsonWriter> body)
    {
        using var stdout = Console.OpenStandardOutput();
        using (var w = new System.Text.Json.Utf8JsonWriter(stdout, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        stdout.WriteByte((byte)'\n');
        return 0;
    }

    static readonly System.Text.Json.JsonSerializerOptions CamelCase = new(System.Text.Json.JsonSerializerDefaults.Web);

    // A record of plain fields, with camel-case names (the CLI's JSON documents all use them).
    internal static void WriteValue<T>(System.Text.Json.Utf8JsonWriter w, T value) => System.Text.Json.JsonSerializer.Serialize(w, value, CamelCase);

    static void WriteCounts(System.Text.Json.Utf8JsonWriter w, Transcript.Counts c)
    {
        w.WritePropertyName("counts");
        WriteValue(w, c);
    }

    /// <summary>Starts (or finds) the private cluster and holds it until cancelled (Ctrl+C): then it stops it, if this process started it.</summary>
    public static async Task<int> DbStartAsync(string? data, CancellationToken ct)
    {
        var dir = data ?? Database.DefaultDataDir;
        var started = await EmbeddedPostgres.StartAsync(dir, connectionString: "", ct);
        if (started.IsFail) return Fail($"db start: {started.Match(_ => "", e => e.Message)}");
        await using var pg = (EmbeddedPostgres)started;
        if (!pg.Owned)
        {
            Console.WriteLine(Terminal.Plain($"{dir}: already running, owned by another process or left by one that ended; nothing to start"));
            return 0;
        }
        Console.WriteLine(Terminal.Plain($"{dir}: running; other stringee-es commands with this --data attach to it. Ctrl+C stops it."));
        try
        {
            await Task.Delay(Timeout.Infinite, ct);
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: the cluster stops as the process leaves this block.
        }
        Console.WriteLine("stopping the cluster");
        return 0;
    }

    /// <summary>Says what the private cluster's data folder holds, starting nothing.</summary>
    public static async Task<int> DbStatusAsync(string? data, CancellationToken ct)
    {
        var status = await EmbeddedPostgres.StatusAsync(data ?? Database.DefaultDataDir, ct);
        if (status.IsFail) return Fail($"db status: {status.Match(_ => "", e => e.Message)}");
        Console.WriteLine(Terminal.Plain((string)status));
        return 0;
    }
}
