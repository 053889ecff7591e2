using EventSourced.Domain.Compliance;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// What Marten stores for each recorded event (mapped as <c>recorded</c>): the event's stable type
/// name and JSON, the raw packet bytes exactly as they crossed the wire, and the envelope's clocks.
/// Plain properties so that PostgreSQL can index and query them (<c>data->>'Type'</c>, <c>data->>'Seq'</c>,
/// <c>data->'Data'->'packet'</c>).
/// </summary>
/// <remarks>
/// The event is stored as a JSON object inside the row's jsonb (<c>Data</c>), so a read decodes it in the same pass as the
/// row. What the ledger's leaf covers is the event's canonical text (<see cref="Data"/>: compact, keys in ordinal order,
/// numbers as decimals write them), and an object read back from jsonb gives that same text whatever order PostgreSQL keeps
/// its keys in. An event whose canonical text jsonb cannot hold as it is (a string with U+0000, which jsonb refuses; nesting
/// deeper than a reader takes), and any record whose text is not canonical (a log written before objects were stored, not
/// yet migrated, <see cref="MartenEventLog{T}.MigrateStorageAsync"/>), is stored as the JSON text in a string instead, as
/// every event was before: readers take both.
/// </remarks>
[System.Text.Json.Serialization.JsonConverter(typeof(StoredRecordConverter))]
public sealed class StoredRecord
{
    /// <summary>The Marten event type name every record is stored under.</summary>
    public const string EventTypeName = "recorded";

    /// <summary>Stable event type name, e.g. <c>client.message-received.v1</c>.</summary>
    public string Type { get; set; } = "";

    /// <summary>
    /// The event's JSON text, as the ledger's leaf covers it: the canonical text of <see cref="Body"/> where the event is
    /// known as a value (encoded for an append, or read from an object row), else the stored text as it is.
    /// </summary>
    public string Data
    {
        get => data ??= System.Text.Encoding.UTF8.GetString(DataUtf8);
        set
        {
            data = value ?? "";
            utf8 = null;
            body = null;
            stored = null;
        }
    }

    /// <summary>The event as a value: the one to store, or the one a read found; None where only text is known and it is not JSON.</summary>
    internal Json? Body
    {
        get
        {
            if (body is null && stored is not null && Json.Parse(stored).Case is Json fromObject)
            {
                body = fromObject;
                bodyIsCanonical = true;
            }
            else if (body is null && data is not null && Json.Parse(DataUtf8).Case is Json parsed) body = parsed;
            return body;
        }
        set
        {
            body = value;
            bodyIsCanonical = value is not null;
            data = null;
            utf8 = null;
            stored = null;
        }
    }

    /// <summary>The UTF-8 of <see cref="Data"/> (what the leaf hashes), computed once.</summary>
    // An object row's text is made from its bytes (Json.Canonical), not from a value built for the purpose: verify and proofs
    // only hash. Bytes that are not a value (altered in the database) are hashed as they are, and so do not match their leaf.
    internal byte[] DataUtf8 => utf8 ??=
        stored is not null ? Json.Canonical(stored).IfLeft(stored)
        : body is not null && bodyIsCanonical ? body.ToUtf8()
        : System.Text.Encoding.UTF8.GetBytes(data ?? "");

    /// <summary>Whether <see cref="Data"/> is the canonical text of a value (and so can be stored as an object and read back to the same text).</summary>
    internal bool IsCanonical
    {
        get
        {
            if (bodyIsCanonical || stored is not null) return true;
            if (Body is not { } b) return false;
            // Text whose value writes back to the same bytes is that value's canonical text: it is the value from here on.
            var canonical = b.ToUtf8();
            if (!canonical.AsSpan().SequenceEqual(DataUtf8)) return false;
            bodyIsCanonical = true;
            return true;
        }
    }

    string? data;
    byte[]? utf8;
    // The event's bytes as an object row holds them (read by FromJson), made into a value or its canonical text when asked.
    byte[]? stored;
    Json? body;
    bool bodyIsCanonical;

    /// <summary>The exact packet bytes (empty for local facts).</summary>
    public byte[] Raw { get; set; } = [];
    /// <summary>Local time the event was recorded (epoch ms).</summary>
    public long ReceivedAt { get; set; }
    /// <summary>Server time the packet carried, if any.</summary>
    public long? ServerTime { get; set; }
    /// <summary>Conversation seq the packet carried, if any.</summary>
    public long? Seq { get; set; }
    /// <summary>0 received, 1 sent, 2 local.</summary>
    public int Origin { get; set; }
    /// <summary>Service number of the packet.</summary>
    public short? Service { get; set; }
    /// <summary>requestId of the packet.</summary>
    public long? RequestId { get; set; }

    /// <summary>The event as a read opened it (sealed values replaced by what their keys give), for the decoder: never stored, never hashed.</summary>
    internal Json? Opened { get; set; }

    /// <summary>Whether the stored JSON is an object in the row (true) or its text in a string (false).</summary>
    public bool StoredAsObject => IsCanonical && Body is { } value && Fits(DataUtf8, value);

    // jsonb holds no U+0000 in a string (the writer escapes it as \u0000; text that merely looks so is kept as text too), and a
    // reader of the row refuses nesting past its depth: such an event keeps its text in a string.
    const int MaxObjectDepth = 48;

    static bool Fits(ReadOnlySpan<byte> canonical, Json value) => canonical.IndexOf("\\u0000"u8) < 0 && Depth(value, 0) <= MaxObjectDepth;

    static int Depth(Json value, int depth)
    {
        if (depth > MaxObjectDepth) return depth;
        var deepest = depth;
        switch (value)
        {
            case Json.Obj o:
                foreach (var (_, v) in o.Fields) deepest = Math.Max(deepest, Depth(v, depth + 1));
                return Math.Max(deepest, depth + 1);
            case Json.Arr a:
                foreach (var v in a.Items) deepest = Math.Max(deepest, Depth(v, depth + 1));
                return Math.Max(deepest, depth + 1);
            default:
                return depth;
        }
    }

    /// <summary>
    /// A record from a row's <c>data</c> column (jsonb), read in one pass: every read of the log (replay, attach, verify,
    /// proofs) takes its rows this way rather than through the serializer's reflection. Unknown properties are skipped, as the
    /// serializer skips them.
    /// </summary>
    /// <exception cref="System.Text.Json.JsonException">The column is not a stored record's JSON.</exception>
    public static StoredRecord FromRow(System.Data.Common.DbDataReader reader, int column)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return FromJson(reader.GetFieldValue<byte[]>(column));
    }

    /// <summary>A record from its JSON (the shape <see cref="FromRow"/> reads: the event as an object or as text in a string).</summary>
    /// <exception cref="System.Text.Json.JsonException">The text is not a stored record's JSON.</exception>
    public static StoredRecord FromJson(ReadOnlySpan<byte> utf8)
    {
        var r = new System.Text.Json.Utf8JsonReader(utf8, new System.Text.Json.JsonReaderOptions { MaxDepth = MaxObjectDepth + 16 });
        if (!r.Read()) throw new System.Text.Json.JsonException("a stored record is empty");
        return Read(ref r, utf8);
    }

    // With the reader's own bytes (source), an object event is kept as its bytes until a value or its text is asked for;
    // without them (a reader over a sequence, Marten's serializer), it is made into a value now.
    internal static StoredRecord Read(ref System.Text.Json.Utf8JsonReader r, ReadOnlySpan<byte> source = default)
    {
        if (r.TokenType != System.Text.Json.JsonTokenType.StartObject) throw new System.Text.Json.JsonException("a stored record is not a JSON object");
        var s = new StoredRecord();
        while (r.Read() && r.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            ReadOnlySpan<byte> name = r.ValueIsEscaped ? System.Text.Encoding.UTF8.GetBytes(r.GetString()!) : r.ValueSpan;
            r.Read();
            var isNull = r.TokenType == System.Text.Json.JsonTokenType.Null;
            if (name.SequenceEqual("Type"u8)) s.Type = isNull ? "" : r.GetString()!;
            else if (name.SequenceEqual("Data"u8))
            {
                if (r.TokenType == System.Text.Json.JsonTokenType.StartObject && !source.IsEmpty && !r.HasValueSequence)
                {
                    var start = (int)r.TokenStartIndex;
                    r.Skip();
                    s.stored = source[start..(int)r.BytesConsumed].ToArray();
                }
                else if (r.TokenType == System.Text.Json.JsonTokenType.StartObject)
                    s.Body = Json.Read(ref r).IfLeft(reason => throw new System.Text.Json.JsonException($"a stored event cannot be read: {reason}"));
                else s.Data = isNull ? "" : r.GetString()!;
            }
            else if (name.SequenceEqual("Raw"u8)) s.Raw = isNull ? [] : r.GetBytesFromBase64();
            else if (name.SequenceEqual("ReceivedAt"u8)) s.ReceivedAt = r.GetInt64();
            else if (name.SequenceEqual("ServerTime"u8)) s.ServerTime = isNull ? null : r.GetInt64();
            else if (name.SequenceEqual("Seq"u8)) s.Seq = isNull ? null : r.GetInt64();
            else if (name.SequenceEqual("Origin"u8)) s.Origin = r.GetInt32();
            else if (name.SequenceEqual("Service"u8)) s.Service = isNull ? null : r.GetInt16();
            else if (name.SequenceEqual("RequestId"u8)) s.RequestId = isNull ? null : r.GetInt64();
            else r.Skip();
        }
        if (r.TokenType != System.Text.Json.JsonTokenType.EndObject) throw new System.Text.Json.JsonException("a stored record ends early");
        return s;
    }

    internal void Write(System.Text.Json.Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("Type"u8, Type);
        if (StoredAsObject)
        {
            w.WritePropertyName("Data"u8);
            w.WriteRawValue(DataUtf8, skipInputValidation: true);
        }
        else w.WriteString("Data"u8, Data);
        w.WriteBase64String("Raw"u8, Raw);
        w.WriteNumber("ReceivedAt"u8, ReceivedAt);
        if (ServerTime is { } t) w.WriteNumber("ServerTime"u8, t); else w.WriteNull("ServerTime"u8);
        if (Seq is { } q) w.WriteNumber("Seq"u8, q); else w.WriteNull("Seq"u8);
        w.WriteNumber("Origin"u8, Origin);
        if (Service is { } v) w.WriteNumber("Service"u8, v); else w.WriteNull("Service"u8);
        if (RequestId is { } id) w.WriteNumber("RequestId"u8, id); else w.WriteNull("RequestId"u8);
        w.WriteEndObject();
    }
}

/// <summary>
/// How Marten's serializer writes and reads a <see cref="StoredRecord"/>: by hand, in one pass, the event as an object
/// (no reflection, and the same reader as <see cref="StoredRecord.FromRow"/>).
/// </summary>
public sealed class StoredRecordConverter : System.Text.Json.Serialization.JsonConverter<StoredRecord>
{
    /// <inheritdoc />
    public override StoredRecord Read(ref System.Text.Json.Utf8JsonReader reader, Type typeToConvert, System.Text.Json.JsonSerializerOptions options) =>
        StoredRecord.Read(ref reader);

    /// <inheritdoc />
    public override void Write(System.Text.Json.Utf8JsonWriter writer, StoredRecord value, System.Text.Json.JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        value.Write(writer);
    }
}

/// <summary>The stable names of every event type, and the conversion between recorded events and what Marten stores.</summary>
public static class EventNames
{
    static readonly Dictionary<Type, string> Names = new();
    static readonly Dictionary<string, Type> Types = new(StringComparer.Ordinal);

    static EventNames()
    {
        foreach (var t in typeof(Event).GetNestedTypes().Where(t => t.IsSealed && typeof(Event).IsAssignableFrom(t))) Add(t, $"client.{Kebab(t.Name)}.v1");
        foreach (var t in typeof(ServerEvent).GetNestedTypes().Where(t => t.IsSealed && typeof(ServerEvent).IsAssignableFrom(t))) Add(t, $"server.{Kebab(t.Name)}.v1");
        foreach (var t in typeof(ComplianceEvent).GetNestedTypes().Where(t => t.IsSealed && typeof(ComplianceEvent).IsAssignableFrom(t))) Add(t, $"compliance.{Kebab(t.Name)}.v1");
    }

    static void Add(Type t, string name)
    {
        Names[t] = name;
        Types[name] = t;
    }

    static string Kebab(string s) => string.Concat(s.Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : char.ToLowerInvariant(c).ToString()));

    /// <summary>Every name, sorted (pinned by a snapshot: a rename shows up as a contract change).</summary>
    public static IEnumerable<string> All => Names.Values.Order(StringComparer.Ordinal);

    /// <summary>The stable name of an event.</summary>
    public static string Of(object e) => Names[e.GetType()];

    /// <summary>To storage.</summary>
    public static StoredRecord Store(Envelope m, object e)
    {
        var json = BodyCodec.Encode(e);
        return new()
        {
            Type = Of(e), Raw = m.Raw.ToArray(), ReceivedAt = m.ReceivedAt, ServerTime = m.ServerTime.ToNullable(), Seq = m.Seq.ToNullable(),
            Origin = (int)m.Origin, Service = m.Service.ToNullable(), RequestId = m.RequestId.ToNullable(), Body = json,
        };
    }

    /// <summary>From storage.</summary>
    public static Either<string, (Envelope Meta, object Event)> Load(StoredRecord r, string stream, long position, long version)
    {
        if (!Types.TryGetValue(r.Type, out var type)) return $"unknown event type '{r.Type}'";
        var meta = new Envelope(stream, position, version, r.ReceivedAt, Optional(r.ServerTime), Optional(r.Seq), (Origin)r.Origin,
            Optional(r.Service), Optional(r.RequestId), new Raw(r.Raw));
        return ((r.Opened ?? r.Body) is { } parsed ? Right<string, Json>(parsed) : Json.Parse(r.DataUtf8))
            .Bind(j => j is Json.Obj o ? BodyCodec.Decode(type, o) : Left<string, object>("event data is not an object"))
            .Map(e => (meta, e));
    }
}

/// <summary>How a record type is stored: a client event or a server event with its envelope.</summary>
public interface IRecordCodec<T>
{
    /// <summary>To storage.</summary>
    StoredRecord Store(T record);
    /// <summary>From storage, with the position and version Marten assigned.</summary>
    Either<string, T> Load(StoredRecord stored, string stream, long position, long version);
    /// <summary>The SQL views created over this log's schema.</summary>
    string Views(string schema);
    /// <summary>Whether the log seals personal values before storing them (crypto-shredding, <see cref="Erasure.Sealer"/>).</summary>
    bool Seals { get; }
    /// <summary>Who owns a personal value of this stream's events that names no one (the recording user, for a client stream).</summary>
    Option<string> Custodian(string stream);
    /// <summary>Who sent messages this log has recorded (an edit notice does not say): by default, nobody is known.</summary>
    Erasure.Sealer.SenderLookup? Senders(string schema) => null;
}

/// <summary>Client events.</summary>
public sealed class ClientRecords : IRecordCodec<Recorded>
{
    /// <inheritdoc />
    public StoredRecord Store(Recorded r) => EventNames.Store(r.Meta, r.Event);
    /// <inheritdoc />
    public string Views(string schema) => AnalyticsViews.Client(schema);
    /// <inheritdoc />
    public bool Seals => true;
    /// <inheritdoc />
    public Option<string> Custodian(string stream) => Recording.UserOfStream(stream);
    /// <inheritdoc />
    public Erasure.Sealer.SenderLookup? Senders(string schema) => async (conn, messages, ct) =>
    {
        // The recording user's message rows say who sent each message they hold.
        var ids = messages.Select(m => (m, Id: Recording.UserOfStream(m.Stream).Map(u => Rows.MessageId(u, m.ConvId, m.MsgId)))).Where(x => x.Id.IsSome)
            .ToDictionary(x => (string)x.Id, x => x.m, StringComparer.Ordinal);
        var result = new Dictionary<(string Stream, string ConvId, string MsgId), string>();
        if (ids.Count == 0) return result;
        await using var cmd = new Npgsql.NpgsqlCommand($"select id, data->>'Sender' from {schema}.mt_doc_message_row where id = any(@ids)", conn);
        cmd.Parameters.AddWithValue("ids", ids.Keys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            if (!reader.IsDBNull(1) && reader.GetString(1).Length > 0) result[ids[reader.GetString(0)]] = reader.GetString(1);
        return result;
    };
    /// <inheritdoc />
    public Either<string, Recorded> Load(StoredRecord s, string stream, long position, long version) =>
        EventNames.Load(s, stream, position, version).Bind(x => x.Event is Event e ? Right<string, Recorded>(new Recorded(x.Meta, e)) : $"{s.Type} is not a client event");
}

/// <summary>Server events.</summary>
public sealed class ServerRecords : IRecordCodec<ServerRecorded>
{
    /// <inheritdoc />
    public StoredRecord Store(ServerRecorded r) => EventNames.Store(r.Meta, r.Event);
    /// <inheritdoc />
    public string Views(string schema) => AnalyticsViews.Recorded(schema);
    /// <inheritdoc />
    public bool Seals => true;
    /// <inheritdoc />
    public Option<string> Custodian(string stream) => None;
    /// <inheritdoc />
    public Either<string, ServerRecorded> Load(StoredRecord s, string stream, long position, long version) =>
        EventNames.Load(s, stream, position, version).Bind(x => x.Event is ServerEvent e ? Right<string, ServerRecorded>(new ServerRecorded(x.Meta, e)) : $"{s.Type} is not a server event");
}

/// <summary>Compliance events (holds, purges, erasures, refusals).</summary>
public sealed class ComplianceRecords : IRecordCodec<ComplianceRecorded>
{
    /// <inheritdoc />
    public StoredRecord Store(ComplianceRecorded r) => EventNames.Store(r.Meta, r.Event);
    /// <inheritdoc />
    public string Views(string schema) => AnalyticsViews.EventJson(schema) + $"""
        create or replace view {schema}.compliance_history as
        select e.seq_id as position, (e.data->>'ReceivedAt')::bigint as at, e.data->>'Type' as event_type, {schema}.event_json(e.data->'Data') as detail
        from {schema}.mt_events e order by e.seq_id;
        """;
    /// <inheritdoc />
    public bool Seals => false;
    /// <inheritdoc />
    public Option<string> Custodian(string stream) => None;
    /// <inheritdoc />
    public Either<string, ComplianceRecorded> Load(StoredRecord s, string stream, long position, long version) =>
        EventNames.Load(s, stream, position, version).Bind(x => x.Event is ComplianceEvent e ? Right<string, ComplianceRecorded>(new ComplianceRecorded(x.Meta, e)) : $"{s.Type} is not a compliance event");
}
