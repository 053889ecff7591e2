using EventSourced.Adapters.Client;
using EventSourced.Adapters.Server;
using EventSourced.Adapters.Storage;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using LanguageExt;
using Microsoft.Extensions.Logging;
using Spectre.Console;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>
/// The main job: PostgreSQL (embedded unless configured), the local server on its own event log,
/// scripted users chatting through real StringeeClients on the client event log, then the
/// transcript, the audit trail, figures, and a replay of the whole log checked against the live state.
/// </summary>
public static class Demo
{
    static T Must<T>(Fin<T> r, string what) => r.Match(v => v, e => throw new InvalidOperationException($"{what}: {e.Code} {e.Message}"));

    public static async Task<int> RunAsync(string? pg, string? data, CancellationToken ct)
    {
        var console = AnsiConsole.Console;
        console.MarkupLine("[bold]stringee-es demo[/]: an event-sourced Stringee chat, recorded in PostgreSQL");
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail)
        {
            console.MarkupLineInterpolated($"[red]PostgreSQL: {opened.Match(_ => "", e => e.Message)}[/]");
            return 2;
        }
        await using var db = (Database)opened;
        await using var clientLog = await db.ClientLogAsync(ct);
        await using var serverLog = await db.ServerLogAsync(ct);
        var firstPosition = clientLog.LastPosition + 1;
        await clientLog.StartAnalyticsAsync(ct);
        var outbox = Path.Combine(Path.GetTempPath(), "stringee-es", "outbox");
        var config = ServerConfig.Default with
        {
            Outbox = outbox,
            Projects = [ServerConfig.Default.Projects[0] with { Queues = [new QueueConfig("support", "Support", ["agent1", "agent2"], AgentTimeoutMs: 1_500, QueueTimeoutMs: 60_000)] }],
        };
        await using var server = await StringeeServer.StartAsync(config, 0, serverLog, ct: ct);
        console.MarkupLineInterpolated($"server on [blue]{server.Url}[/]; client log and server log in PostgreSQL ([grey]{Redact(db.ConnectionString)}[/])");

        var run = $"{DateTimeOffset.UtcNow.ToUnixTimeSeconds() % 100_000}";
        string U(string name) => $"{name}-{run}";
        ClientOptions Options() => new(Seq1(new Uri(server.Url)), new Uri($"http://127.0.0.1:{server.Port}/"))
            { Log = clientLog, Logger = Tools.Loggers.CreateLogger("stringee-es.demo.client") };
        string Token(string user) => TokenIssuer.Issue(config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, user);
        async Task<StringeeClient> Connect(string user)
        {
            var c = new StringeeClient(Options());
            Must(await c.ConnectAsync(Token(user), ct), $"connect {user}");
            return c;
        }

        string alice = U("alice"), bob = U("bob");
        await using var a = await Connect(alice);
        await using var b = await Connect(bob);
        await using var agent1 = await Connect("agent1");
        await using var agent2 = await Connect("agent2");

        console.MarkupLine("[bold]1. a group chat[/]: messages, typing, edits, a pin, a revoke, reads");
        var group = Must(await a.CreateConversationAsync(Seq1(bob), new ConversationOptions("Launch plan", true, false, None, None), ct), "create");
        var m1 = Must(await a.SendTextAsync(group.Id, "Launch is on Thursday", ct), "send");
        var m2 = Must(await a.SendTextAsync(group.Id, "Docs freeze on Tuesday", ct), "send");
        Must(await b.SendBeginTypingAsync(group.Id, ct), "typing");
        var r1 = Must(await b.SendTextAsync(group.Id, "Thursday works, I'll tell the team", ct), "send");
        Must(await b.SendEndTypingAsync(group.Id, ct), "typing");
        var r2 = Must(await b.SendTextAsync(group.Id, "(sent to the wrong chat)", ct), "send");
        Must(await a.EditMessageAsync(group.Id, m1.Id, "Launch is on Friday", ct), "edit");
        Must(await a.EditMessageAsync(group.Id, m1.Id, "Launch is on Friday 10:00 UTC", ct), "edit");
        Must(await a.PinMessageAsync(group.Id, m1.Id, true, ct), "pin");
        Must(await b.RevokeMessageAsync(group.Id, r2.Id, ct), "revoke");
        Must(await a.PinMessageAsync(group.Id, m2.Id, true, ct), "pin");
        Must(await b.MarkConversationAsReadAsync(group.Id, ct), "read");
        Must(await a.MarkConversationAsReadAsync(group.Id, ct), "read");

        console.MarkupLine("[bold]2. live chat[/]: a customer is routed, agent1 does not answer, agent2 accepts, transfers to agent1, who ends it");
        await using var carol = new StringeeClient(Options());
        var profile = Must(await carol.GetChatProfileAsync("widget-local", ct), "chat profile");
        var visitorToken = Must(await carol.GetLiveChatTokenAsync("widget-local", "Carol", "carol@example.test", ct), "visitor token");
        Must(await carol.ConnectAsync(visitorToken, ct), "connect carol");
        var toAgent2 = agent2.OnReceiveChatRequest.Where(r => r.CustomerName == "Carol").FirstAsync().Timeout(TimeSpan.FromSeconds(15)).ToTask(ct);
        var timedOut = agent1.OnTimeoutAnswerChat.Where(r => r.CustomerName == "Carol").FirstAsync().Timeout(TimeSpan.FromSeconds(15)).ToTask(ct);
        var chat = Must(await carol.CreateLiveChatConversationAsync(profile.Queues.IfNone(Seq<Domain.Packets.QueueInfo>()).Head.Id, ct: ct), "live chat");
        await timedOut;
        Must(await agent2.AcceptChatRequestAsync(await toAgent2, ct), "accept");
        Must(await carol.SendTextAsync(chat.Id, "Hi, my order #1042 has not arrived", ct), "send");
        Must(await agent2.SendTextAsync(chat.Id, "Sorry about that, let me check", ct), "send");
        var transfer = agent1.OnReceiveTransferChatRequest.Where(r => r.ConvId == chat.Id).FirstAsync().Timeout(TimeSpan.FromSeconds(10)).ToTask(ct);
        Must(await agent2.TransferChatAsync(chat.Id, "agent1", "", "Carol", ct), "transfer");
        Must(await agent1.AcceptChatRequestAsync(await transfer, ct), "accept transfer");
        Must(await agent1.SendTextAsync(chat.Id, "It ships today, tracking follows by email", ct), "send");
        Must(await carol.SendChatTranscriptAsync("carol@example.test", chat.Id, "shop.example", ct), "transcript");
        Must(await agent1.EndChatAsync(chat.Id, ct), "end");
        await carol.Models.Where(m => m.Conversations.ById.Find(chat.Id).Exists(c => c.Ended)).FirstAsync().Timeout(TimeSpan.FromSeconds(10)).ToTask(ct);

        // ---- what was recorded
        var log = new List<Recorded>();
        await foreach (var r in clientLog.ReadAllAsync(firstPosition, ct)) log.Add(r);
        console.WriteLine();
        console.MarkupLineInterpolated($"[bold]3. the event log[/]: {log.Count} events recorded by 5 clients in this run ({log.Count(r => r.Meta.Origin == Origin.Received)} packets received, {log.Count(r => r.Meta.Origin == Origin.Sent)} sent, {log.Count(r => r.Meta.Origin == Origin.Local)} local facts)");

        var transcript = new Table().Title("Transcript of 'Launch plan' as alice's client recorded it (audit view: every version kept)")
            .AddColumns("seq", "from", "now shows", "versions", "flags");
        var aliceState = FoldOf(log, alice);
        foreach (var line in Audit.Transcript(aliceState.Timeline, group.Id))
            transcript.AddRow(Terminal.Escape(line.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture)), Terminal.Escape(line.Sender), Terminal.Escape(line.Revoked ? "(revoked)" : line.Text),
                Terminal.Escape(string.Join(" -> ", line.Versions.Map(v => $"\"{v}\""))), Terminal.Escape(string.Join(" ", new[] { line.Edited ? "edited" : "", line.Revoked ? "revoked" : "", line.Deleted ? "deleted" : "" }.Where(x => x.Length > 0))));
        console.Write(transcript);

        var trail = new Table().Title("Audit trail of 'Launch plan' (alice's client; local time, log position)").AddColumns("position", "time (UTC)", "what", "message", "who", "detail");
        foreach (var l in Audit.Trail(log, alice, group.Id))
            trail.AddRow(l.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), DateTimeOffset.FromUnixTimeMilliseconds(l.At).ToString("HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture),
                Terminal.Escape(l.Kind), Terminal.Escape(l.MsgId), Terminal.Escape(l.Who), Terminal.Escape(l.Detail));
        console.Write(trail);

        var figures = Audit.Of(log);
        var stats = new Table().Title("Figures for this run").AddColumns("figure", "value");
        stats.AddRow("messages", figures.Messages.ToString(System.Globalization.CultureInfo.InvariantCulture));
        foreach (var (who, n) in figures.BySender) stats.AddRow(Terminal.Escape($"  from {who}"), n.ToString(System.Globalization.CultureInfo.InvariantCulture));
        stats.AddRow("edit rate", $"{figures.EditRate:P0}");
        stats.AddRow("revoke rate", $"{figures.RevokeRate:P0}");
        foreach (var lc in figures.LiveChats)
            stats.AddRow(Terminal.Escape($"live chat {lc.ConvId}"), Terminal.Escape($"waited {lc.WaitMs.Map(w => $"{w} ms").IfNone("-")}, handled {lc.HandleMs.Map(h => $"{h} ms").IfNone("-")} (accepted by {lc.Agent.IfNone("-")})"));
        if (!figures.FirstResponseMs.IsEmpty) stats.AddRow("median first response", $"{figures.FirstResponseMs.OrderBy(x => x).ElementAt(figures.FirstResponseMs.Count / 2)} ms");
        console.Write(stats);

        // ---- replay: the whole log folded again must give every client's live state
        var all = new List<Recorded>();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await foreach (var r in clientLog.ReadAllAsync(1, ct)) all.Add(r);
        var users = new[] { (alice, a), (bob, b), ("agent1", agent1), ("agent2", agent2), (carol.UserId, carol) };
        var replayed = users.ToDictionary(u => u.Item1, u => FoldOf(all, u.Item1), StringComparer.Ordinal);
        var same = users.All(u => Equals(replayed[u.Item1].Timeline, u.Item2.Current.Timeline));
        watch.Stop();
        console.MarkupLineInterpolated($"[bold]4. replay[/]: {all.Count} events read back from PostgreSQL and folded in {watch.ElapsedMilliseconds} ms");
        console.MarkupLine($"replayed timelines equal every client's live state: {(same ? "[green]yes[/]" : "[red]NO[/]")}");

        // ---- the Marten projections: inline rows written with the events, analytics tables kept by the async daemon
        var rowsMatch = EventSourced.Projections.Rows.MessagesOf(alice, replayed[alice]).OrderBy(r => r.Id, StringComparer.Ordinal)
            .SequenceEqual((await clientLog.MessageRowsAsync(alice, ct: ct)).OrderBy(r => r.Id, StringComparer.Ordinal));
        console.MarkupLine($"[bold]5. projections[/]: alice's message rows written inline by Marten equal the pure fold of her events: {(rowsMatch ? "[green]yes[/]" : "[red]NO[/]")}");
        var caughtUp = false;
        await AnsiConsole.Status().StartAsync("async daemon: bringing the analytics tables up to date", async _ => caughtUp = await clientLog.WaitForAnalyticsAsync(TimeSpan.FromSeconds(30)));
        if (caughtUp) console.Write(await AnalyticsTableAsync(db.ConnectionString, group.Id, chat.Id, ct));
        else console.MarkupLine("[red]the analytics daemon did not catch up within 30 s[/]");

        // ---- evidence: the log proves itself, a hold preserves the team's conversation, an eDiscovery export of both chats
        var proved = await EvidenceAsync(console, db, clientLog, serverLog, all, group.Id, chat.Id, carol.UserId, outbox, ct);
        console.MarkupLineInterpolated($"transcript e-mail written to [grey]{Terminal.Escape(outbox)}/transcripts[/]; try [blue]stringee-es audit --conversation {group.Id}[/] and [blue]stringee-es stats[/]");
        return same && rowsMatch && caughtUp && proved ? 0 : 1;
    }

    static async Task<bool> EvidenceAsync(IAnsiConsole console, Database db, Adapters.Storage.Marten.MartenClientLog clientLog,
        Adapters.Storage.Marten.MartenEventLog<Domain.Server.ServerRecorded> serverLog, List<Recorded> all, string group, string chat, string customer, string outbox, CancellationToken ct)
    {
        var head = await clientLog.SignTreeHeadAsync(ct);
        await serverLog.SignTreeHeadAsync(ct);
        var verified = new[] { await clientLog.VerifyAsync(ct: ct), await serverLog.VerifyAsync(ct: ct) };
        console.MarkupLineInterpolated($"[bold]6. evidence[/]: tree head of the client log signed at size {head.Size}, root [grey]{Convert.ToHexStringLower(head.Root)[..16]}…[/] ({head.Algorithm}, key {head.KeyId})");
        foreach (var v in verified)
            console.MarkupLine($"verify {Terminal.Escape(v.Log)}: {v.Checked} events recomputed from their rows, {v.Heads.Count} signed tree heads: {(v.Ok ? "[green]unaltered[/]" : $"[red]{Terminal.Escape(((Adapters.Storage.Marten.Finding)v.First).Detail)}[/]")}");
        var folder = Path.Combine(outbox, "evidence");
        Directory.CreateDirectory(folder);
        var built = await EvidenceCommands.EvidenceAsync(clientLog, all, c => c == group, ct);
        var proofOk = false;
        foreach (var (doc, _) in built)
        {
            var file = Path.Combine(folder, $"{Rsmf.SafeName(group)}.evidence.json");
            await File.WriteAllTextAsync(file, doc.ToJsonString(), ct);
            var check = Adapters.Storage.Evidence.ProofFile.Verify(doc.ToJsonString(), db.Signer.PublicKeyPem, Some(db.Signer));
            proofOk = check.Ok;
            console.MarkupLine($"evidence export of 'Launch plan' ({Terminal.Escape(check.Lines.LastOrDefault() ?? "")}): {(check.Ok ? "[green]proven[/]" : "[red]NOT proven[/]")}, [grey]{Terminal.Escape(file)}[/]");
        }
        var coverage = Completeness.Of(all).Filter(c => c.ConvId == group || c.ConvId == chat);
        foreach (var c in coverage)
            console.MarkupLine($"coverage of {Terminal.Escape(c.ConvId)} recorded by {Terminal.Escape(c.User)}: {(c.Gaps.IsEmpty ? "no gap" : Terminal.Escape(string.Join("; ", c.Gaps.Map(g => $"{g.From}-{g.To} {g.Fate}"))))}");
        var hold = await ComplianceCommands.PlaceAsync(db, "conversation", group, "demo: the launch date dispute", ct);
        console.MarkupLine($"legal hold on 'Launch plan': {hold.Match(p => $"[green]placed[/] (compliance log position {p}): purge refuses it until it is released", e => $"[red]{Terminal.Escape(e.Message)}[/]")}");
        var package = Rsmf.Of(all, c => c == group || c == chat);
        var rsmf = Path.Combine(folder, $"{Rsmf.SafeName(group)}.rsmf");
        await Adapters.Export.RsmfWriter.Message(package, "stringee-es demo", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).WriteToAsync(rsmf, ct);
        console.MarkupLineInterpolated($"RSMF 2.0 export of both chats for eDiscovery: {package.EventCount} events, [grey]{Terminal.Escape(rsmf)}[/]");
        // The live-chat customer asks to be forgotten: her key is destroyed, what she wrote and who she said she was read [erased],
        // and the log still proves itself (nothing stored changed).
        var erased = await ComplianceCommands.EraseAsync(db, customer, ct);
        console.MarkupLine($"erasure of the live-chat customer {Terminal.Escape(customer)}: {erased.Match(m => $"[green]{Terminal.Escape(m)}[/]", e => $"[red]{Terminal.Escape(e.Message)}[/]")}");
        var after = new List<Recorded>();
        await foreach (var r in clientLog.ReadAllAsync(1, ct)) after.Add(r);
        foreach (var m in Transcript.Messages(Transcript.OfLog(after), chat).Filter(m => m.IsChat))
            console.MarkupLine($"  seq {m.Seq} from {Terminal.Escape(m.Sender)}: {Terminal.Escape(Chat.TextOf(m.Content))}");
        var still = await clientLog.VerifyAsync(ct: ct);
        console.MarkupLine($"verify client_log after the erasure: {(still.Ok ? "[green]unaltered[/]" : $"[red]{Terminal.Escape(((Adapters.Storage.Marten.Finding)still.First).Detail)}[/]")}");
        return verified.All(v => v.Ok) && proofOk && hold.IsSucc && erased.IsSucc && still.Ok;
    }

    static async Task<Table> AnalyticsTableAsync(string cs, string group, string chat, CancellationToken ct)
    {
        var table = new Table().Title("Analytics tables (async daemon; plain SQL in schema client_log)").AddColumns("query", "result");
        await using var conn = new Npgsql.NpgsqlConnection(cs);
        await conn.OpenAsync(ct);
        async Task Row(string label, string sql)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("group", group);
            cmd.Parameters.AddWithValue("chat", chat);
            var value = await cmd.ExecuteScalarAsync(ct);
            table.AddRow(Terminal.Escape(label), Terminal.Escape(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "-"));
        }
        await Row("messages in 'Launch plan'", "select count(*) from client_log.analytics_messages where conv_id = @group");
        await Row("edits in 'Launch plan'", "select count(*) from client_log.analytics_edits where conv_id = @group");
        await Row("revokes in 'Launch plan'", "select count(*) from client_log.analytics_revokes where conv_id = @group");
        await Row("participants of the live chat when created", "select string_agg(user_id, ', ' order by user_id) from client_log.analytics_participants where conv_id = @chat");
        await Row("live chat waiting / handling (ms)", "select waiting_ms || ' / ' || handling_ms from client_log.analytics_live_chat where conv_id = @chat");
        return table;
    }

    // One user's read models folded from that user's streams of a recorded log.
    static ReadModels FoldOf(IEnumerable<Recorded> log, string user) =>
        ReadModels.Reducer.Fold(log.Where(r => Recording.UserOfStream(r.Meta.Stream) == Some(user)).Select(r => r.Event));

    static string Redact(string cs) => string.Join(';', cs.Split(';').Where(p => !p.StartsWith("Password", StringComparison.OrdinalIgnoreCase)));
}
