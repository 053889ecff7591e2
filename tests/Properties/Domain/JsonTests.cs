using System.Text;

namespace EventSourced.Tests.Properties.Domain;

public sealed class JsonTests
{
    [Property(MaxTest = 300)]
    public Property Writing_then_parsing_gives_back_the_same_value() =>
        Prop.ForAll(Generators.JsonValue(3).ToArbitrary(), j => Json.Parse(j.ToUtf8()) == Right<string, Json>(j));

    [Property(MaxTest = 500)]
    public Property Parsing_arbitrary_bytes_never_throws(byte[] bytes) =>
        (Json.Parse(bytes).IsLeft || Json.Parse(bytes).IsRight).ToProperty();

    [Property(MaxTest = 300)]
    public Property Parsing_arbitrary_text_never_throws(NonNull<string> text) =>
        (Json.Parse(text.Get).IsLeft || Json.Parse(text.Get).IsRight).ToProperty();

    // Objects are built in bulk (one tree node per field): the last of equal keys wins, as when fields are set one by one.
    [Property(MaxTest = 300)]
    public Property An_object_is_its_fields_set_one_by_one_in_order() =>
        Prop.ForAll(Gen.Elements("a", "b", "c", "d", "é").Zip(Generators.JsonValue(1)).ListOf(8).ToArbitrary(), fields =>
        {
            var pairs = fields.Select(f => (f.Item1, f.Item2)).ToArray();
            var oneByOne = pairs.Aggregate(Json.Obj.Empty, (o, f) => o.With(f.Item1, f.Item2));
            Assert.Equal(oneByOne, Json.Object(pairs));
            var text = "{" + string.Join(",", pairs.Select(f => $"{new Json.Str(f.Item1).ToJsonString()}:{f.Item2.ToJsonString()}")) + "}";
            Assert.Equal(Right<string, Json>(oneByOne), Json.Parse(text));
        });

    // The protocol's field names are shared instances when parsed; a name that only resembles one (a prefix, a longer name,
    // another case, an escape, a non-ASCII letter) must still come back as written.
    [Property(MaxTest = 300)]
    public Property Field_names_come_back_as_written_whether_or_not_the_protocol_uses_them() =>
        Prop.ForAll(Gen.Elements("content", "conten", "contents", "Content", "convId", "seq", "seqq", "r", "", "cöntent", "lastMsgSeqSeenByEveryone", "msgld", "from ")
            .Zip(Gen.Elements(false, true)).ListOf(6).ToArbitrary(), keys =>
        {
            var pairs = keys.Select((k, i) => (k.Item1, k.Item2, Value: (Json)new Json.Number(i))).ToArray();
            // Escaped as \u0063... when asked: the reader then hands the name over unescaped only through GetString.
            static string Written(string key, bool escape) => escape ? "\"" + string.Concat(key.Select(c => $"\\u{(int)c:x4}")) + "\"" : new Json.Str(key).ToJsonString();
            var text = "{" + string.Join(",", pairs.Select(p => $"{Written(p.Item1, p.Item2)}:{p.Value.ToJsonString()}")) + "}";
            var expected = pairs.Aggregate(Json.Obj.Empty, (o, p) => o.With(p.Item1, p.Value));
            return (Json.Parse(text) == Right<string, Json>(expected)).Label(text);
        });

    // Text as another writer could give it (PostgreSQL's jsonb: its own key order, spaces; or a peer: escapes, a key twice).
    static string Written(Json value, Random rng)
    {
        static string Str(string s, Random rng) => rng.Next(4) == 0
            ? "\"" + string.Concat(s.Select(c => $"\\u{(int)c:x4}")) + "\""
            : new Json.Str(s).ToJsonString();
        var sp = rng.Next(3) == 0 ? " " : "";
        switch (value)
        {
            case Json.Str s: return Str(s.Value, rng);
            case Json.Arr a: return "[" + sp + string.Join("," + sp, a.Items.Select(i => Written(i, rng))) + "]";
            case Json.Obj o:
            {
                var fields = o.Fields.Select(kv => Str(kv.Key, rng) + ":" + sp + Written(kv.Value, rng)).ToList();
                // A key given twice: the earlier one, with another value, is the one an object drops.
                if (fields.Count > 0 && rng.Next(3) == 0) fields.Insert(0, Str(o.Fields.Keys.Last(), rng) + ":[1,\"dropped\"]");
                var shuffled = fields.Skip(1).OrderBy(_ => rng.Next()).Prepend(fields.FirstOrDefault() ?? "").Where(f => f.Length > 0);
                return "{" + sp + string.Join("," + sp, rng.Next(2) == 0 ? fields : shuffled) + sp + "}";
            }
            default: return value.ToJsonString();
        }
    }

    [Property(MaxTest = 500)]
    public Property The_canonical_text_of_any_text_is_what_its_value_writes() =>
        Prop.ForAll(Generators.AwkwardJson(4).ToArbitrary(), Gen.Choose(0, int.MaxValue).ToArbitrary(), (value, seed) =>
        {
            var text = Written(value, new Random(seed));
            var bytes = Encoding.UTF8.GetBytes(text);
            var expected = Json.Parse(bytes).Map(v => Convert.ToHexString(v.ToUtf8()));
            return (Json.Canonical(bytes).Map(Convert.ToHexString) == expected).Label(text.Length > 300 ? text[..300] : text);
        });

    [Property(MaxTest = 300)]
    public Property The_canonical_text_refuses_what_parsing_refuses(byte[] bytes) =>
        (Json.Canonical(bytes).IsLeft == Json.Parse(bytes).IsLeft).ToProperty();

    [Fact]
    public void The_canonical_text_refuses_what_parsing_refuses_by_name()
    {
        foreach (var text in new[] { "", "{\"a\":1e400}", "[1] 2", "{\"a\":\"\\ud800\"}", new string('[', Json.MaxDepth + 5) + new string(']', Json.MaxDepth + 5), "{\"a\":[1,}" })
            Assert.Equal(Json.Parse(Encoding.UTF8.GetBytes(text)).IsLeft, Json.Canonical(Encoding.UTF8.GetBytes(text)).IsLeft);
        Assert.True(Json.Canonical("{\"a\":1e400}"u8).IsLeft);
    }

    [Fact]
    public void Nesting_deeper_than_the_limit_is_an_error_not_a_crash()
    {
        var deep = new string('[', Json.MaxDepth + 5) + new string(']', Json.MaxDepth + 5);
        Assert.True(Json.Parse(deep).IsLeft);
    }

    [Fact]
    public void A_number_beyond_decimal_range_is_an_error() =>
        Assert.Equal("number out of range", Json.Parse("1e400").LeftToSeq().Head);

    [Fact]
    public void Trailing_data_after_the_value_is_an_error() =>
        Assert.True(Json.Parse("{} {}").IsLeft);

    [Fact]
    public void Strings_keep_unicode_and_escapes()
    {
        var j = Json.Object(("content", "chào ✓ \"q\" \n"));
        Assert.Equal("{\"content\":\"chào ✓ \\\"q\\\" \\n\"}", Encoding.UTF8.GetString(j.ToUtf8()));
    }
}
