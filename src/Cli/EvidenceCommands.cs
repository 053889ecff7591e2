using System.Globalization;
using System.Text;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Evidence;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using LanguageExt;
using Spectre.Console;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>verify, tree-head and the evidence export: what proves the record complete and unaltered.</summary>
public static class EvidenceCommands
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    static int Fail(string message) => Tools.Fail(message);

    /// <summary>
    /// <c>migrate</c>: every log's events stored as JSON text become jsonb objects where that keeps their leaf exactly (as the
    /// database owner); says how many moved and how many stay text; rows written before row ids were encoded are written again.
    /// Running it again moves nothing more. Exit 0, or 2 when the
    /// database cannot be opened.
    /// </summary>
    public static async Task<int> MigrateAsync(string? pg, string? data, bool json, CancellationToken ct)
    {
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail($"migrate: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        var results = await db.MigrateStorageAsync(ct: ct);
        if (json)
            return Tools.WriteJson(w =>
            {
                w.WriteStartArray("logs");
                foreach (var (log, result) in results)
                {
                    w.WriteStartObject();
                    w.WriteString("log", log);
                    w.WriteNumber("converted", result.Converted);
                    w.WriteNumber("keptAsText", result.KeptAsText);
                    w.WriteNumber("rowsDeleted", result.RowsDeleted);
                    w.WriteNumber("usersRewritten", result.UsersRewritten);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
            });
        foreach (var (log, result) in results)
            Console.WriteLine($"{log}: {result.Converted} event(s) now stored as jsonb objects, {result.KeptAsText} kept as text (jsonb cannot hold them as they are)");
        foreach (var (log, result) in results.Where(r => r.Result.RowsDeleted > 0))
            Console.WriteLine($"{log}: {result.RowsDeleted} row(s) written before row ids were encoded deleted, the rows of {result.UsersRewritten} user(s) written again from their events");
        return 0;
    }

    /// <summary>
    /// <c>verify</c>: recomputes the evidence of the whole log (client and server logs), of one conversation's recordings or of one
    /// user's; or checks an evidence file without any database (<paramref name="proof"/>). Exit 0 verified, 1 a finding, 2 bad input.
    /// </summary>
    public static async Task<int> VerifyAsync(string? pg, string? data, string? convId, string? user, bool coverage, string? proof, string? publicKey, CancellationToken ct,
        bool json = false)
    {
        if (convId is not null && user is not null) return Fail("verify takes --conversation ID or --user U, not both");
        if (json && (coverage || proof is not null)) return Fail("verify --output json reports the log's checks; --coverage and --proof print text only");
        if (proof is not null) return await VerifyFileAsync(proof, publicKey, ct);
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail($"verify: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        VerifyScope scope = convId is not null ? new VerifyScope.Conversation(convId) : user is not null ? new VerifyScope.User(user) : new VerifyScope.All();
        await using var clientLog = await db.ClientLogAsync(ct);
        if (scope is not VerifyScope.All && !await Verifier.HoldsAsync(db.ConnectionString, "client_log", scope, ct))
            return Fail(convId is not null ? $"verify: conversation {convId} is not in the log" : $"verify: user {user} has no recording in the log");
        var results = new List<Verification>
        {
            await Tools.WithProgressAsync(!json, "verifying the client log", clientLog.LastPosition, bar => clientLog.VerifyAsync(scope, bar, ct)),
        };
        var unrecorded = Seq<long>();
        if (scope is VerifyScope.All)
        {
            await using var serverLog = await db.ServerLogAsync(ct);
            results.Add(await Tools.WithProgressAsync(!json, "verifying the server's log", serverLog.LastPosition, bar => serverLog.VerifyAsync(scope, bar, ct)));
            await using var complianceLog = await db.ComplianceLogAsync(ct);
            results.Add(await Tools.WithProgressAsync(!json, "verifying the compliance log", complianceLog.LastPosition, bar => complianceLog.VerifyAsync(scope, bar, ct)));
            // A purge is legitimate only when the (signed, chained) compliance log records it.
            var compliance = new List<EventSourced.Domain.Compliance.ComplianceRecorded>();
            await foreach (var r in complianceLog.ReadAllAsync(1, ct)) compliance.Add(r);
            unrecorded = await Purger.UnrecordedAsync(db.ConnectionString, "client_log", ComplianceCommands.PurgedRanges(compliance, "client_log"), ct);
        }
        if (json)
        {
            var verified = results.TrueForAll(v => v.Ok) && unrecorded.IsEmpty;
            Tools.WriteJson(w =>
            {
                w.WriteBoolean("verified", verified);
                w.WriteStartArray("logs");
                foreach (var v in results)
                {
                    w.WriteStartObject();
                    w.WriteString("log", v.Log);
                    w.WriteNumber("leaves", v.Leaves);
                    w.WriteNumber("checked", v.Checked);
                    w.WriteNumber("purged", v.Purged);
                    w.WriteNumber("signedTreeHeads", v.Heads.Count);
                    w.WriteNumber("unsigned", v.Unsigned);
                    foreach (var h in v.Heads.OrderBy(h => h.Size).LastOrNone())
                    {
                        w.WriteStartObject("latestTreeHead");
                        w.WriteNumber("size", h.Size);
                        w.WriteString("root", Convert.ToHexStringLower(h.Root));
                        w.WriteString("signedAt", DateTimeOffset.FromUnixTimeMilliseconds(h.SignedAt).ToString("O", Inv));
                        w.WriteString("keyId", h.KeyId);
                        w.WriteString("algorithm", h.Algorithm);
                        w.WriteEndObject();
                    }
                    w.WritePropertyName("findings");
                    Tools.WriteValue(w, v.Findings.ToArray());
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteStartArray("purgedWithoutRecord");
                foreach (var p in unrecorded) w.WriteNumberValue(p);
                w.WriteEndArray();
            });
            return verified ? 0 : 1;
        }
        foreach (var v in results)
        {
            var latest = v.Heads.OrderBy(h => h.Size).LastOrNone();
            Console.WriteLine(Terminal.Plain(string.Create(Inv,
                $"{v.Log}: {v.Leaves} events in the tree, {v.Checked} recomputed from their rows{(v.Purged > 0 ? $", {v.Purged} purged (their hashes kept)" : "")}, {v.Heads.Count} signed tree heads")));
            foreach (var h in latest)
                Console.WriteLine(string.Create(Inv, $"  latest tree head: size {h.Size}, root {Convert.ToHexStringLower(h.Root)}, signed {DateTimeOffset.FromUnixTimeMilliseconds(h.SignedAt):u}, key {h.KeyId} ({h.Algorithm})"));
            if (v.Unsigned > 0) Console.WriteLine(string.Create(Inv, $"  {v.Unsigned} events after the latest tree head are chained but not yet signed (stringee-es tree-head signs one now)"));
            foreach (var f in v.Findings)
                Console.WriteLine(Terminal.Plain(string.Create(Inv, $"  {f.Kind.ToUpperInvariant()}: {f.Detail}")));
        }
        if (coverage)
        {
            var log = new List<Recorded>();
            await foreach (var r in clientLog.ReadAllAsync(1, ct)) log.Add(r);
            PrintCoverage(log, convId, user);
        }
        foreach (var p in unrecorded.Take(5))
            Console.WriteLine(string.Create(Inv, $"  REMOVED: client_log position {p} is marked purged, but no purge in the compliance log names it"));
        var failed = results.Where(v => !v.Ok).ToList();
        if (failed.Count == 0 && !unrecorded.IsEmpty)
        {
            Console.WriteLine(string.Create(Inv, $"verify FAILED: first finding in client_log: removed at position {unrecorded.Head} (marked purged without a recorded purge)"));
            return 1;
        }
        if (failed.Count == 0)
        {
            Console.WriteLine("verified: every event matches what was recorded, every chain and every signed tree head holds");
            return 0;
        }
        var first = failed.Select(v => (v.Log, F: (Finding)v.First)).First();
        Console.WriteLine(Terminal.Plain(string.Create(Inv, $"verify FAILED: first finding in {first.Log}: {first.F.Kind} at position {first.F.Position}{(first.F.Stream.Length > 0 ? $" ({first.F.Stream} v{first.F.Version})" : "")}")));
        return 1;
    }

    static void PrintCoverage(List<Recorded> log, string? convId, string? user)
    {
        var certificate = Completeness.Of(log);
        foreach (var conv in certificate.Filter(c => (convId is null || c.ConvId == convId) && (user is null || c.User == user)).GroupBy(c => c.ConvId, StringComparer.Ordinal))
        {
            foreach (var c in conv)
                Console.WriteLine(Terminal.Plain(string.Create(Inv,
                    $"coverage {c.ConvId} recorded by {c.User}: holds {Ranges(c.Held)}; known up to seq {c.KnownLast}; {(c.Gaps.IsEmpty ? "no gap" : string.Join("; ", c.Gaps.Map(g => $"gap {g.From}-{g.To}: {g.Fate}")))}")));
            if (user is not null) continue;
            var (held, known, missing) = Completeness.Together(certificate.Filter(c => c.ConvId == conv.Key));
            Console.WriteLine(Terminal.Plain(string.Create(Inv,
                $"coverage {conv.Key} from every recording: holds {Ranges(held)} of {known}; {(missing.IsEmpty ? "nothing missing" : $"held by no recording: {Ranges(missing)}")}")));
        }
    }

    static string Ranges(Seq<Coverage.Range> ranges) => ranges.IsEmpty ? "nothing" : string.Join(", ", ranges.Map(r => r.From == r.To ? $"{r.From}" : $"{r.From}-{r.To}"));

    static async Task<int> VerifyFileAsync(string file, string? publicKey, CancellationToken ct)
    {
        if (!File.Exists(file)) return Fail($"verify: {file} does not exist");
        if (publicKey is not null && !File.Exists(publicKey)) return Fail($"verify: {publicKey} does not exist");
        var text = await File.ReadAllTextAsync(file, ct);
        var key = publicKey is null ? None : Some(await File.ReadAllTextAsync(publicKey, ct));
        // An HMAC head can only be checked with the secret: the configured key, if there is one (never made here).
        var named = Environment.GetEnvironmentVariable(TreeHeadSigner.KeyVariable);
        var path = string.IsNullOrWhiteSpace(named) ? TreeHeadSigner.DefaultPath : named;
        var signer = File.Exists(path) ? TreeHeadSigner.Load(path).ToOption() : None;
        var check = ProofFile.Verify(text, key, signer);
        foreach (var line in check.Lines) Console.WriteLine(Terminal.Plain(line));
        Console.WriteLine(check.Ok ? $"verified: {Terminal.Plain(file)}" : $"verify FAILED: {Terminal.Plain(file)}");
        return check.Ok ? 0 : 1;
    }

    /// <summary><c>tree-head</c>: signs a tree head of each log now and prints it; with a size, writes the consistency proof from that head to the new one.</summary>
    public static async Task<int> TreeHeadAsync(string? pg, string? data, long? consistencyFrom, string? outFile, CancellationToken ct)
    {
        if (consistencyFrom is < 1) return Fail("tree-head: --consistency-from is the size of an earlier tree head (1 or more)");
        if (outFile is not null && Tools.MissingFolder(outFile).Case is string dir) return Fail($"tree-head: the folder {dir} does not exist");
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct);
        if (opened.IsFail) return Fail($"tree-head: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        await using var clientLog = await db.ClientLogAsync(ct);
        await using var serverLog = await db.ServerLogAsync(ct);
        foreach (var head in new[] { await clientLog.SignTreeHeadAsync(ct), await serverLog.SignTreeHeadAsync(ct) })
            Console.WriteLine(ProofFile.Head(head).ToJsonString());
        foreach (var k in db.Signer.PublicKeyPem) Console.Write(k);
        if (consistencyFrom is not { } from) return 0;
        var proof = await Proofs.ConsistencyAsync(clientLog, from, ct);
        if (proof.IsFail) return Fail($"tree-head: {proof.Match(_ => "", e => e.Message)}");
        var (a, b, path) = ((TreeHead, TreeHead, IReadOnlyList<byte[]>))proof;
        var json = ProofFile.Consistency(a, b, path, db.Signer.PublicKeyPem).ToJsonString();
        if (outFile is null) Console.WriteLine(json);
        else
        {
            await File.WriteAllTextAsync(outFile, json, new UTF8Encoding(false), ct);
            Console.WriteLine(Terminal.Plain($"wrote the consistency proof from size {a.Size} to {b.Size} to {outFile}"));
        }
        return 0;
    }

    /// <summary>
    /// The evidence export: the merged transcript of the conversations, each message with every recording of it (the recorded
    /// entry and its inclusion proof), the tree head they are proven in, the signer's public key and the coverage certificate.
    /// </summary>
    public static async Task<Fin<(Json.Obj Document, Transcript.Counts Counts)>> EvidenceAsync(MartenClientLog log, List<Recorded> records, Func<string, bool> conversations,
        CancellationToken ct)
    {
        var merged = Transcript.OfLog(records);
        var convs = merged.Conversations.Filter(conversations);
        var messages = convs.Map(c => (Conv: c, Messages: Transcript.Messages(merged, c))).ToList();
        var (head, proofs) = await Proofs.InclusionAsync(log, messages.SelectMany(c => c.Messages.Bind(m => m.SeenBy.Map(w => w.Position))), ct);
        var coverage = Completeness.Of(records);
        Json Message(Transcript.Message m) => Json.Object(("seq", m.Seq), ("id", m.MsgId), ("type", (long)m.Type), ("from", m.Sender), ("created", m.Created),
            ("text", m.Revoked ? "" : Audit.Describe(m.Type, m.Content)), ("versions", new Json.Arr(m.Versions.Map(v => (Json)v))), ("revoked", m.Revoked),
            ("disputed", m.Disputed),
            ("evidence", new Json.Arr(m.SeenBy.Choose(w => proofs.TryGetValue(w.Position, out var p) ? Some((Json)ProofFile.Inclusion(w.User, p)) : None))));
        var doc = Json.Object(("format", ProofFile.TranscriptFormat), ("treeHead", ProofFile.Head(head)),
            ("publicKey", log.Ledger.Signer.PublicKeyPem.Match(k => (Json)k, () => Json.Null.Value)),
            ("conversations", new Json.Arr(messages.Select(c => (Json)Json.Object(("convId", c.Conv),
                ("coverage", new Json.Arr(coverage.Filter(x => x.ConvId == c.Conv).Map(x => (Json)Completeness.ToJson(x)))),
                ("coverageTogether", Completeness.TogetherJson(coverage.Filter(x => x.ConvId == c.Conv))),
                ("messages", new Json.Arr(c.Messages.Map(Message))))).ToSeq())));
        return (doc, Transcript.CountsOf(merged, conversations));
    }
}
