using System.Reflection;
using EventSourced.Domain.Compliance;
using EventSourced.Domain.Server;

namespace EventSourced.Tests.Properties.Domain.Packets;

/// <summary>
/// The generated body codec (src/Generators) against the reflective one it replaced (<see cref="ReflectiveBodyCodec"/>):
/// the same records covered, the same JSON written, the same values read, and the same error for every broken input.
/// </summary>
public sealed class GeneratedCodecTests
{
    static readonly Type[] Covered = BodyCodec.Types.OrderBy(t => t.FullName, StringComparer.Ordinal).ToArray();

    [Fact]
    public void Every_record_the_rules_cover_has_a_generated_codec_and_nothing_else_has_one()
    {
        var expected = typeof(Json).Assembly.GetTypes().Where(IsWireRecord).Select(t => t.FullName).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, Covered.Select(t => t.FullName).ToArray());
        Assert.True(Covered.Length > 250, $"only {Covered.Length} records");
    }

    [Fact]
    public void Every_event_of_the_catalogue_and_every_packet_body_is_covered()
    {
        var roots = new[] { typeof(Event), typeof(ServerEvent), typeof(ComplianceEvent), typeof(Body) };
        var required = typeof(Json).Assembly.GetTypes().Where(t => !t.IsAbstract && roots.Any(r => r.IsAssignableFrom(t))).ToArray();
        Assert.NotEmpty(required);
        Assert.Empty(required.Except(Covered).Select(t => t.FullName));
    }

    [Fact]
    public void A_type_that_is_not_a_wire_record_is_an_error_not_a_guess()
    {
        Assert.Equal("no codec for 'System.Uri': not a wire record of EventSourced.Domain",
            BodyCodec.Decode<Uri>(Json.Obj.Empty).Match(Right: _ => "", Left: e => e));
        Assert.Throws<ArgumentException>(() => BodyCodec.Encode(new Uri("http://x")));
    }

    [Property(MaxTest = 200)]
    public Property Both_codecs_write_the_same_json_and_read_back_the_same_value() =>
        Prop.ForAll(AnyRecord.ToArbitrary(), value =>
        {
            var type = value.GetType();
            var generated = BodyCodec.Encode(value);
            Assert.Equal(ReflectiveBodyCodec.Encode(value), generated);
            Assert.Equal(Right<string, object>(value), BodyCodec.Decode(type, generated));
        });

    [Property(MaxTest = 300)]
    public Property Both_codecs_give_the_same_value_or_the_same_error_for_a_broken_body() =>
        Prop.ForAll(Broken.ToArbitrary(), c =>
        {
            var generated = BodyCodec.Decode(c.Type, c.Body);
            var reflective = ReflectiveBodyCodec.Decode(c.Type, c.Body);
            Assert.Equal(reflective, generated);
        });

    static readonly Json?[] Replacements =
    [
        null, Json.Null.Value, new Json.Bool(true), new Json.Bool(false), new Json.Number(0m), new Json.Number(1m), new Json.Number(2m),
        new Json.Number(0.5m), new Json.Number(-40_000m), new Json.Number(3_000_000_000m), new Json.Number(1e20m), new Json.Str(""),
        new Json.Str("12"), new Json.Arr(Seq<Json>()), new Json.Arr(Seq1<Json>(new Json.Number(1m))), Json.Obj.Empty,
    ];

    [Fact]
    public void Every_place_of_every_record_broken_in_every_way_decodes_the_same_in_both()
    {
        var tried = 0;
        var differences = new List<string>();
        foreach (var type in Covered)
            foreach (var value in Generators.For(type).Sample(8, 3))
            {
                var body = BodyCodec.Encode(value);
                foreach (var place in Places(body, []))
                    foreach (var replacement in Replacements)
                    {
                        var broken = (Json.Obj)Replace(body, place, replacement);
                        tried++;
                        var (g, r) = (BodyCodec.Decode(type, broken), ReflectiveBodyCodec.Decode(type, broken));
                        if (!g.Equals(r) && differences.Count < 5) differences.Add($"{type.Name} {broken.ToJsonString()}: {g} vs {r}");
                    }
            }
        Assert.Empty(differences);
        Assert.True(tried > 10_000, $"only {tried} bodies tried");
    }

    [Fact]
    public void Errors_name_the_path_as_before()
    {
        // A nested record in an array, a wrong integer range, a missing field and a null one.
        var body = BodyCodec.Encode(new MessagesResult(0, Some(1L), Seq1(new MessageInfo("m", 1, None, None, None, None, None, None, None,
            Some(new SenderInfo("u", None, None)), None, None, None))));
        var inner = (Json.Arr)body["msgs"].IfNone(Json.Null.Value);
        var broken = body.With("msgs", new Json.Arr(Seq1<Json>(((Json.Obj)inner.Items[0]).With("senderInfo", Json.Object(("user", new Json.Bool(true)))))));
        Assert.Equal("field 'msgs[0].senderInfo.user' must be a string, got boolean", Error(typeof(MessagesResult), broken));
        Assert.Equal(Error(typeof(MessagesResult), broken), ReflectiveError(typeof(MessagesResult), broken));
        var wide = body.With("r", new Json.Number(3_000_000_000m));
        Assert.Equal($"field 'r' must be an integer in [{int.MinValue}, {int.MaxValue}], got number", Error(typeof(MessagesResult), wide));
        Assert.Equal("missing field 'r'", Error(typeof(MessagesResult), body.Without("r")));
        Assert.Equal("field 'r' is null", Error(typeof(MessagesResult), body.With("r", Json.Null.Value)));
    }

    [Fact]
    public void Defaults_for_missing_fields_are_the_declared_ones()
    {
        var load = BodyCodec.Decode<LoadMessages>(Json.Object(("convId", "c")));
        Assert.Equal(Right<string, LoadMessages>(new LoadMessages(None, "c", 0, 9007199254740991L, 50, "DESC", None, None, None)), load);
        Assert.Equal(ReflectiveBodyCodec.Decode<LoadMessages>(Json.Object(("convId", "c"))), load);
    }

    static string Error(Type t, Json.Obj body) => BodyCodec.Decode(t, body).Match(Right: v => $"decoded {v}", Left: e => e);
    static string ReflectiveError(Type t, Json.Obj body) => ReflectiveBodyCodec.Decode(t, body).Match(Right: v => $"decoded {v}", Left: e => e);

    // ---- generators ----

    static Gen<object> AnyRecord => Gen.Elements(Covered).SelectMany(Generators.For);

    public sealed record Case(Type Type, Json.Obj Body)
    {
        public override string ToString() => $"{Type.Name} {Body.ToJsonString()}";
    }

    /// <summary>A record's JSON with one place broken: a field removed, set to null, or replaced by any value, at any depth.</summary>
    static Gen<Case> Broken =>
        AnyRecord.SelectMany(v =>
        {
            var body = BodyCodec.Encode(v);
            var places = Places(body, []).ToArray();
            return Gen.Elements(places).SelectMany(place =>
                Gen.Frequency(
                    (1, Gen.Constant<Json?>(null)),
                    (1, Gen.Constant<Json?>(Json.Null.Value)),
                    (4, Generators.JsonValue(1).Select(j => (Json?)j)),
                    (1, Gen.Elements<Json?>(new Json.Number(3_000_000_000m), new Json.Number(-40_000m), new Json.Number(0.5m), new Json.Number(1m), new Json.Number(0m))))
                .Select(replacement => new Case(v.GetType(), (Json.Obj)Replace(body, place, replacement))));
        });

    // Every place of a JSON value: a path of object keys and array indexes.
    static IEnumerable<object[]> Places(Json j, object[] path)
    {
        if (path.Length > 0) yield return path;
        switch (j)
        {
            case Json.Obj o:
                foreach (var (k, v) in o.Fields)
                    foreach (var p in Places(v, [.. path, k])) yield return p;
                break;
            case Json.Arr a:
                for (var i = 0; i < a.Items.Count; i++)
                    foreach (var p in Places(a.Items[i], [.. path, i])) yield return p;
                break;
        }
        // A field no record has, at the top: both codecs must ignore it.
        if (path.Length == 0) yield return ["unknownField"];
    }

    static Json Replace(Json j, object[] path, Json? replacement)
    {
        if (path.Length == 0) return replacement ?? Json.Null.Value;
        return (j, path[0]) switch
        {
            (Json.Obj o, string k) when path.Length == 1 => replacement is null ? o.Without(k) : o.With(k, replacement),
            (Json.Obj o, string k) => o.Fields.Find(k).Match(v => o.With(k, Replace(v, path[1..], replacement)), () => o),
            (Json.Arr a, int i) when path.Length == 1 && replacement is null => new Json.Arr(toSeq(a.Items.Where((_, n) => n != i)).Strict()),
            (Json.Arr a, int i) => new Json.Arr(toSeq(a.Items.Select((x, n) => n == i ? Replace(x, path[1..], replacement) : x)).Strict()),
            _ => j,
        };
    }

    // ---- which records the rules cover, said again by reflection ----

    static bool IsWireRecord(Type t) => IsRecordClass(t) && Supported(t, []);

    static bool IsRecordClass(Type t) =>
        t is { IsClass: true, IsAbstract: false, IsGenericType: false } && t.GetMethod("<Clone>$") is not null
        && t.Namespace?.StartsWith("EventSourced.Domain", StringComparison.Ordinal) == true && t != typeof(Json) && !t.IsSubclassOf(typeof(Json))
        && Reachable(t) && t.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null;

    static bool Reachable(Type t)
    {
        for (var x = t; x is not null; x = x.DeclaringType)
            if (!(x.IsPublic || x.IsNestedPublic || x.IsNestedAssembly || (!x.IsNested && x.IsNotPublic))) return false;
        return true;
    }

    static ConstructorInfo? Constructor(Type t) =>
        t.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != t)).OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();

    static bool Supported(Type t, System.Collections.Generic.HashSet<Type> visiting)
    {
        if (!visiting.Add(t)) return true;
        var ctor = Constructor(t);
        return ctor is not null && ctor.GetParameters().All(p => Field(p.ParameterType, visiting, optionAllowed: true));
    }

    static bool Field(Type t, System.Collections.Generic.HashSet<Type> visiting, bool optionAllowed)
    {
        if (t == typeof(string) || t == typeof(long) || t == typeof(int) || t == typeof(short) || t == typeof(bool) || t == typeof(decimal)
            || t == typeof(Json) || t == typeof(Json.Obj)) return true;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Option<>)) return optionAllowed && Field(t.GetGenericArguments()[0], visiting, false);
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Seq<>)) return Field(t.GetGenericArguments()[0], visiting, false);
        return IsRecordClass(t) && Supported(t, visiting);
    }
}
