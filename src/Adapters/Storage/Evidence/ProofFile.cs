using EventSourced.Adapters.Storage.Marten;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Evidence;

/// <summary>
/// The evidence files <c>export</c> and <c>tree-head</c> write, and their check, which needs no database:
/// a transcript's messages with, for each client that recorded it, the recorded entry and its inclusion
/// proof in a signed tree head; or two signed tree heads and the consistency proof between them.
/// </summary>
public static class ProofFile
{
    /// <summary>The format name of a transcript's evidence.</summary>
    public const string TranscriptFormat = "stringee-es transcript evidence v1";
    /// <summary>The format name of a consistency proof.</summary>
    public const string ConsistencyFormat = "stringee-es consistency proof v1";

    static string Hex(byte[] b) => Convert.ToHexStringLower(b);

    /// <summary>A tree head as JSON.</summary>
    public static Json.Obj Head(TreeHead h) => Json.Object(("log", h.Log), ("size", h.Size), ("root", Hex(h.Root)), ("signedAt", h.SignedAt),
        ("algorithm", h.Algorithm), ("keyId", h.KeyId), ("signature", Convert.ToBase64String(h.Signature)));

    /// <summary>One event's inclusion proof as JSON.</summary>
    public static Json.Obj Inclusion(string user, Proofs.Inclusion p) => Json.Object(("user", user), ("position", p.Position), ("leafIndex", p.LeafIndex),
        ("entry", Convert.ToBase64String(p.Entry)), ("path", new Json.Arr(p.Path.Select(x => (Json)Hex(x)).ToSeq())));

    /// <summary>The consistency file.</summary>
    public static Json.Obj Consistency(TreeHead from, TreeHead to, IReadOnlyList<byte[]> proof, Option<string> publicKey) => Json.Object(
        ("format", ConsistencyFormat), ("from", Head(from)), ("to", Head(to)), ("proof", new Json.Arr(proof.Select(x => (Json)Hex(x)).ToSeq())),
        ("publicKey", publicKey.Match(k => (Json)k, () => Json.Null.Value)));

    static Option<string> Str(Json.Obj o, string key) => o[key].Bind(j => j is Json.Str s ? Some(s.Value) : None);
    static Option<long> Long(Json.Obj o, string key) => o[key].Bind(j => j is Json.Number n && n.Value == decimal.Truncate(n.Value) ? Some((long)n.Value) : None);
    static Option<byte[]> HexOf(Json j) { try { return j is Json.Str s ? Some(Convert.FromHexString(s.Value)) : None; } catch (FormatException) { return None; } }
    static Option<byte[]> B64(Json.Obj o, string key) { try { return Str(o, key).Map(Convert.FromBase64String); } catch (FormatException) { return None; } }

    static Either<string, TreeHead> ReadHead(Json.Obj o) =>
        from log in Str(o, "log").ToEither("tree head: no log")
        from size in Long(o, "size").ToEither("tree head: no size")
        from root in o["root"].Bind(HexOf).ToEither("tree head: no root")
        from at in Long(o, "signedAt").ToEither("tree head: no signedAt")
        from alg in Str(o, "algorithm").ToEither("tree head: no algorithm")
        from key in Str(o, "keyId").ToEither("tree head: no keyId")
        from sig in B64(o, "signature").ToEither("tree head: no signature")
        select new TreeHead(log, size, root, at, alg, key, sig);

    static Seq<byte[]> Path(Json.Obj o, string key) => o[key].Bind(j => j is Json.Arr a ? Some(a.Items) : None).IfNone(Seq<Json>()).Choose(HexOf);

    /// <summary>The result of checking a file: every line says what was checked; <c>Ok</c> when all held.</summary>
    public sealed record Check(bool Ok, Seq<string> Lines);

    /// <summary>
    /// Checks a file. The tree heads' signatures are checked with <paramref name="trustedPublicKey"/> when given
    /// (the key published for the log), else with the key the file carries (then the result says so: compare its id),
    /// or with <paramref name="signer"/> for an HMAC head.
    /// </summary>
    public static Check Verify(string text, Option<string> trustedPublicKey, Option<TreeHeadSigner> signer)
    {
        var lines = new List<string>();
        var ok = true;
        void Fail(string line)
        {
            ok = false;
            lines.Add("FAILED: " + line);
        }
        var parsed = Json.Parse(text);
        if (parsed.IsLeft || parsed.Case is not Json.Obj doc) return new Check(false, Seq1($"FAILED: not a JSON object: {parsed.LeftToSeq().HeadOrNone().IfNone("")}"));
        var format = Str(doc, "format").IfNone("");
        var carried = Str(doc, "publicKey");
        bool Signed(TreeHead h, string what)
        {
            var good = h.Algorithm == "hmac-sha256"
                ? signer.Match(s => s.Verify(h), () => false)
                : trustedPublicKey.Match(k => TreeHeadSigner.VerifyWithPublicKey(h, k), () => carried.Match(k => TreeHeadSigner.VerifyWithPublicKey(h, k), () => false));
            if (!good) Fail($"{what} (size {h.Size}) is not signed by {(trustedPublicKey.IsSome ? "the trusted key" : h.Algorithm == "hmac-sha256" ? "the configured HMAC key" : "the key the file carries")}");
            else lines.Add($"{what}: size {h.Size}, root {Hex(h.Root)}, signed {DateTimeOffset.FromUnixTimeMilliseconds(h.SignedAt):u} by key {h.KeyId} ({h.Algorithm})"
                + (trustedPublicKey.IsNone && h.Algorithm != "hmac-sha256" ? " - checked with the key in the file: compare this key id with the one published for the log" : ""));
            return good;
        }
        if (format == ConsistencyFormat)
        {
            var from = doc["from"].Bind(j => j is Json.Obj o ? ReadHead(o).ToOption() : None);
            var to = doc["to"].Bind(j => j is Json.Obj o ? ReadHead(o).ToOption() : None);
            if (from.IsNone || to.IsNone) return new Check(false, Seq1("FAILED: the file needs two tree heads, 'from' and 'to'"));
            var (f, t) = ((TreeHead)from, (TreeHead)to);
            Signed(f, "earlier tree head");
            Signed(t, "later tree head");
            if (f.Log != t.Log) Fail($"the heads are of two logs ({f.Log}, {t.Log})");
            else if (Merkle.VerifyConsistency(f.Size, t.Size, f.Root, t.Root, Path(doc, "proof").ToList()))
                lines.Add($"the tree of {t.Size} events extends the tree of {f.Size}: nothing recorded up to {f.Size} was changed, removed or reordered since");
            else Fail($"the consistency proof does not show that the tree of {t.Size} events extends the tree of {f.Size}");
            return new Check(ok, toSeq(lines));
        }
        if (format != TranscriptFormat) return new Check(false, Seq1($"FAILED: unknown format '{format}'"));
        var head = doc["treeHead"].Bind(j => j is Json.Obj o ? ReadHead(o).ToOption() : None);
        if (head.IsNone) return new Check(false, Seq1("FAILED: the file has no tree head"));
        var th = (TreeHead)head;
        Signed(th, "tree head");
        long messages = 0, proven = 0;
        foreach (var conv in doc["conversations"].Bind(j => j is Json.Arr a ? Some(a.Items) : None).IfNone(Seq<Json>()).Choose(j => j is Json.Obj o ? Some(o) : None))
        {
            var convId = Str(conv, "convId").IfNone("?");
            foreach (var m in conv["messages"].Bind(j => j is Json.Arr a ? Some(a.Items) : None).IfNone(Seq<Json>()).Choose(j => j is Json.Obj o ? Some(o) : None))
            {
                messages++;
                var msgId = Str(m, "id").IfNone("");
                var evidence = m["evidence"].Bind(j => j is Json.Arr a ? Some(a.Items) : None).IfNone(Seq<Json>()).Choose(j => j is Json.Obj o ? Some(o) : None);
                if (evidence.IsEmpty) Fail($"{convId} message {msgId}: no evidence");
                foreach (var e in evidence)
                {
                    var entry = B64(e, "entry").IfNone([]);
                    var index = Long(e, "leafIndex").IfNone(-1);
                    var fields = Ledger.ReadEntry(entry);
                    if (!Merkle.VerifyInclusion(index, th.Size, Merkle.LeafHash(entry), Path(e, "path").ToList(), th.Root))
                        Fail($"{convId} message {msgId}: the entry recorded by {Str(e, "user").IfNone("?")} is not in the tree head (leaf {index})");
                    else if (fields.IsNone || fields.Map(f => f.Position) != Long(e, "position") || !fields.Exists(f => f.Data.Contains(JsonText(msgId), StringComparison.Ordinal)))
                        Fail($"{convId} message {msgId}: the proven entry at position {Long(e, "position").IfNone(0)} is not a record of this message");
                    else proven++;
                }
            }
        }
        if (ok) lines.Add($"{messages} messages, {proven} recordings of them, each proven included in the tree head");
        return new Check(ok, toSeq(lines));
    }

    // The message id as it appears inside recorded JSON (quoted and escaped).
    static string JsonText(string s) => new Json.Str(s).ToJsonString();
}
