using EventSourced.Domain.Compliance;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// What Marten stores for each recorded event (mapped as <c>recorded</c>): the event's stable type
/// name and JSON, the raw packet bytes exactly as they crossed the wire, and the envelope's clocks.
/// Plain properties so that PostgreSQL can index and query them (<c>data->>'type'</c>, <c>data->>'seq'</c>).
/// </summary>
public sealed class StoredRecord
{
    /// <summary>The Marten event type name every record is stored under.</summary>
    public const string EventTypeName = "recorded";

    /// <summary>Stable event type name, e.g. <c>client.message-received.v1</c>.</summary>
    public string Type { get; set; } = "";
    /// <summary>The typed event as JSON text (the same codec as the wire); written from the encoded event when first read, so an event the sealing step rewrites is serialised once.</summary>
    public string Data
    {
        get => data ??= Parsed?.ToJsonString() ?? "";
        set => data = value;
    }

    string? data;
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

    // The event's JSON as encoded for this append, or as opened by a read (not stored): the sealing step walks it and the
    // decoder reads it instead of parsing Data again.
    internal Json? Parsed { get; set; }

    /// <summary>
    /// A record from a row's <c>data</c> column (jsonb, as Marten's System.Text.Json serializer writes it), read in one pass:
    /// every read of the log (replay, attach, verify, proofs) takes its rows this way rather than through the serializer's
    /// reflection. Unknown properties are skipped, as the serializer skips them.
    /// </summary>
    /// <exception cref="System.Text.Json.JsonException">The column is not a stored record's JSON.</exception>
    public static StoredRecord FromRow(System.Data.Common.DbDataReader reader, int column)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return FromJson(reader.GetFieldValue<byte[]>(column));
    }

    /// <summary>A record from its JSON (the shape <see cref="FromRow"/> reads).</summary>
    /// <exception cref="System.Text.Json.JsonException">The text is not a stored record's JSON.</exception>
    public static StoredRecord FromJson(ReadOnlySpan<byte> utf8)
    {
        var r = new System.Text.Json.Utf8JsonReader(utf8);
        if (!r.Read() || r.TokenType != System.Text.Json.JsonTokenType.StartObject) throw new System.Text.Json.JsonException("a stored record is not a JSON object");
        var s = new StoredRecord();
        while (r.Read() && r.TokenType == System.Text.Json.JsonTokenType.PropertyName)
        {
            ReadOnlySpan<byte> name = r.ValueIsEscaped ? System.Text.Encoding.UTF8.GetBytes(r.GetString()!) : r.ValueSpan;
            r.Read();
            var isNull = r.TokenType == System.Text.Json.JsonTokenType.Null;
            if (name.SequenceEqual("Type"u8)) s.Type = isNull ? "" : r.GetString()!;
            else if (name.SequenceEqual("Data"u8)) s.Data = isNull ? "" : r.GetString()!;
            else if (name.SequenceEqual("Raw"u8)) s.Raw = isNull ? [] : r.GetBytesFromBase64();
            else if (name.SequenceEqual("ReceivedAt"u8)) s.ReceivedAt = r.GetInt64();
            else if (name.SequenceEqual("ServerTime"u8)) s.ServerTime = isNull ? null : r.GetInt64();
            else if (name.SequenceEqual("Seq"u8)) s.Seq = isNull ? null : r.GetInt64();
            else if (name.SequenceEqual("Origin"u8)) s.Origin = r.GetInt32();
            else if (name.SequenceEqual("Service"u8)) s.Service = isNull ? null : r.GetInt16();
            else if (name.SequenceEqual("RequestId"u8)) s.RequestId = isNull ? null : r.GetInt64();
            else r.Skip();
        }
        return s;
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
            Origin = (int)m.Origin, Service = m.Service.ToNullable(), RequestId = m.RequestId.ToNullable(), Parsed = json,
        };
    }

    /// <summary>From storage.</summary>
    public static Either<string, (Envelope Meta, object Event)> Load(StoredRecord r, string stream, long position, long version)
    {
        if (!Types.TryGetValue(r.Type, out var type)) return $"unknown event type '{r.Type}'";
        var meta = new Envelope(stream, position, version, r.ReceivedAt, Optional(r.ServerTime), Optional(r.Seq), (Origin)r.Origin,
            Optional(r.Service), Optional(r.RequestId), new Raw(r.Raw));
        return (r.Parsed is { } parsed ? Right<string, Json>(parsed) : Json.Parse(r.Data))
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
    public string Views(string schema) => $"""
        create or replace view {schema}.compliance_history as
        select e.seq_id as position, (e.data->>'ReceivedAt')::bigint as at, e.data->>'Type' as event_type, (e.data->>'Data')::jsonb as detail
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
