using System.Text;
using EventSourced.Adapters.Storage.Marten;

namespace EventSourced.Tests.Properties.Adapters.Storage;

/// <summary>
/// How a recorded event is written into the row's document and read back (<see cref="StoredRecord"/>): the leaf hash covers
/// <see cref="StoredRecord.Data"/>, so whatever shape the event is stored in, it must read back as the very same text.
/// </summary>
public sealed class StoredRecordTests
{
    static StoredRecord Of(string data) => new()
    {
        Type = "client.message-received.v1", Data = data, Raw = [1, 0, 255], ReceivedAt = 42, ServerTime = null, Seq = 7, Origin = 2, Service = 88, RequestId = null,
    };

    static byte[] Written(StoredRecord r) => System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(r);

    static Gen<Json> Event => Generators.AwkwardJson(3).Select(v => (Json)Json.Object(("packet", v)));

    [Property(MaxTest = 300)]
    public Property A_value_s_canonical_text_is_stored_as_an_object_unless_jsonb_cannot_hold_it_and_reads_back_as_that_text() =>
        Prop.ForAll(Event.ToArbitrary(), json =>
        {
            var text = json.ToJsonString();
            var record = Of(text);
            var bytes = Written(record);
            var back = StoredRecord.FromJson(bytes);
            using var doc = System.Text.Json.JsonDocument.Parse(bytes);
            var kind = doc.RootElement.GetProperty("Data").ValueKind;
            // U+0000 is written as \u0000, which jsonb refuses: such text stays a string (as does text that only looks so).
            var holdsNul = text.Contains("\\u0000", StringComparison.Ordinal);
            Assert.Equal(holdsNul ? System.Text.Json.JsonValueKind.String : System.Text.Json.JsonValueKind.Object, kind);
            Assert.Equal(!holdsNul, record.StoredAsObject);
            Assert.Equal(text, back.Data);
            Assert.Equal(record.StoredAsObject, back.StoredAsObject);
            // Marten's serializer takes the same path (the converter) as the row reader.
            var viaSerializer = System.Text.Json.JsonSerializer.Deserialize<StoredRecord>(bytes)!;
            Assert.Equal(text, viaSerializer.Data);
            Assert.Equal((back.Type, back.ReceivedAt, back.ServerTime, back.Seq, back.Origin, back.Service, back.RequestId), (record.Type, 42L, (long?)null, (long?)7, 2, (short?)88, (long?)null));
            Assert.Equal(record.Raw, back.Raw);
        });

    // Text that is not the canonical text of its value (spaces, another key order: what an older writer could have stored)
    // must never be re-written as an object: the object would read back as other text, and its leaf would no longer match.
    [Property(MaxTest = 300)]
    public Property Text_that_is_not_canonical_stays_text_byte_for_byte() =>
        Prop.ForAll(Event.ToArbitrary(), Gen.Elements(" ", "\n", "\t").ToArbitrary(), (json, space) =>
        {
            var canonical = json.ToJsonString();
            var spaced = space + canonical;
            // Keys are written in ordinal order ("a" before "packet"): this order is not the canonical one.
            var reordered = "{\"packet\":" + ((Json.Obj)json)["packet"].Map(p => p.ToJsonString()).IfNone("null") + ",\"a\":1}";
            foreach (var text in new[] { spaced, reordered })
            {
                var record = Of(text);
                Assert.False(record.StoredAsObject, text);
                var back = StoredRecord.FromJson(Written(record));
                Assert.Equal(text, back.Data);
                Assert.False(back.StoredAsObject);
            }
        });

    [Fact]
    public void Nesting_deeper_than_a_row_reader_takes_stays_text()
    {
        var deep = Enumerable.Range(0, 60).Aggregate((Json)"x", (inner, _) => Json.Object(("a", inner)));
        var record = Of(deep.ToJsonString());
        Assert.False(record.StoredAsObject);
        Assert.Equal(deep.ToJsonString(), StoredRecord.FromJson(Written(record)).Data);
        var shallow = Enumerable.Range(0, 40).Aggregate((Json)"x", (inner, _) => Json.Object(("a", inner)));
        Assert.True(Of(shallow.ToJsonString()).StoredAsObject);
        Assert.Equal(shallow.ToJsonString(), StoredRecord.FromJson(Written(Of(shallow.ToJsonString()))).Data);
    }

    [Fact]
    public void A_stored_event_that_is_not_a_value_is_an_error_naming_it_when_read_and_hashes_as_its_bytes()
    {
        var broken = StoredRecord.FromJson("""{"Type":"client.disconnected.v1","Data":{"packet":1e400}}"""u8);
        var read = EventNames.Load(broken, "u/session", 1, 1);
        Assert.Contains("number out of range", read.LeftToSeq().Head, StringComparison.Ordinal);
        // Nothing canonical to hash: the bytes as stored are, so an altered row never matches its leaf by accident.
        Assert.Equal("""{"packet":1e400}""", broken.Data);
        Assert.ThrowsAny<System.Text.Json.JsonException>(() => StoredRecord.FromJson("""{"Type":"t","Data":{"packet":1}"""u8));
    }

    // An object row is kept as its bytes until asked: its text and its value must be what reading it as a value gives,
    // whatever order and spacing PostgreSQL wrote it in.
    [Property(MaxTest = 200)]
    public Property An_object_row_gives_the_canonical_text_and_value_of_what_it_holds() =>
        Prop.ForAll(Event.ToArbitrary(), json =>
        {
            var text = json.ToJsonString();
            var fields = ((Json.Obj)json).Fields.Reverse().Select(kv => $"{new Json.Str(kv.Key).ToJsonString()}: {kv.Value.ToJsonString()}");
            var row = Encoding.UTF8.GetBytes($$"""{"Raw": "AQ==", "Data": { {{string.Join(", ", fields)}} }, "Type": "t"}""");
            var back = StoredRecord.FromJson(row);
            Assert.Equal(text, back.Data);
            Assert.True(back.StoredAsObject || text.Contains("\\u0000", StringComparison.Ordinal));
            // Written again (a record read is never appended, but the converter must not care): the same text.
            Assert.Equal(text, StoredRecord.FromJson(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(StoredRecord.FromJson(row))).Data);
        });
}
