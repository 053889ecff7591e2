using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain.Compliance;
using Npgsql;

namespace EventSourced.Adapters.Storage.Erasure;

/// <summary>
/// Crypto-shredding of stored events. Before an append, every personal value (<see cref="Personal"/>) of the event's
/// JSON is replaced by a sealed token, AES-256-GCM under its subject's key (<see cref="SubjectKeys"/>), bound to the key
/// id and the value's kind (where the token sits is what the hash chain proves); the raw packet bytes of an event or packet
/// with any personal value are sealed as a whole under a key derived (HKDF-SHA256) from the keys of every subject in
/// them, so erasing any one of them makes the raw bytes unreadable. Message rows seal their content versions the same
/// way (<see cref="SealAsync(NpgsqlConnection, IReadOnlyList{ValueTuple{string, byte[], char}}, CancellationToken)"/>).
/// The hash chain and the Merkle tree are over what is stored, the sealed form: an erasure destroys a key and changes no
/// stored event, so <c>verify</c> passes before and after. On a read the tokens are opened with the keys that still
/// exist; a value whose key was erased reads <see cref="Personal.Placeholder"/> (an object reads
/// <c>{"content":"[erased]"}</c>), erased raw bytes read as none, and a token that does not open under a live key (altered)
/// reads <c>[unreadable]</c>.
/// </summary>
public sealed class Sealer(Func<string, Option<string>> custodian, Sealer.SenderLookup? senders = null)
{
    /// <summary>Who sent these messages, as far as the log knows (by recording stream, conversation and message id), read on the append's connection.</summary>
    public delegate Task<Dictionary<(string Stream, string ConvId, string MsgId), string>> SenderLookup(
        NpgsqlConnection conn, IReadOnlyCollection<(string Stream, string ConvId, string MsgId)> messages, CancellationToken ct);

    static readonly byte[] RawMarker = [0x01, (byte)'E', (byte)'S', (byte)'R', (byte)'1'];
    const string JsonMarker = "\\u0001sealed:";
    const int NonceSize = 12, TagSize = 16;

    /// <summary>Seals the personal values of the records (in place), with keys made or read on the caller's connection.</summary>
    public async Task SealAsync(NpgsqlConnection conn, IReadOnlyList<(string Stream, StoredRecord Record)> items, CancellationToken ct)
    {
        var found = new (Json Json, Seq<PersonalField> Fields, Seq<string> RawSubjects)?[items.Count];
        var subjects = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        var sent = new Dictionary<(string, string), string>();
        var unknown = new System.Collections.Generic.HashSet<(string Stream, string ConvId, string MsgId)>();
        // Each record's walk (and its raw packet's) is its own: on every core for a large append (an import chunk).
        Each(items.Count, i =>
        {
            var (stream, record) = items[i];
            var json = record.Body ?? (Json)Json.Parse(record.DataUtf8).IfLeft(reason => throw new InvalidDataException($"an event to append is not JSON: {reason}"));
            var fields = Personal.Find(json, custodian(stream));
            // The raw packet is the event's own packet: its bytes are sealed under the keys of the event's subjects. A packet can
            // hold more than its event keeps (a server event records who and what, its request the rest): where the event holds
            // nothing personal, the packet's own values decide, owned by whom the event names where the packet names no one.
            var rawSubjects = !fields.IsEmpty || record.Raw.Length == 0 || !MayBePersonal(record.Raw) ? Seq<string>()
                : Json.Parse(record.Raw).Match(raw => Personal.Find(raw, custodian(stream) | Personal.OwnerOf(json)).Map(f => f.Subject).Strict(), _ => Seq<string>());
            if (fields.IsEmpty && rawSubjects.IsEmpty) return;
            found[i] = (json, fields, rawSubjects);
        });
        // Who sent what, from this append, only when an edit here needs it: each record's walk on the cores, merged in order
        // (a later record's word on a message wins, as it would folded in turn).
        if (found.Any(f => f is { } x && x.Fields.Exists(y => y.SenderOf.IsSome)))
        {
            var walked = new Seq<(string ConvId, string MsgId, string Sender)>[items.Count];
            Each(items.Count, i =>
            {
                if (found[i] is var (json, _, _)) walked[i] = Personal.Senders(json);
            });
            for (var i = 0; i < items.Count; i++)
            {
                if (found[i] is not var (_, fields, _)) continue;
                foreach (var (conv, msg, sender) in walked[i]) sent[(conv, msg)] = sender;
                foreach (var f in fields)
                    foreach (var (conv, msg) in f.SenderOf) unknown.Add((items[i].Stream, conv, msg));
            }
        }
        // An edit that does not say whose message it edits is its sender's: from this append, else from what the log knows, else the custodian's.
        unknown.RemoveWhere(m => sent.ContainsKey((m.ConvId, m.MsgId)));
        var known = unknown.Count > 0 && senders is not null ? await senders(conn, unknown, ct).ConfigureAwait(false) : [];
        for (var i = 0; i < items.Count; i++)
        {
            if (found[i] is not var (json, fields, rawSubjects)) continue;
            var stream = items[i].Stream;
            fields = fields.Map(f => f.SenderOf.Match(
                m => f with { Subject = sent.TryGetValue(m, out var s) ? s : known.TryGetValue((stream, m.ConvId, m.MsgId), out var k) ? k : f.Subject },
                () => f)).Strict();
            found[i] = (json, fields, rawSubjects);
            foreach (var f in fields) subjects.Add(f.Subject);
            foreach (var r in rawSubjects) subjects.Add(r);
        }
        if (subjects.Count == 0) return;
        var keys = await SubjectKeys.ForAsync(conn, subjects, ct).ConfigureAwait(false);
        Each(items.Count, () => new Ciphers(), (i, ciphers) =>
        {
            if (found[i] is not var (json, fields, rawSubjects)) return;
            var record = items[i].Record;
            if (!fields.IsEmpty)
            {
                foreach (var f in fields)
                {
                    var value = (Json)Personal.At(json, f.Path);
                    var kind = Personal.KindOf(value);
                    json = Personal.SetAt(json, f.Path, Personal.Stored(SealValue(ciphers, keys[f.Subject], ciphers.Utf8(value), kind), kind));
                }
                record.Body = json;
            }
            if (record.Raw.Length > 0) record.Raw = SealRaw(ciphers, RawKeys(fields, rawSubjects, keys), record.Raw);
        });
    }

    // Work on every record of an append: in order for a small one (a group commit), spread over the cores for a large one.
    const int Spread = 2_048;

    static void Each(int count, Action<int> body)
    {
        if (count < Spread) for (var i = 0; i < count; i++) body(i);
        else Parallel.For(0, count, body);
    }

    static void Each(int count, Func<Ciphers> make, Action<int, Ciphers> body)
    {
        if (count < Spread)
        {
            using var ciphers = make();
            for (var i = 0; i < count; i++) body(i, ciphers);
            return;
        }
        Parallel.For(0, count, make, (i, _, ciphers) =>
        {
            body(i, ciphers);
            return ciphers;
        }, ciphers => ciphers.Dispose());
    }

    // Values up to this size are sealed on the stack; larger ones in rented buffers (the token is the only allocation).
    const int OnStack = 1_024;

    // plain: the value's JSON text; kind: its kind (what an erasure leaves in its place).
    static string SealValue(Ciphers ciphers, SubjectKeys.Key key, ReadOnlySpan<byte> plain, char kind)
    {
        var size = NonceSize + TagSize + plain.Length;
        var rented = size > OnStack ? System.Buffers.ArrayPool<byte>.Shared.Rent(size) : null;
        var blob = rented is null ? stackalloc byte[size] : rented.AsSpan(0, size);
        try
        {
            var nonce = blob[..NonceSize];
            RandomNumberGenerator.Fill(nonce);
            ciphers.Value(key.Id, key.Bytes).Encrypt(nonce, plain, blob[(NonceSize + TagSize)..], blob.Slice(NonceSize, TagSize), ciphers.Aad(key.Id, kind));
            // A keyed digest beside the ciphertext: equal values of one subject compare equal in SQL (two recordings of one
            // edit are one edit) without revealing them; once the key is gone it links to nothing.
            Span<byte> mac = stackalloc byte[32];
            ciphers.Mac(key.Id, key.Bytes, plain, mac);
            Span<char> same = stackalloc char[24];
            Convert.TryToHexStringLower(mac[..12], same, out _);
            // The token: prefix, version, key id, kind, digest, then the blob in base64.
            var length = SubjectKeys.TokenPrefix.Length + 64 + (size + 2) / 3 * 4;
            var chars = System.Buffers.ArrayPool<char>.Shared.Rent(length);
            try
            {
                chars.AsSpan().TryWrite(System.Globalization.CultureInfo.InvariantCulture, $"{SubjectKeys.TokenPrefix}v1:{key.Id}:{kind}:{same}:", out var head);
                Convert.TryToBase64Chars(blob, chars.AsSpan(head), out var body);
                return new string(chars, 0, head + body);
            }
            finally
            {
                System.Buffers.ArrayPool<char>.Shared.Return(chars);
            }
        }
        finally
        {
            if (rented is not null) System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }
    }

    // The keys a raw packet is sealed under: every subject's of the event and of the packet, once each, by key id.
    static SubjectKeys.Key[] RawKeys(Seq<PersonalField> fields, Seq<string> rawSubjects, IReadOnlyDictionary<string, SubjectKeys.Key> keys)
    {
        var chosen = new List<SubjectKeys.Key>(2);
        void Add(string subject)
        {
            var key = keys[subject];
            if (!chosen.Exists(k => k.Id == key.Id)) chosen.Add(key);
        }
        foreach (var f in fields) Add(f.Subject);
        foreach (var r in rawSubjects) Add(r);
        chosen.Sort((a, b) => a.Id.CompareTo(b.Id));
        return chosen.ToArray();
    }

    static byte[] Aad(long keyId, char kind) => Encoding.UTF8.GetBytes($"stringee-es value v1\n{keyId}\n{kind}");

    static byte[] RawKey(IEnumerable<byte[]> keys) =>
        HKDF.DeriveKey(HashAlgorithmName.SHA256, keys.SelectMany(k => k).ToArray(), 32, info: Encoding.ASCII.GetBytes("stringee-es raw v1"));

    static byte[] SealRaw(Ciphers ciphers, SubjectKeys.Key[] keys, byte[] raw)
    {
        var header = RawMarker.Length + 2 + 8 * keys.Length;
        var blob = new byte[header + NonceSize + TagSize + raw.Length];
        RawMarker.CopyTo(blob, 0);
        BinaryPrimitives.WriteUInt16BigEndian(blob.AsSpan(RawMarker.Length), (ushort)keys.Length);
        for (var i = 0; i < keys.Length; i++) BinaryPrimitives.WriteInt64BigEndian(blob.AsSpan(RawMarker.Length + 2 + 8 * i), keys[i].Id);
        RandomNumberGenerator.Fill(blob.AsSpan(header, NonceSize));
        ciphers.Raw(keys.Select(k => k.Id).ToArray(), () => keys.Select(k => k.Bytes).ToArray())
            .Encrypt(blob.AsSpan(header, NonceSize), raw, blob.AsSpan(header + NonceSize + TagSize), blob.AsSpan(header + NonceSize, TagSize), blob.AsSpan(0, header));
        return blob;
    }

    // The AES-GCM instances of one append or one page, by key id (and by the set of key ids for raw bytes): a key schedule is
    // made once per key there, not once per value.
    sealed class Ciphers : IDisposable
    {
        readonly Dictionary<long, AesGcm> values = new();
        readonly Dictionary<string, AesGcm> raws = new(StringComparer.Ordinal);

        readonly Dictionary<long, IncrementalHash> macs = new();
        readonly Dictionary<(long, char), byte[]> aads = new();
        readonly System.Buffers.ArrayBufferWriter<byte> text = new(256);

        public AesGcm Value(long id, byte[] key) => values.TryGetValue(id, out var c) ? c : values[id] = new AesGcm(key, TagSize);

        // HMAC-SHA256 of the value under its subject's key, into mac: one keyed state per key, reset by each digest.
        public void Mac(long id, byte[] key, ReadOnlySpan<byte> value, Span<byte> mac)
        {
            if (!macs.TryGetValue(id, out var h)) macs[id] = h = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, key);
            h.AppendData(value);
            h.GetHashAndReset(mac);
        }

        public byte[] Aad(long id, char kind) => aads.TryGetValue((id, kind), out var a) ? a : aads[(id, kind)] = Sealer.Aad(id, kind);

        // A value's JSON text, in this instance's buffer: valid until the next call.
        public ReadOnlySpan<byte> Utf8(Json value)
        {
            text.ResetWrittenCount();
            value.WriteUtf8(text);
            return text.WrittenSpan;
        }

        public AesGcm Raw(long[] ids, Func<byte[][]> keys)
        {
            var name = ids.Length == 1 ? ids[0].ToString(System.Globalization.CultureInfo.InvariantCulture) : string.Join(',', ids);
            return raws.TryGetValue(name, out var c) ? c : raws[name] = new AesGcm(RawKey(keys()), TagSize);
        }

        public void Dispose()
        {
            foreach (var c in values.Values.Concat(raws.Values)) c.Dispose();
            foreach (var h in macs.Values) h.Dispose();
        }
    }

    // Personal key names as they appear in a packet's bytes: a packet with none of them needs no parsing to know it names no one.
    static readonly byte[][] PersonalNameBytes = Personal.Keys.Select(k => Encoding.UTF8.GetBytes($"\"{k}\"")).ToArray();

    static bool MayBePersonal(byte[] raw) => PersonalNameBytes.Any(n => raw.AsSpan().IndexOf(n) >= 0);

    /// <summary>Whether a stored record holds anything sealed (a cheap test before any parsing).</summary>
    public static bool IsSealed(StoredRecord r) =>
        r.Raw.AsSpan().StartsWith(RawMarker) || (r.Body is { } body ? HoldsToken(body) : r.Data.Contains(JsonMarker, StringComparison.Ordinal));

    // Any string holding the marker (what the text test finds, without writing the text): a walk, no allocation.
    static bool HoldsToken(Json json)
    {
        switch (json)
        {
            case Json.Str s: return s.Value.Contains(SubjectKeys.TokenPrefix, StringComparison.Ordinal);
            case Json.Arr a:
                foreach (var item in a.Items) if (HoldsToken(item)) return true;
                return false;
            case Json.Obj o:
                foreach (var (key, value) in o.Fields) if (key.Contains(SubjectKeys.TokenPrefix, StringComparison.Ordinal) || HoldsToken(value)) return true;
                return false;
            default: return false;
        }
    }

    /// <summary>Keys already read during one read (a replay, a page): id to bytes, or null where erased.</summary>
    public sealed class KeyCache
    {
        internal readonly Dictionary<long, byte[]?> Known = new();
    }

    /// <summary>Opens the sealed values of the records (in place) with the keys that still exist, read on the caller's connection.</summary>
    public async Task UnsealAsync(NpgsqlConnection conn, IReadOnlyList<(string Stream, StoredRecord Record)> items, KeyCache cache, CancellationToken ct)
    {
        var work = new List<(StoredRecord Record, Json Json, List<(PersonalField Field, Token Token)> Tokens, Option<long[]> RawKeys)>();
        var wanted = new System.Collections.Generic.HashSet<long>();
        foreach (var (stream, record) in items)
        {
            if (!IsSealed(record)) continue;
            var json = record.Body ?? (Json)Json.Parse(record.DataUtf8).IfLeft(reason => throw new InvalidDataException($"a stored event is not JSON: {reason}"));
            // A plain loop: replay opens every stored event, and a lazy Seq pipeline here allocated several times what the
            // tokens themselves take.
            var fields = Personal.Find(json, custodian(stream));
            var tokens = new List<(PersonalField Field, Token Token)>(fields.Count);
            foreach (var f in fields)
                foreach (var t in Personal.At(json, f.Path).Bind(TokenIn)) tokens.Add((f, t));
            var rawKeys = RawKeyIds(record.Raw);
            work.Add((record, json, tokens, rawKeys));
            foreach (var (_, t) in tokens) wanted.Add(t.KeyId);
            foreach (var ids in rawKeys) wanted.UnionWith(ids);
        }
        if (work.Count == 0) return;
        await LoadAsync(conn, cache, wanted, ct).ConfigureAwait(false);
        using var ciphers = new Ciphers();
        foreach (var (record, original, tokens, rawKeys) in work)
        {
            var json = original;
            foreach (var (field, token) in tokens)
                json = Personal.SetAt(json, field.Path, Open(ciphers, cache.Known.GetValueOrDefault(token.KeyId), token));
            // The opened event is handed to the decoder as it is (Data keeps the stored text: this record is a read's, not stored again).
            record.Opened = json;
            foreach (var ids in rawKeys)
            {
                var bytes = ids.Select(id => cache.Known.GetValueOrDefault(id)).ToArray();
                record.Raw = bytes.Any(b => b is null) ? [] : OpenRaw(ciphers, ids, bytes!, record.Raw);
            }
        }
    }

    /// <summary>A sealed value, taken apart.</summary>
    public sealed record Token(long KeyId, char Kind, byte[] Blob)
    {
        /// <summary>The token in a string, if it is one.</summary>
        // Read in place: replay takes apart every sealed value it meets, and copying the text (a substring, its parts, an
        // oversized buffer) cost several times the ciphertext per value. Only the ciphertext is allocated, at its exact size.
        public static Option<Token> Parse(string s)
        {
            if (!s.StartsWith(SubjectKeys.TokenPrefix, StringComparison.Ordinal)) return None;
            var rest = s.AsSpan(SubjectKeys.TokenPrefix.Length);
            Span<Range> parts = stackalloc Range[6];
            if (rest.Split(parts, ':') != 5) return None;
            ReadOnlySpan<char> version = rest[parts[0]], keyId = rest[parts[1]], kind = rest[parts[2]], blobText = rest[parts[4]];
            if (!version.SequenceEqual("v1") || kind.Length != 1
                || !long.TryParse(keyId, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)) return None;
            var padding = blobText.EndsWith("==") ? 2 : blobText.EndsWith("=") ? 1 : 0;
            var length = blobText.Length % 4 == 0 ? blobText.Length / 4 * 3 - padding : 0;
            if (length < NonceSize + TagSize) return None;
            var blob = new byte[length];
            return Convert.TryFromBase64Chars(blobText, blob, out var n) && n == length ? new Token(id, kind[0], blob) : None;
        }
    }

    // The plaintext value, or the erased placeholder of its kind; a value that does not open under a live key was altered
    // (verify names the event): it reads as unreadable rather than stopping the read.
    static Json Open(Ciphers ciphers, byte[]? key, Token t)
    {
        if (key is null) return Personal.Erased(t.Kind);
        var plain = new byte[t.Blob.Length - NonceSize - TagSize];
        try
        {
            ciphers.Value(t.KeyId, key).Decrypt(t.Blob.AsSpan(0, NonceSize), t.Blob.AsSpan(NonceSize + TagSize), t.Blob.AsSpan(NonceSize, TagSize), plain, Aad(t.KeyId, t.Kind));
        }
        catch (AuthenticationTagMismatchException)
        {
            return t.Kind == 'o' ? Json.Object(("content", "[unreadable]")) : new Json.Str("[unreadable]");
        }
        return Json.Parse(plain).IfLeft(_ => new Json.Str("[unreadable]"));
    }

    static Option<long[]> RawKeyIds(byte[] raw)
    {
        if (!raw.AsSpan().StartsWith(RawMarker) || raw.Length < RawMarker.Length + 2) return None;
        int count = BinaryPrimitives.ReadUInt16BigEndian(raw.AsSpan(RawMarker.Length));
        if (raw.Length < RawMarker.Length + 2 + 8 * count + NonceSize + TagSize) return None;
        return Enumerable.Range(0, count).Select(i => BinaryPrimitives.ReadInt64BigEndian(raw.AsSpan(RawMarker.Length + 2 + 8 * i))).ToArray();
    }

    static byte[] OpenRaw(Ciphers ciphers, long[] ids, byte[][] keys, byte[] blob)
    {
        var header = RawMarker.Length + 2 + 8 * ids.Length;
        var plain = new byte[blob.Length - header - NonceSize - TagSize];
        try
        {
            ciphers.Raw(ids, () => keys).Decrypt(blob.AsSpan(header, NonceSize), blob.AsSpan(header + NonceSize + TagSize), blob.AsSpan(header + NonceSize, TagSize), plain, blob.AsSpan(0, header));
            return plain;
        }
        catch (AuthenticationTagMismatchException)
        {
            return [];
        }
    }

    /// <summary>
    /// Seals values outside an event (a message row's content versions): each value's JSON text under its subject's key (made or
    /// read on the caller's connection), with the kind an erasure leaves in its place; the tokens, in order.
    /// </summary>
    public static async Task<string[]> SealAsync(NpgsqlConnection conn, IReadOnlyList<(string Subject, byte[] Json, char Kind)> values, CancellationToken ct)
    {
        var keys = await SubjectKeys.ForAsync(conn, values.Select(v => v.Subject).ToHashSet(StringComparer.Ordinal), ct).ConfigureAwait(false);
        var tokens = new string[values.Count];
        Each(values.Count, () => new Ciphers(), (i, ciphers) => tokens[i] = SealValue(ciphers, keys[values[i].Subject], values[i].Json, values[i].Kind));
        return tokens;
    }

    /// <summary>A value sealed by <see cref="SealAsync(NpgsqlConnection, IReadOnlyList{ValueTuple{string, byte[], char}}, CancellationToken)"/> (a JSON string holding a token), opened; anything else is returned as it is.</summary>
    public static string OpenText(string jsonText, KeyCache keys)
    {
        if (!jsonText.Contains(JsonMarker, StringComparison.Ordinal)) return jsonText;
        using var ciphers = new Ciphers();
        return Json.Parse(jsonText).ToOption().Bind(TokenIn).Map(t => Open(ciphers, keys.Known.GetValueOrDefault(t.KeyId), t).ToJsonString()).IfNone(jsonText);
    }

    /// <summary>The key id a sealed value (a JSON string holding a token) is under, if it is one.</summary>
    public static Option<long> KeyIdOf(string jsonText) =>
        jsonText.Contains(JsonMarker, StringComparison.Ordinal) ? Json.Parse(jsonText).ToOption().Bind(TokenIn).Map(t => t.KeyId) : None;

    /// <summary>Reads into the cache the keys of these ids it does not hold yet.</summary>
    public static async Task LoadAsync(NpgsqlConnection conn, KeyCache cache, IEnumerable<long> ids, CancellationToken ct)
    {
        var wanted = ids.Where(id => !cache.Known.ContainsKey(id)).ToHashSet();
        if (wanted.Count == 0) return;
        foreach (var (id, key) in await SubjectKeys.ByIdAsync(conn, wanted, ct).ConfigureAwait(false)) cache.Known[id] = key;
    }

    static Option<Token> TokenIn(Json stored) => Personal.TokenOf(stored, SubjectKeys.TokenPrefix).Bind(Token.Parse);
}
