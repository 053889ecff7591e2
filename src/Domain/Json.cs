using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace EventSourced.Domain;

/// <summary>
/// An immutable JSON value with structural equality: the body of every packet.
/// Objects are keyed maps (key order carries no meaning in Stringee's protocol); the exact bytes
/// a peer sent are kept beside the value wherever byte-exactness matters.
/// </summary>
public abstract record Json
{
    private Json() { }

    /// <summary>JSON <c>null</c>.</summary>
    public sealed record Null : Json { /// <summary>The only instance.</summary>
        public static readonly Null Value = new(); }
    /// <summary>JSON <c>true</c> / <c>false</c>.</summary>
    public sealed record Bool(bool Value) : Json;
    /// <summary>A JSON number; every number the protocol uses (ids, seq, epoch ms) fits a decimal.</summary>
    public sealed record Number(decimal Value) : Json;
    /// <summary>A JSON string.</summary>
    public sealed record Str(string Value) : Json;
    /// <summary>A JSON array.</summary>
    public sealed record Arr(Seq<Json> Items) : Json;
    /// <summary>A JSON object.</summary>
    public sealed record Obj(Map<OrdStringOrdinal, string, Json> Fields) : Json
    {
        /// <summary>The empty object.</summary>
        public static readonly Obj Empty = new(Map<OrdStringOrdinal, string, Json>());
        /// <summary>The value of a field, if present.</summary>
        public Option<Json> this[string key] => Fields.Find(key);
        /// <summary>This object with one field set.</summary>
        public Obj With(string key, Json value) => new(Fields.AddOrUpdate(key, value));
        /// <summary>This object without one field.</summary>
        public Obj Without(string key) => new(Fields.Remove(key));
    }

    /// <summary>Short name of the JSON kind, for error messages.</summary>
    public string Kind => this switch
    {
        Null => "null", Bool => "boolean", Number => "number", Str => "string", Arr => "array", _ => "object",
    };

    /// <summary>Builds an object from key/value pairs (later keys win).</summary>
    public static Obj Object(params (string Key, Json Value)[] fields) => ObjectOf(new List<(string, Json)>(fields));

    /// <summary>An object of the fields in order, a later key winning over an earlier one; <paramref name="fields"/> is reused.</summary>
    // LanguageExt builds a map from a sequence in place (one node per field), where adding the fields one at a time copies a
    // path of the tree per field. Its bulk build keeps the first of equal keys, so it is handed the fields last first.
    internal static Obj ObjectOf(List<(string Key, Json Value)> fields)
    {
        if (fields.Count == 0) return Obj.Empty;
        fields.Reverse();
        return new Obj(new Map<OrdStringOrdinal, string, Json>(fields, tryAdd: true));
    }

    /// <summary>Parses UTF-8 JSON text. Never throws: malformed or too deeply nested text is a Left with the reason.</summary>
    public static Either<string, Json> Parse(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read()) return "empty JSON text";
            var value = ReadValue(ref reader);
            if (value.IsLeft) return value;
            return reader.Read() ? "trailing data after the JSON value" : value;
        }
        catch (JsonException ex)
        {
            return $"malformed JSON: {ex.Message}";
        }
        catch (InvalidOperationException ex)
        {
            return $"malformed JSON: {ex.Message}";
        }
    }

    /// <summary>
    /// Reads the value at a reader's current token (a caller's reader, positioned by its own <c>Read</c>), leaving the reader on
    /// the value's last token: a JSON value inside a larger document, read in the same pass. A number beyond a decimal is a
    /// Left; malformed text throws the reader's own <see cref="JsonException"/>, as any read of that reader does.
    /// </summary>
    public static Either<string, Json> Read(ref Utf8JsonReader reader) => ReadValue(ref reader);

    /// <summary>
    /// The canonical text of JSON text: byte for byte what <see cref="Parse(ReadOnlySpan{byte})"/> then <see cref="ToUtf8"/>
    /// give (keys in ordinal order, the last of equal keys kept, strings and numbers written as this type writes them), without
    /// building the value: what checking a stored event against its hash needs. Never throws: what Parse refuses is a Left.
    /// </summary>
    public static Either<string, byte[]> Canonical(ReadOnlySpan<byte> utf8)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
            if (!reader.Read()) return "empty JSON text";
            var buffer = new ArrayBufferWriter<byte>(utf8.Length + 16);
            using (var w = new Utf8JsonWriter(buffer, WriterOptions))
            {
                var failed = CopyCanonical(utf8, ref reader, w);
                if (failed is not null) return failed;
            }
            return reader.Read() ? "trailing data after the JSON value" : buffer.WrittenSpan.ToArray();
        }
        catch (JsonException ex)
        {
            return $"malformed JSON: {ex.Message}";
        }
        catch (InvalidOperationException ex)
        {
            return $"malformed JSON: {ex.Message}";
        }
    }

    // Writes the value at the reader's token canonically, leaving the reader on its last token; the reason where Parse would refuse it.
    // An object's fields are found first (each value skipped), sorted, and each value is then read again from its own bytes.
    static string? CopyCanonical(ReadOnlySpan<byte> utf8, ref Utf8JsonReader r, Utf8JsonWriter w)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.Null: w.WriteNullValue(); return null;
            case JsonTokenType.True: w.WriteBooleanValue(true); return null;
            case JsonTokenType.False: w.WriteBooleanValue(false); return null;
            case JsonTokenType.String:
                // Text with no escape is written from its bytes (the writer escapes UTF-8 as it escapes the same text in UTF-16).
                if (!r.ValueIsEscaped && !r.HasValueSequence) w.WriteStringValue(r.ValueSpan);
                else w.WriteStringValue(r.GetString());
                return null;
            case JsonTokenType.Number:
                if (!r.TryGetDecimal(out var d)) return "number out of range";
                w.WriteNumberValue(d);
                return null;
            case JsonTokenType.StartArray:
                w.WriteStartArray();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    var failed = CopyCanonical(utf8, ref r, w);
                    if (failed is not null) return failed;
                }
                w.WriteEndArray();
                return null;
            case JsonTokenType.StartObject:
            {
                var fields = new List<(string Key, int Index, int Start, int Length)>();
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    var key = KeyOf(ref r);
                    r.Read();
                    var start = (int)r.TokenStartIndex;
                    r.Skip();
                    fields.Add((key, fields.Count, start, (int)r.BytesConsumed - start));
                }
                // Ordinal order, and of equal keys the last (as an object built from its fields keeps it).
                fields.Sort(static (a, b) => string.CompareOrdinal(a.Key, b.Key) is var c && c != 0 ? c : a.Index.CompareTo(b.Index));
                w.WriteStartObject();
                for (var i = 0; i < fields.Count; i++)
                {
                    if (i + 1 < fields.Count && string.Equals(fields[i].Key, fields[i + 1].Key, StringComparison.Ordinal)) continue;
                    var (key, _, start, length) = fields[i];
                    w.WritePropertyName(key);
                    var value = utf8.Slice(start, length);
                    var inner = new Utf8JsonReader(value, new JsonReaderOptions { MaxDepth = MaxDepth });
                    inner.Read();
                    var failed = CopyCanonical(value, ref inner, w);
                    if (failed is not null) return failed;
                }
                w.WriteEndObject();
                return null;
            }
            default: return $"unexpected token {r.TokenType}";
        }
    }

    /// <summary>Parses JSON held in a .NET string.</summary>
    public static Either<string, Json> Parse(string text) => Parse(Encoding.UTF8.GetBytes(text));

    /// <summary>The deepest nesting accepted by <see cref="Parse(ReadOnlySpan{byte})"/>.</summary>
    public const int MaxDepth = 64;

    // The protocol's field names, shared by every object that has them instead of a copy per object (a replay keeps millions
    // of message contents, each with its "content" key). A fixed set: names a peer makes up are never interned.
    static readonly System.Collections.Generic.HashSet<string> CommonKeys = new(StringComparer.Ordinal)
    {
        "content", "convId", "msgId", "from", "createdTime", "seq", "type", "message", "localDbId", "status", "lastMsgSeq", "newContent",
        "r", "requestId", "id", "user", "userId", "name", "participants", "role", "displayName", "avatarUrl", "metadata", "customData",
        "isGroup", "created", "lastMsg", "msgs", "listMsgs", "listConvs", "deletedStatus", "revoked", "photo", "file", "location", "contact",
        "sticker", "filePath", "fileName", "fileLength", "thumbnail", "ratio", "duration", "lat", "lon", "vcard", "unread", "lastUpdate",
    };

    static readonly System.Collections.Generic.HashSet<string>.AlternateLookup<ReadOnlySpan<char>> CommonKeyLookup =
        CommonKeys.GetAlternateLookup<ReadOnlySpan<char>>();

    // A property name: the shared instance when it is one of the protocol's, a new string otherwise.
    static string KeyOf(ref Utf8JsonReader r)
    {
        if (!r.ValueIsEscaped && !r.HasValueSequence && r.ValueSpan.Length <= 16)
        {
            Span<char> chars = stackalloc char[16];
            var ascii = r.ValueSpan;
            var n = 0;
            foreach (var b in ascii)
            {
                if (b >= 0x80) break;
                chars[n++] = (char)b;
            }
            if (n == ascii.Length && CommonKeyLookup.TryGetValue(chars[..n], out var shared)) return shared;
        }
        return r.GetString() ?? "";
    }

    static Either<string, Json> ReadValue(ref Utf8JsonReader r)
    {
        switch (r.TokenType)
        {
            case JsonTokenType.Null: return Null.Value;
            case JsonTokenType.True: return new Bool(true);
            case JsonTokenType.False: return new Bool(false);
            case JsonTokenType.String: return new Str(r.GetString() ?? "");
            case JsonTokenType.Number:
                return r.TryGetDecimal(out var d) ? new Number(d) : "number out of range";
            case JsonTokenType.StartArray:
            {
                var items = new List<Json>();
                while (r.Read() && r.TokenType != JsonTokenType.EndArray)
                {
                    var item = ReadValue(ref r);
                    if (item.IsLeft) return item;
                    items.Add((Json)item);
                }
                return new Arr(toSeq(items).Strict());
            }
            case JsonTokenType.StartObject:
            {
                var fields = new List<(string, Json)>();
                while (r.Read() && r.TokenType != JsonTokenType.EndObject)
                {
                    var key = KeyOf(ref r);
                    r.Read();
                    var item = ReadValue(ref r);
                    if (item.IsLeft) return item;
                    fields.Add((key, (Json)item));
                }
                return ObjectOf(fields);
            }
            default: return $"unexpected token {r.TokenType}";
        }
    }

    /// <summary>Serialises to compact UTF-8 JSON (object keys in ordinal order).</summary>
    public byte[] ToUtf8()
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        WriteUtf8(buffer);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Appends the bytes of <see cref="ToUtf8"/> to a caller's buffer (which a loop can reuse: no copy per value).</summary>
    public void WriteUtf8(IBufferWriter<byte> buffer)
    {
        using var w = new Utf8JsonWriter(buffer, WriterOptions);
        Write(w);
    }

    /// <summary>Compact JSON text.</summary>
    public string ToJsonString() => Encoding.UTF8.GetString(ToUtf8());

    static readonly JsonWriterOptions WriterOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        SkipValidation = false,
    };

    /// <summary>Writes this value with a caller's writer (used to frame packets without copying).</summary>
    public void Write(Utf8JsonWriter w)
    {
        switch (this)
        {
            case Null: w.WriteNullValue(); break;
            case Bool b: w.WriteBooleanValue(b.Value); break;
            case Number n: w.WriteNumberValue(n.Value); break;
            case Str s: w.WriteStringValue(s.Value); break;
            case Arr a:
                w.WriteStartArray();
                foreach (var i in a.Items) i.Write(w);
                w.WriteEndArray();
                break;
            case Obj o:
                w.WriteStartObject();
                foreach (var (k, v) in o.Fields)
                {
                    w.WritePropertyName(k);
                    v.Write(w);
                }
                w.WriteEndObject();
                break;
        }
    }

    /// <summary>Compact JSON text.</summary>
    public sealed override string ToString() => ToJsonString();

    /// <summary>A JSON string.</summary>
    public static implicit operator Json(string s) => new Str(s);
    /// <summary>A JSON number.</summary>
    public static implicit operator Json(long n) => new Number(n);
    /// <summary>A JSON boolean.</summary>
    public static implicit operator Json(bool b) => new Bool(b);

    /// <summary>Invariant text of a number, for messages.</summary>
    public static string Show(decimal d) => d.ToString(CultureInfo.InvariantCulture);
}
