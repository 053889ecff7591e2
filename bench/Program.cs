using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using LanguageExt;
using Npgsql;
using NpgsqlTypes;
using static LanguageExt.Prelude;

namespace EventSourced.Bench;

/// <summary>
/// Each measurement runs beside its ceiling, on the same machine and PostgreSQL, in the same run,
/// and is reported as a ratio to it: absolute figures on shared machines drift, ratios much less.
/// </summary>
public static class Program
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    sealed record Row(string Id, string Measurement, string Unit, double[] Ours, string Ceiling, double[] Limit, string Target, Func<double, double, bool> Met)
    {
        public bool LowerIsBetter { get; init; }
        public double Median => Program.Median(Ours);
        public double LimitMedian => Program.Median(Limit);
        public double Ratio => LimitMedian == 0 ? 0 : Median / LimitMedian;
    }

    public static async Task<int> Main(string[] args)
    {
        var quick = args.Contains("--quick");
        // --events N: another traffic size, for working on one measurement (the committed table is always 1,000,000).
        var events = args.SkipWhile(a => a != "--events").Skip(1).Select(int.Parse).FirstOrDefault(quick ? 20_000 : 1_000_000);
        var reps = 3;
        // The committed table comes from a full run of everything; a quick run or a run of some measurements writes only where --out says.
        var output = args.SkipWhile(a => a != "--out").Skip(1).FirstOrDefault()
            ?? (quick || args.Contains("--only") || args.Contains("--events") ? null : Path.Combine(Repo(), "docs", "PERFORMANCE.md"));
        Console.WriteLine($"stringee-es benchmarks ({(quick ? "quick" : "full")}: {events:N0} events, {reps} repetitions after a warm-up)");
        var rows = new List<Row>();
        // --only 2,6: just those measurements (for working on one; the committed table always comes from a full run).
        var only = args.SkipWhile(a => a != "--only").Skip(1).FirstOrDefault()?.Split(',');
        bool Run(string id) => only is null || only.Contains(id);

        // #6: server fan-out beside one connection's echo round trips; first, before the generated traffic fills the heap
        // (the server runs in this process, and its tail latency would pay for collecting the harness's own arrays).
        if (Run("6"))
        {
            var seconds = TimeSpan.FromSeconds(quick ? 3 : 30);
            Console.WriteLine($"  #6 server fan-out: 100 clients in 20 groups of 5 for {seconds.TotalSeconds} s...");
            var fan = await FanOut.RunAsync(Path.Combine(Repo(), "src", "Cli", "bin", "Release", "net10.0", "stringee-es.dll"), 100, 5, seconds);
            var echo = await FanOut.EchoAsync(TimeSpan.FromSeconds(quick ? 2 : 10));
            rows.Add(new Row("6", string.Create(Inv, $"server fan-out, 100 clients in 20 groups of 5, each sending as fast as answered (p99 send→receive there {fan.SaturatedP99Ms:0.0} ms); ")
                    + string.Create(Inv, $"then paced to half that rate ({fan.HalfRatePerSecond:N0} delivered/s): p99 send→receive {fan.P99Ms:0.0} ms from each message's scheduled time; lost {fan.Lost}"), "msg/s",
                [fan.DeliveredPerSecond], "WebSocket echo round trips, one connection", [echo], "≥ 2× the ceiling; p99 ≤ 20 ms at half the sustained rate; zero lost",
                (m, l) => m >= 2 * l && fan.P99Ms <= 20 && fan.Lost == 0));
        }

        // Generated traffic: ~300-byte recorded packets across 1,000 conversations, in seq order per conversation.
        var recorded = Traffic(events, conversations: Math.Min(1_000, events / 10));
        var evs = recorded.Select(r => r.Event).ToArray();

        if (Run("4"))
        {
            static double PureFold(Event[] events) =>
                Rate(events.Length, () => { var t = Timeline.Reducer.Fold(events); var c = ConversationList.Reducer.Fold(events); GC.KeepAlive((t, c)); });
            var row = Measure("4", "pure reducers: fold into timeline + conversation list", "events/s", reps,
                () => PureFold(evs), "mutable Dictionary fold", () => Rate(evs.Length, () => MutableFold(evs)),
                "≥ 25% of the ceiling", (m, l) => m >= 0.25 * l, allocationsPer: evs.Length);
            // Growth: the cost per event of the same fold over the first tenth of the traffic beside the whole (it must stay flat).
            var tenth = evs.Take(evs.Length / 10).ToArray();
            var small = Median(Enumerable.Range(0, reps).Select(_ => PureFold(tenth)).ToArray());
            rows.Add(row with { Measurement = row.Measurement + PerEvent(tenth.Length, small, evs.Length, row.Median) });
        }

        // The feed applies each event to every read model before the next, so #5's ceiling is #4's pure fold applied
        // the same way; the row also says how it compares with #4's fold of one model after the other.
        if (Run("5"))
        {
            var rx = Measure("5", "observables: the same events through the Rx read models", "events/s", reps,
                () => Rate(evs.Length, () => RxFold(evs)),
                "the pure fold of #4, each event to both models in turn as the feed applies it", () => Rate(evs.Length, () => InterleavedFold(evs)),
                "≤ 20% overhead", (m, l) => m >= 0.8 * l, allocationsPer: evs.Length);
            var sequential = rows.FirstOrDefault(r => r.Id == "4");
            rows.Add(sequential is null ? rx : rx with
            {
                Measurement = rx.Measurement + string.Create(Inv, $"; {rx.Median / sequential.Median:P0} of #4's fold of one model after the other"),
            });
        }

        // #8: a 100k-message conversation as of its middle, beside rebuilding it from the start.
        var oneConversation = Traffic(quick ? 20_000 : 100_000, conversations: 1);
        for (var i = 0; i < oneConversation.Count; i++) oneConversation[i] = oneConversation[i] with { Meta = oneConversation[i].Meta with { Position = i + 1 } };
        // Checkpoints are kept by one fold as the log is read (as a snapshot would be written); the
        // measurement is the question asked afterwards.
        if (Run("8"))
        {
            var watch = Stopwatch.StartNew();
            var checkpoints = Checkpoints<Timeline.State>.Build(oneConversation, Timeline.Reducer, every: 1_024);
            var built = watch.Elapsed.TotalMilliseconds;
            rows.Add(Measure("8", $"time travel: one conversation as of its middle (checkpoints every 1,024 events, {checkpoints.Count} kept, built in one fold of {built:N0} ms)", "ms", reps,
            () => Millis(() => GC.KeepAlive(checkpoints.Position(oneConversation.Count / 2))),
            "rebuild from the start", () => Millis(() => GC.KeepAlive(Timeline.Reducer.Fold(oneConversation.Select(r => r.Event)))),
            "≤ 10% of the full rebuild's time", (m, l) => m <= 0.1 * l) with { LowerIsBetter = true });
        }

        // #9: change sets. One edit in a conversation of 100, 10,000 and 100,000 messages: fold the event and compute the
        // timeline's change set. Flat means the cost does not grow with the conversation; the ceiling is the smallest size.
        if (Run("9"))
        {
            int[] sizes = quick ? [100, 1_000, 10_000] : [100, 10_000, 100_000];
            var conversations = sizes.Select(EditBench.Conversation).ToArray();
            var perSize = new double[sizes.Length];
            var rebuild = EditBench.RebuildMicros(conversations[^1], 50);
            var row = Measure("9", "", "µs/event", reps,
                () => EditBench.Micros(conversations[^1], 2_000),
                $"the same at {sizes[0]:N0} messages", () => EditBench.Micros(conversations[0], 2_000),
                // O(log n): a tree of 100,000 is 2.5 times as deep as one of 100; a whole-view rebuild grows 1,000 times.
                "≤ 2.5× the smallest size (logarithmic: the depth of 100,000 over that of 100)", (m, l) => m <= 2.5 * l) with { LowerIsBetter = true };
            for (var i = 0; i < sizes.Length; i++) perSize[i] = EditBench.Micros(conversations[i], 2_000);
            rows.Add(row with
            {
                Measurement = string.Create(Inv, $"change sets: one edit in a conversation of {sizes[^1]:N0} messages, folded and turned into its timeline change set ")
                    + string.Create(Inv, $"({string.Join(", ", sizes.Select((n, i) => $"{n:N0}: {perSize[i]:0.0} µs"))}; every edit is exactly one update; ")
                    + string.Create(Inv, $"rebuilding and comparing the whole view instead: {rebuild:N0} µs at {sizes[^1]:N0})"),
            });
        }

        var pgStart = await Database.OpenAsync(Environment.GetEnvironmentVariable(EmbeddedPostgres.ConnectionVariable), null);
        if (pgStart.IsFail)
        {
            Console.WriteLine($"PostgreSQL unavailable ({pgStart.Match(_ => "", e => e.Message)}): database measurements skipped");
        }
        else
        {
            await using var db = (Database)pgStart;
            if (Run("11"))
            {
                Console.WriteLine("  #11 first connect on a fresh database...");
                var firsts = new List<FirstConnect.Result>();
                for (var i = 0; i < reps; i++) firsts.Add(await FirstConnect.RunAsync(db.OwnerConnectionString));
                rows.Add(new Row("11", string.Create(Inv,
                        $"first connect on a database created just before: ConnectAsync, a conversation and the first message confirmed (opening the database and its logs before it: {Median(firsts.Select(f => f.OpenSeconds).ToArray()):0.00} s)"),
                    "s", firsts.Select(f => f.ConnectSeconds).ToArray(), "the same with an in-memory log", firsts.Select(f => f.InMemorySeconds).ToArray(),
                    "≤ 1 s", (m, _) => m <= 1.0) with { LowerIsBetter = true });
            }
            if (Run("12"))
            {
                var (logSize, userSize) = quick ? (100_000, 1_000) : (1_000_000, 10_000);
                Console.WriteLine($"  #12 attach: a user's {userSize:N0} events in a log of {logSize:N0}...");
                var attach = await Attach.RunAsync(db.OwnerConnectionString, logSize, userSize);
                rows.Add(new Row("12", string.Create(Inv,
                        $"attach: where a user's streams end and their {attach.UserEvents:N0} events folded, in a log of {attach.LogEvents:N0} events of 100 users"),
                    "ms", [attach.SharedMs], $"the same user's {attach.UserEvents:N0} events alone in a log", [attach.AloneMs],
                    "≤ 2× the ceiling (the cost follows the user's events, not the log's)", (m, l) => m <= 2 * l) with { LowerIsBetter = true });
            }
            var ingest = new List<double>();
            var copy = new List<double>();
            var replay = new List<double>();
            ReplayRun? lastReplay = null;
            var rawRead = new List<double>();
            var peak = new List<double>();
            var group = new List<double>();
            var models = new List<double>();
            var groupSlice = recorded.Take(quick ? 5_000 : 100_000).ToList();
            var bareIngest = new List<double>();
            var bareGroup = new List<double>();
            var verifyRates = new List<double>();
            var shaRates = new List<double>();
            var verifyPeaks = new List<double>();
            var streamed = new List<StreamedRun>();
            for (var rep = 0; rep <= reps && (Run("1") || Run("3") || Run("7")); rep++)
            {
                Console.WriteLine($"  database round {rep} of {reps} ({(rep == 0 ? "warm-up" : "measured")})...");
                var schema = $"bench_{Guid.NewGuid():N}"[..20];
                await using var log = new MartenClientLog(db.OwnerConnectionString, schema);
                await log.InitializeAsync();
                var ingestRate = await ImportAsync(log, recorded);
                var copyRate = await CopyAsync(db.OwnerConnectionString, schema, recorded);
                lastReplay = await ReplayAsync(log);
                var streamedRun = await StreamedAsync(log);
                var rawRate = await RawReadAsync(db.OwnerConnectionString, schema, evs.Count(e => e is Event.MessageReceived));
                // #10: verify the imported log (its ledger written by the import) beside a plain SHA-256 pass over the same rows.
                var (verifyRate, verifyMb) = await VerifyAsync(log);
                var shaRate = await ShaPassAsync(db.OwnerConnectionString, schema);
                // #1e, #1ge: the same import and live appends into logs that write no evidence.
                var bareSchema = $"bare_{Guid.NewGuid():N}"[..20];
                double bareIngestRate, bareGroupRate;
                await using (var bare = new MartenClientLog(db.OwnerConnectionString, bareSchema) { WithoutEvidence = true })
                {
                    await bare.InitializeAsync();
                    bareIngestRate = await ImportAsync(bare, recorded);
                }
                await DropAsync(db.OwnerConnectionString, bareSchema);
                await using (var bare = new MartenClientLog(db.OwnerConnectionString, bareSchema) { WithoutEvidence = true })
                {
                    await bare.InitializeAsync();
                    bareGroupRate = await GroupCommitAsync(bare, groupSlice);
                }
                await DropAsync(db.OwnerConnectionString, bareSchema);
                // The live path on a slice of the same traffic, in a log of its own (the replay above reads the import only).
                var liveSchema = $"group_{Guid.NewGuid():N}"[..20];
                double groupRate;
                await using (var live = new MartenClientLog(db.OwnerConnectionString, liveSchema))
                {
                    await live.InitializeAsync();
                    groupRate = await GroupCommitAsync(live, groupSlice);
                }
                await DropAsync(db.OwnerConnectionString, liveSchema);
                await DropAsync(db.OwnerConnectionString, schema);
                if (rep == 0) continue; // warm-up
                bareIngest.Add(bareIngestRate); bareGroup.Add(bareGroupRate); verifyRates.Add(verifyRate); shaRates.Add(shaRate); verifyPeaks.Add(verifyMb);
                ingest.Add(ingestRate); copy.Add(copyRate); replay.Add(lastReplay.Rate); rawRead.Add(rawRate); peak.Add(lastReplay.PeakMb); models.Add(lastReplay.ModelsMb); group.Add(groupRate);
                streamed.Add(streamedRun);
            }
            // Growth: the same import and replay of the first tenth of the traffic, for their cost per event at both sizes.
            var (growthIngest, growthReplay) = (0.0, 0.0);
            var tenthOfLog = recorded.Take(recorded.Count / 10).ToList();
            if (ingest.Count > 0 && tenthOfLog.Count > 0)
            {
                var schema = $"growth_{Guid.NewGuid():N}"[..20];
                await using (var log = new MartenClientLog(db.OwnerConnectionString, schema))
                {
                    await log.InitializeAsync();
                    growthIngest = await ImportAsync(log, tenthOfLog);
                    growthReplay = (await ReplayAsync(log)).Rate;
                }
                await DropAsync(db.OwnerConnectionString, schema);
            }
            string Growth(double small, List<double> full) => small > 0 ? PerEvent(tenthOfLog.Count, small, recorded.Count, Median(full.ToArray())) : "";
            if (ingest.Count > 0) rows.Add(new Row("1", "bulk ingest: history import into the Marten log (COPY, rows in the same transactions)" + Growth(growthIngest, ingest), "events/s", ingest.ToArray(), "Npgsql binary COPY of the same rows", copy.ToArray(),
                "≥ 50% of the ceiling", (m, l) => m >= 0.5 * l));
            if (group.Count > 0) rows.Add(new Row("1g", $"live appends of the same traffic ({groupSlice.Count:N0} events, 64 appends of 50 in flight, group commit)", "events/s", group.ToArray(), "Npgsql binary COPY (#1)", copy.ToArray(),
                "(comparison, no target)", (_, _) => true));
            if (bareIngest.Count > 0) rows.Add(new Row("1e", "evidence cost on the import: #1 (sealing personal values, leaf hashes, chains, tree, heads in the same transactions)", "events/s", ingest.ToArray(),
                "the same import sealing nothing, writing no evidence", bareIngest.ToArray(), "≥ 90% of the ceiling (hashing and encryption cost ≤ 10%)", (m, l) => m >= 0.9 * l));
            if (bareGroup.Count > 0) rows.Add(new Row("1ge", "evidence cost on live appends: #1g", "events/s", group.ToArray(),
                "the same appends sealing nothing, writing no evidence", bareGroup.ToArray(), "≥ 90% of the ceiling (hashing and encryption cost ≤ 10%)", (m, l) => m >= 0.9 * l));
            if (verifyRates.Count > 0) rows.Add(new Row("10", string.Create(Inv, $"verify: recompute every leaf from its row, every chain link, the tree and every signed head (working set added: {Median(verifyPeaks):N0} MB; target ≤ 200 MB)"),
                "events/s", verifyRates.ToArray(), "plain SHA-256 of the same rows read from PostgreSQL", shaRates.ToArray(), "≥ 50% of the ceiling, ≤ 200 MB",
                (m, l) => m >= 0.5 * l && Median(verifyPeaks) <= 200));
            var naive = new List<double>();
            for (var rep = 0; rep <= reps && Run("1n"); rep++)
            {
                var rate = await NaiveAsync(db.OwnerConnectionString, recorded.Take(quick ? 500 : 5_000).ToList());
                if (rep > 0) naive.Add(rate);
            }
            if (naive.Count > 0) rows.Add(new Row("1n", "naive Marten path: one event per SaveChanges", "events/s", naive.ToArray(), "ours (#1)", ingest.ToArray(),
                "(comparison, no target)", (_, _) => true));
            var replayProfile = lastReplay is { } lr
                ? string.Create(Inv, $" (last round: allocates {lr.BytesPerEvent:N0} B/event, of which the fold {lr.FoldBytesPerEvent:N0}; {lr.GcShare:P0} of the time in GC pauses, {lr.FoldShare:P0} in the fold itself)")
                : "";
            if (replay.Count > 0) rows.Add(new Row("3", "replay: read the log back, decode, fold every read model" + replayProfile + Growth(growthReplay, replay), "events/s", replay.ToArray(),
                "raw Npgsql read + System.Text.Json + mutable fold", rawRead.ToArray(), "≥ 60% of the ceiling", (m, l) => m >= 0.6 * l));
            // #2: live ingest over the WebSocket into the Marten log, beside one INSERT per transaction.
            var sustained = new List<double>();
            var insertRate = new List<double>();
            var p99s = new List<double>();
            var p50s = new List<double>();
            var sendP99s = new List<double>();
            var appendP50s = new List<double>();
            var batchMedians = new List<double>();
            var pacedRates = new List<double>();
            long lostLive = 0;
            for (var rep = 0; rep <= reps && Run("2"); rep++)
            {
                Console.WriteLine($"  #2 live ingest round {rep} of {reps} ({(rep == 0 ? "warm-up" : "measured")})...");
                var schema = $"live_{Guid.NewGuid():N}"[..20];
                var live = await LiveIngest.RunAsync(db.OwnerConnectionString, schema, senders: 8, TimeSpan.FromSeconds(quick ? 2 : 10),
                    Path.Combine(Repo(), "src", "Cli", "bin", "Release", "net10.0", "stringee-es.dll"));
                var ceiling = await LiveIngest.InsertPerTransactionAsync(db.OwnerConnectionString, schema, TimeSpan.FromSeconds(quick ? 1 : 5));
                await DropAsync(db.OwnerConnectionString, schema);
                if (rep == 0) continue;
                sustained.Add(live.SustainedPerSecond); insertRate.Add(ceiling); p99s.Add(live.P99Ms); p50s.Add(live.P50Ms); pacedRates.Add(live.PacedPerSecond); lostLive += live.Lost;
                sendP99s.Add(live.SendP99Ms); appendP50s.Add(live.AppendP50Ms); batchMedians.Add(live.BatchMedian);
            }
            var p99 = Median(p99s);
            var p50 = Median(p50s);
            if (sustained.Count > 0) rows.Add(new Row("2", $"live ingest over WebSocket from a server in its own process, durable before the feed emits (at half rate, {Median(pacedRates):N0}/s: receive→durable p50 {p50:0.0} ms, p99 {p99:0.0} ms by the client's own histogram, of which the log's append queued→committed p50 {Median(appendP50s):0.0} ms in commits of {Median(batchMedians):0} events; send→emit p99 {Median(sendP99s):0.0} ms; lost {lostLive})",
                "events/s", sustained.ToArray(), "one INSERT per transaction, fsync on", insertRate.ToArray(), "≥ 4× the ceiling, p99 ≤ 5 ms at half rate",
                (m, l) => m >= 4 * l && p99 <= 5 && lostLive == 0));
            if (streamed.Count > 0) rows.Add(new Row("7", string.Create(Inv,
                $"memory: working set added by a streamed replay: one pass folds every read model but the timeline, then each of the {streamed[0].Conversations:N0} conversations' timelines is folded from its own streams and let go ({Median(streamed.Select(r => r.Rate).ToArray()):N0} events/s in all, the pass alone {Median(streamed.Select(r => r.PassRate).ToArray()):N0} events/s; {Held(Median(streamed.Select(r => r.HeldMb).ToArray()))} held once it ends). #3's replay, which holds every message with every version, adds {Median(peak.ToArray()):N0} MB, its read models {Median(models.ToArray()):N0} MB"),
                "MB", streamed.Select(r => r.PeakMb).ToArray(), "—", [], "≤ 300 MB", (m, _) => m <= 300));
        }

        var table = Render(rows, quick, events);
        Console.WriteLine(table);
        if (output is not null)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(output)!);
            await File.WriteAllTextAsync(output, table);
            Console.WriteLine($"written to {output}");
        }
        return 0;
    }

    static string Repo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EventSourced.sln"))) dir = dir.Parent;
        return dir?.FullName ?? Directory.GetCurrentDirectory();
    }

    // " (cost per event: 100,000: 7.1 µs, 1,000,000: 7.0 µs)": a rate at two sizes as the time one event costs at each.
    static string PerEvent(int smallSize, double smallRate, int size, double rate) =>
        string.Create(Inv, $" (cost per event: {smallSize:N0}: {1e6 / smallRate:0.00} µs, {size:N0}: {1e6 / rate:0.00} µs)");

    static Row Measure(string id, string what, string unit, int reps, Func<double> ours, string ceiling, Func<double> limit, string target, Func<double, double, bool> met,
        int allocationsPer = 0)
    {
        Console.WriteLine($"  #{id} {what}...");
        // The warm-up run also counts what each side allocates (this thread only: the work is synchronous)
        // and the share of its time spent in GC pauses.
        var (oursBytes, oursGc) = Allocations(ours);
        var (limitBytes, limitGc) = Allocations(limit);
        if (allocationsPer > 0)
            what += string.Create(Inv, $" (allocates {oursBytes / (double)allocationsPer:N0} B/event, {oursGc:P0} of the time in GC pauses; the ceiling {limitBytes / (double)allocationsPer:N0} B/event, {limitGc:P0})");
        var o = new double[reps];
        var l = new double[reps];
        for (var i = 0; i < reps; i++)
        {
            // Each side starts from a collected heap, not from the garbage the other side left.
            Collect();
            o[i] = ours();
            Collect();
            l[i] = limit();
        }
        return new Row(id, what, unit, o, ceiling, l, target, met);
    }

    // Before a memory figure: everything unreachable collected and the heap's free memory given back to the system, so that
    // the working set it starts from is not what an earlier measurement left committed.
    static void Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }

    static (long Bytes, double GcShare) Allocations(Func<double> work)
    {
        Collect();
        var bytes = GC.GetAllocatedBytesForCurrentThread();
        var paused = GC.GetTotalPauseDuration();
        var watch = Stopwatch.StartNew();
        work();
        var elapsed = watch.Elapsed;
        return (GC.GetAllocatedBytesForCurrentThread() - bytes, (GC.GetTotalPauseDuration() - paused) / elapsed);
    }

    static double Millis(Action work)
    {
        var watch = Stopwatch.StartNew();
        work();
        return watch.Elapsed.TotalMilliseconds;
    }

    static double Rate(int count, Action work)
    {
        var watch = Stopwatch.StartNew();
        work();
        return count / watch.Elapsed.TotalSeconds;
    }

    static List<Recorded> Traffic(int count, int conversations)
    {
        var list = new List<Recorded>(count);
        var seq = new long[conversations];
        var text = new string('x', 120);
        for (var i = 0; i < count; i++)
        {
            var conv = i % conversations;
            var s = ++seq[conv];
            Event e = (i % 10) switch
            {
                8 => new Event.MessageReportReceived(new ReportNotice($"c{conv}", $"u{i % 7}", s - 1, 2)),
                9 when s > 2 => new Event.MessageEdited(new EditNotice($"c{conv}", $"m{conv}-{s - 2}", new Json.Str("{\"content\":\"edited\"}"))),
                _ => new Event.MessageReceived(new MessageNotice($"c{conv}", $"m{conv}-{s}", $"u{i % 7}", 1_700_000_000_000 + i, s, 1,
                    Json.Object(("content", $"{text} {i}")), None, None, None, None, None, None)),
            };
            if (e is not Event.MessageReceived) seq[conv]--;
            var raw = Frame.EncodeText(new Packet(Service.ChatMessageFromServer, Json.Object(("convId", $"c{conv}"), ("seq", s), ("message", text))));
            var r = Recording.Local("bench", e, 1_700_000_000_000 + i);
            list.Add(r with { Meta = r.Meta with { Raw = new Raw(raw), Origin = Origin.Received } });
        }
        return list;
    }

    // The ceiling of #4: the same facts the two read models keep, in mutable dictionaries (MutableReadModels),
    // one model after the other as the pure side folds them.
    static void MutableFold(Event[] events)
    {
        var models = new MutableReadModels<Json.Obj>(
            (current, change) => new Json.Obj(change.Fields.Fold(current.Fields, (acc, kv) => acc.AddOrUpdate(kv.Key, kv.Value))),
            (a, b) => a == b);
        foreach (var timeline in (bool[])[true, false])
            foreach (var e in events)
            {
                switch (e)
                {
                    case Event.MessageReceived { Packet: var m } when timeline:
                        models.ReceivedInTimeline(m.ConvId, m.MsgId, m.From, m.Seq, m.Type, m.CreatedTime, m.Message);
                        break;
                    case Event.MessageReceived { Packet: var m }:
                        models.ReceivedInList(m.ConvId, m.MsgId, m.From, m.Seq, m.Type, m.CreatedTime, m.Message);
                        break;
                    case Event.MessageEdited { Packet: var ed } when timeline:
                        models.Edited(ed.ConvId, ed.MsgId, Chat.ContentOf(ed.NewContent));
                        break;
                    case Event.MessageReportReceived { Packet: var r } when timeline:
                        models.ReportedInTimeline(r.ConvId, r.From, r.LastMsgSeq, r.Status == 2);
                        break;
                    case Event.MessageReportReceived { Packet: var r }:
                        models.ReportedInList(r.ConvId, r.From, r.LastMsgSeq, r.Status == 2);
                        break;
                }
            }
        GC.KeepAlive(models);
    }

    // The pure fold of #4 applied as a feed applies it: each event to both read models before the next.
    static void InterleavedFold(Event[] events)
    {
        var requests = Correlation.State.Empty;
        var t = Timeline.Reducer.Initial;
        var c = ConversationList.Reducer.Initial;
        foreach (var e in events)
        {
            (requests, var facts) = Correlation.Step(requests, e);
            foreach (var f in facts)
            {
                t = Timeline.Reducer.Apply(t, f);
                c = ConversationList.Reducer.Apply(c, f);
            }
        }
        GC.KeepAlive((t, c));
    }

    static void RxFold(Event[] events)
    {
        using var subject = new System.Reactive.Subjects.Subject<Event>();
        Timeline.State? t = null;
        ConversationList.State? c = null;
        using var a = subject.Project(Timeline.Reducer).Subscribe(s => t = s);
        using var b = subject.Project(ConversationList.Reducer).Subscribe(s => c = s);
        foreach (var e in events) subject.OnNext(e);
        GC.KeepAlive((t, c));
    }

    // #1: the history import (binary COPY into Marten's tables, the inline rows written set-based in the same transactions).
    static async Task<double> ImportAsync(MartenClientLog log, List<Recorded> recorded)
    {
        var watch = Stopwatch.StartNew();
        var imported = await log.ImportAsync(recorded);
        var count = imported.Match(r => r.Count, e => throw new InvalidOperationException($"import failed: {e.Message}"));
        return count / watch.Elapsed.TotalSeconds;
    }

    // #1g: the same records through live appends: 64 appends of 50 in flight at once, saved by group commit.
    static async Task<double> GroupCommitAsync(MartenClientLog log, List<Recorded> recorded)
    {
        var watch = Stopwatch.StartNew();
        var pending = new List<Task<Fin<AppendResult>>>();
        foreach (var chunk in recorded.Chunk(50))
        {
            pending.Add(log.AppendAsync(chunk[0].Meta.Stream, ExpectedVersion.Any, chunk));
            if (pending.Count >= 64)
            {
                await Task.WhenAll(pending);
                pending.Clear();
            }
        }
        await Task.WhenAll(pending);
        return recorded.Count / watch.Elapsed.TotalSeconds;
    }

    // What a Marten user writes first: a session and a SaveChanges per event.
    static async Task<double> NaiveAsync(string cs, List<Recorded> recorded)
    {
        var schema = $"naive_{Guid.NewGuid():N}"[..20];
        var store = Marten.DocumentStore.For(o =>
        {
            o.Connection(cs);
            o.DatabaseSchemaName = schema;
            o.Events.StreamIdentity = JasperFx.Events.StreamIdentity.AsString;
            o.Events.MapEventType<StoredRecord>(StoredRecord.EventTypeName);
        });
        await using (store)
        {
            await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync();
            var watch = Stopwatch.StartNew();
            foreach (var r in recorded)
            {
                await using var session = store.LightweightSession();
                session.Events.Append(r.Meta.Stream, EventNames.Store(r.Meta, r.Event));
                await session.SaveChangesAsync();
            }
            var rate = recorded.Count / watch.Elapsed.TotalSeconds;
            await DropAsync(cs, schema);
            return rate;
        }
    }

    static async Task<double> CopyAsync(string cs, string schema, List<Recorded> recorded)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using (var create = new NpgsqlCommand($"create table {schema}.copy_ceiling (seq_id bigserial primary key, stream_id varchar, version bigint, type varchar, data jsonb, timestamp timestamptz default now())", conn))
            await create.ExecuteNonQueryAsync();
        var rows = recorded.Select(r => (r.Meta.Stream, JsonSerializer.Serialize(EventNames.Store(r.Meta, r.Event)))).ToList();
        var watch = Stopwatch.StartNew();
        await using (var writer = await conn.BeginBinaryImportAsync($"copy {schema}.copy_ceiling (stream_id, version, type, data) from stdin (format binary)"))
        {
            var v = 0L;
            foreach (var (stream, json) in rows)
            {
                await writer.StartRowAsync();
                await writer.WriteAsync(stream, NpgsqlDbType.Varchar);
                await writer.WriteAsync(++v, NpgsqlDbType.Bigint);
                await writer.WriteAsync(StoredRecord.EventTypeName, NpgsqlDbType.Varchar);
                await writer.WriteAsync(json, NpgsqlDbType.Jsonb);
            }
            await writer.CompleteAsync();
        }
        return rows.Count / watch.Elapsed.TotalSeconds;
    }

    sealed class PeakWorkingSet : IProgress<long>
    {
        public long Peak = Environment.WorkingSet;
        public void Report(long value) => Peak = Math.Max(Peak, Environment.WorkingSet);
    }

    // #10: the verifier over the whole log, streaming; the working set it adds.
    static async Task<(double Rate, double PeakMb)> VerifyAsync(MartenClientLog log)
    {
        Collect();
        var baseline = Environment.WorkingSet;
        var peak = new PeakWorkingSet();
        var watch = Stopwatch.StartNew();
        var v = await log.VerifyAsync(progress: peak);
        if (!v.Ok) throw new InvalidOperationException($"the benchmark log does not verify: {((Finding)v.First).Detail}");
        var rate = v.Checked / watch.Elapsed.TotalSeconds;
        return (rate, (Math.Max(peak.Peak, Environment.WorkingSet) - baseline) / 1024.0 / 1024.0);
    }

    // #10's ceiling: read the same rows and hash each one's stored bytes once.
    static async Task<double> ShaPassAsync(string cs, string schema)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        var watch = Stopwatch.StartNew();
        await using var cmd = new NpgsqlCommand($"select seq_id, stream_id, version, data::text from {schema}.mt_events order by seq_id", conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        long n = 0;
        var sink = 0;
        while (await reader.ReadAsync())
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(reader.GetString(3));
            sink ^= System.Security.Cryptography.SHA256.HashData(bytes)[0];
            n++;
        }
        GC.KeepAlive(sink);
        return n / watch.Elapsed.TotalSeconds;
    }

    // A replay's rate, the memory it adds, and where its time goes: bytes allocated per event (every thread: pages are read and
    // decoded on the thread pool while the fold runs), the share of the time in GC pauses and the share in the fold itself.
    sealed record ReplayRun(double Rate, double PeakMb, double ModelsMb, double BytesPerEvent, double FoldBytesPerEvent, double GcShare, double FoldShare);

    static async Task<ReplayRun> ReplayAsync(MartenClientLog log)
    {
        Collect();
        var baseline = Environment.WorkingSet;
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        var paused = GC.GetTotalPauseDuration();
        var watch = Stopwatch.StartNew();
        var models = ReadModels.Reducer.Start;
        var n = 0;
        var folding = 0L;
        var foldBytes = 0L;
        var peak = baseline;
        await foreach (var r in log.ReadAllAsync())
        {
            var before = Stopwatch.GetTimestamp();
            var bytesBefore = GC.GetAllocatedBytesForCurrentThread();
            models = ReadModels.Reducer.Step(models, r.Event);
            foldBytes += GC.GetAllocatedBytesForCurrentThread() - bytesBefore;
            folding += Stopwatch.GetTimestamp() - before;
            if (++n % 10_000 == 0) peak = Math.Max(peak, Environment.WorkingSet);
        }
        var elapsed = watch.Elapsed;
        var bytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        var gc = (GC.GetTotalPauseDuration() - paused) / elapsed;
        peak = Math.Max(peak, Environment.WorkingSet);
        var rate = n / elapsed.TotalSeconds;
        // What stays reachable afterwards is the read models themselves (every message with every version).
        var withModels = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(models);
        models = ReadModels.Reducer.Start;
        var modelsBytes = withModels - GC.GetTotalMemory(forceFullCollection: true);
        // What the replay adds to the process (the benchmark itself holds the generated traffic).
        return new ReplayRun(rate, (peak - baseline) / 1024.0 / 1024.0, modelsBytes / 1024.0 / 1024.0, bytes / (double)Math.Max(n, 1), foldBytes / (double)Math.Max(n, 1), gc,
            Stopwatch.GetElapsedTime(0, folding) / elapsed);
    }

    // #7: the streamed replay's rate (every event through the pass, then every conversation folded again from its streams), the
    // pass's own rate, the peak working set it adds (sampled while it runs) and what stays reachable at its end (the outlines).
    sealed record StreamedRun(double Rate, double PassRate, double PeakMb, double HeldMb, int Conversations);

    static string Held(double mb) => mb < 1 ? "under 1 MB" : string.Create(Inv, $"{mb:N0} MB");

    static async Task<StreamedRun> StreamedAsync(MartenClientLog log)
    {
        Collect();
        var baseline = Environment.WorkingSet;
        var held0 = GC.GetTotalMemory(forceFullCollection: true);
        var peak = baseline;
        using var sampler = new Timer(_ => { var w = Environment.WorkingSet; if (w > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, w); }, null, 0, 20);
        var watch = Stopwatch.StartNew();
        var outlines = await StreamedReplay.OutlinesAsync(log);
        var pass = watch.Elapsed;
        var events = outlines.Values.Sum(o => o.Events);
        var conversations = 0;
        var messages = 0L;
        foreach (var outline in outlines.Values)
            foreach (var c in outline.Conversations)
            {
                var one = await StreamedReplay.ConversationAsync(log, outline, c);
                messages += one.Timeline.Conversations.Find(c).Map(x => (long)x.BySeq.Count).IfNone(0);
                conversations++;
            }
        var elapsed = watch.Elapsed;
        sampler.Change(Timeout.Infinite, Timeout.Infinite);
        var top = Math.Max(Interlocked.Read(ref peak), Environment.WorkingSet);
        var held = GC.GetTotalMemory(forceFullCollection: true) - held0;
        GC.KeepAlive(outlines);
        if (messages == 0) throw new InvalidOperationException("the streamed replay folded no message");
        return new StreamedRun(events / elapsed.TotalSeconds, events / pass.TotalSeconds, (top - baseline) / 1024.0 / 1024.0, held / 1024.0 / 1024.0, conversations);
    }

    // The ceiling of #3: Npgsql reads the rows, System.Text.Json decodes them, and the same facts as #4's ceiling are
    // folded in mutable dictionaries, every model at once (as the replay folds its read models); content stays raw JSON text.
    static async Task<double> RawReadAsync(string cs, string schema, int expectedMessages)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        var watch = Stopwatch.StartNew();
        // An edit of raw text replaces it (no merge), the cheapest reading of "the same fold".
        var models = new MutableReadModels<string>((_, change) => change, string.Equals);
        var n = 0;
        await using (var cmd = new NpgsqlCommand($"select data from {schema}.mt_events order by seq_id", conn))
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync())
            {
                using var doc = JsonDocument.Parse(reader.GetString(0));
                var type = doc.RootElement.GetProperty("Type").GetString();
                // The event is an object in the row (text only where jsonb cannot hold it, as a log before objects were stored).
                var data = doc.RootElement.GetProperty("Data");
                using var inner = data.ValueKind == JsonValueKind.String ? JsonDocument.Parse(data.GetString()!) : null;
                var p = (inner?.RootElement ?? data).GetProperty("packet");
                switch (type)
                {
                    case "client.message-received.v1":
                        models.Received(p.GetProperty("convId").GetString()!, p.GetProperty("msgId").GetString()!, p.GetProperty("from").GetString()!,
                            p.GetProperty("seq").GetInt64(), p.GetProperty("type").GetInt32(), p.GetProperty("createdTime").GetInt64(), p.GetProperty("message").GetRawText());
                        break;
                    case "client.message-edited.v1":
                        models.Edited(p.GetProperty("convId").GetString()!, p.GetProperty("msgId").GetString()!, p.GetProperty("newContent").GetRawText());
                        break;
                    case "client.message-report-received.v1":
                        models.Reported(p.GetProperty("convId").GetString()!, p.GetProperty("from").GetString()!, p.GetProperty("lastMsgSeq").GetInt64(),
                            p.GetProperty("status").GetInt32() == 2);
                        break;
                }
                n++;
            }
        var rate = n / watch.Elapsed.TotalSeconds;
        // A ceiling that silently folded nothing would flatter every ratio against it.
        if (models.Messages != expectedMessages) throw new InvalidOperationException($"the raw fold kept {models.Messages} messages, expected {expectedMessages}");
        return rate;
    }

    static async Task DropAsync(string cs, string schema)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var drop = new NpgsqlCommand($"drop schema {schema} cascade", conn);
        await drop.ExecuteNonQueryAsync();
    }

    // The middle of the repetitions (the upper middle of an even count), 0 when there are none.
    static double Median(IReadOnlyCollection<double> xs) => xs.Count == 0 ? 0 : xs.Order().ElementAt(xs.Count / 2);

    static string Fmt(double x) => x.ToString(Math.Abs(x) < 10 ? "N2" : "N0", Inv);

    static string Render(List<Row> rows, bool quick, int events)
    {
        var b = new StringBuilder();
        b.AppendLine("# Performance").AppendLine();
        b.AppendLine($"Measured {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC with `dotnet run -c Release --project bench{(quick ? " -- --quick" : "")}`: "
            + $"{events:N0} recorded events (~300 bytes each), {Environment.ProcessorCount} cores, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}.");
        b.AppendLine("Each figure is the median of the repetitions after a warm-up; ratios compare with a ceiling measured in the same run on the same machine and PostgreSQL.").AppendLine();
        b.AppendLine("| # | measurement | median | min | max | ceiling (same run) | ceiling median | ratio | target | met |");
        b.AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
            b.AppendLine(string.Create(Inv, $"| {r.Id} | {r.Measurement} | {Fmt(r.Median)} {r.Unit} | {Fmt(r.Ours.Min())} | {Fmt(r.Ours.Max())} | {r.Ceiling} | {(r.Limit.Length == 0 ? "—" : $"{Fmt(r.LimitMedian)} {r.Unit}")} | {(r.Limit.Length == 0 ? "—" : r.Ratio < 0.1 ? $"{r.Ratio:P1}" : $"{r.Ratio:P0}")} | {r.Target} | {(r.Met(r.Median, r.LimitMedian) ? "yes" : "**no**")} |"));
        b.AppendLine().AppendLine("Ratios are ours ÷ ceiling (for #8 and #9, a time: lower is better). #9 folds one edit into every read model and computes the timeline's change set, at three conversation sizes in one run. #1 (`MartenEventLog.ImportAsync`: binary COPY "
            + "into Marten's tables in chunks of 50,000), #1g and #2 write the inline projection's conversation and message rows in the same "
            + "transactions as the events; the COPY ceiling writes the events only. #2's server runs in its own process (the CLI's "
            + "`server --in-memory`); its latency is the client's `stringee.client.receive.duration` histogram, from a frame's arrival "
            + "to its events being durable (the feed emits them then); send→emit, which also holds the sender and the server, is given beside it. #8's checkpoints are kept by one fold (its time is in the row) and the figure is the question asked afterwards. "
            + "#4's and #3's ceilings keep the same facts as the two read models (`bench/MutableReadModels.cs`: every version, unread seqs, each participant's reads, the last message); #5's ceiling applies each event to both models in turn, as the feed does. "
            + "Allocations (#4, #5) are counted on the warm-up run. Not measured: the naive replay path (AggregateStreamAsync). "
            + "#6 runs once per run (not repeated), its server in its own process as #2's; its p99 is measured at half the sustained rate it found, from each message's scheduled send time.");
        return b.ToString();
    }
}
