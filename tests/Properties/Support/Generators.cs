using System.Reflection;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;
using static LanguageExt.Prelude;

namespace EventSourced.Tests.Properties.Support;

/// <summary>
/// Generators for every record of the catalogue, built by reflection from the records'
/// constructors, over small value pools so that generated events refer to the same
/// conversations, users and messages and so interact.
/// </summary>
public static class Generators
{
    public static readonly string[] Ids = ["a", "b", "c"];
    public static readonly string[] Texts = ["hi", "hello", "", "ü✓", "quote\"d", "line\nbreak"];

    public static Gen<string> Id => Gen.Elements(Ids);

    public static Gen<Json> JsonValue(int depth) => depth <= 0
        ? Gen.OneOf(
            Gen.Constant<Json>(Json.Null.Value),
            Gen.Elements(true, false).Select(b => (Json)new Json.Bool(b)),
            Gen.Choose(-1000, 1000).Select(n => (Json)new Json.Number(n)),
            Gen.Elements(1.5m, -0.25m, 9007199254740991m, 1e-7m).Select(n => (Json)new Json.Number(n)),
            Gen.Elements(Texts).Select(t => (Json)new Json.Str(t)))
        : Gen.Frequency(
            (3, JsonValue(0)),
            (1, JsonValue(depth - 1).ListOf(3).Select(xs => (Json)new Json.Arr(toSeq(xs).Strict()))),
            (1, JsonObject(depth - 1).Select(o => (Json)o)));

    public static Gen<Json.Obj> JsonObject(int depth) =>
        Gen.Elements("content", "text", "metadata", "x", "ü").Zip(JsonValue(depth))
            .ListOf(3)
            .Select(kvs => new Json.Obj(kvs.Aggregate(Map<OrdStringOrdinal, string, Json>(), (m, kv) => m.AddOrUpdate(kv.Item1, kv.Item2))));

    /// <summary>
    /// What stored JSON must survive: strings with U+0000 and other controls, escapes that only look like one, surrogate
    /// pairs, line separators, markup, long text; numbers with trailing zeros, tiny and huge decimals; keys in any order.
    /// </summary>
    public static readonly string[] AwkwardTexts =
        ["", "plain", "nul\u0000byte", "a\u0000", "\u0001sealed:v1:7:s:x:AAAA", "back\\slash \\u0000 look-alike", "tab\t cr\r lf\n \u001f \u007f",
         "\u2028\u2029", "🎉 日本 ü", "</script><b>", "quote\" \\", new string('x', 3_000)];

    public static Gen<Json> AwkwardJson(int depth) => depth <= 0
        ? Gen.OneOf(
            Gen.Constant<Json>(Json.Null.Value),
            Gen.Elements(true, false).Select(b => (Json)new Json.Bool(b)),
            Gen.Elements(0m, 1.50m, -0.25m, 0.000m, 100m, 1e-28m, decimal.MaxValue, decimal.MinValue, 9007199254740993m, -12.3400m).Select(n => (Json)new Json.Number(n)),
            Gen.Choose(int.MinValue, int.MaxValue).Select(n => (Json)new Json.Number(n)),
            Gen.Elements(AwkwardTexts).Select(t => (Json)new Json.Str(t)))
        : Gen.Frequency(
            (3, AwkwardJson(0)),
            (1, AwkwardJson(depth - 1).ListOf(3).Select(xs => (Json)new Json.Arr(toSeq(xs).Strict()))),
            (2, Gen.Elements(AwkwardTexts.Where(t => t.Length < 100).Append("content").Append("Content").Append("b").Append("aa").ToArray()).Zip(AwkwardJson(depth - 1))
                .ListOf(4).Select(kvs => (Json)Json.Object(kvs.Select(kv => (kv.Item1, kv.Item2)).ToArray()))));

    /// <summary>A generator for any record type of the catalogue.</summary>
    // Test classes run in parallel: the cache is shared, so it is guarded (Build recurses into For, hence a re-entrant lock).
    public static Gen<object> For(Type t)
    {
        lock (Cache) return Cache.TryGetValue(t, out var g) ? g : Cache[t] = Build(t);
    }

    /// <summary>A typed generator.</summary>
    public static Gen<T> For<T>() => For(typeof(T)).Select(o => (T)o);

    static readonly Dictionary<Type, Gen<object>> Cache = new();

    static Gen<object> Build(Type t)
    {
        if (t == typeof(string)) return Gen.Frequency((4, Id), (1, Gen.Elements(Texts))).Select(s => (object)s);
        if (t == typeof(long)) return Gen.Choose(0, 6).Select(n => (object)(long)n);
        if (t == typeof(int)) return Gen.Choose(0, 4).Select(n => (object)n);
        if (t == typeof(short)) return Gen.Elements<short>(42, 45, 88, 999).Select(n => (object)n);
        if (t == typeof(bool)) return Gen.Elements(true, false).Select(b => (object)b);
        if (t == typeof(decimal)) return Gen.Choose(-50, 50).Select(n => (object)(decimal)n);
        // A field's null means absent on the wire, so a present Json field is never null.
        if (t == typeof(Json)) return JsonValue(2).Where(j => j is not Json.Null).Select(j => (object)j);
        if (t == typeof(Json.Obj)) return JsonObject(2).Select(j => (object)j);
        if (t.IsEnum) return Gen.Elements(Enum.GetValues(t).Cast<object>().ToArray());
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Option<>))
            return (Gen<object>)typeof(Generators).GetMethod(nameof(OptionOf), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(t.GetGenericArguments()).Invoke(null, null)!;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Seq<>))
            return (Gen<object>)typeof(Generators).GetMethod(nameof(SeqOf), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(t.GetGenericArguments()).Invoke(null, null)!;
        if (t.IsAbstract)
        {
            var cases = t.GetNestedTypes().Where(n => n.IsSealed && t.IsAssignableFrom(n)).ToArray();
            return Gen.OneOf(cases.Select(c => Gen.Fresh(() => 0).SelectMany(_ => For(c))));
        }
        var ctor = t.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != t))
            .OrderByDescending(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p => Override(t, p) ?? For(p.ParameterType)).ToArray();
        return Gen.CollectToArray(args).Select(a => ctor.Invoke(a));
    }

    // Responses decode by their r: success bodies carry r = 0 (41 may say 2), failures carry r != 0.
    static Gen<object>? Override(Type owner, ParameterInfo p)
    {
        if (p.Name != "R") return null;
        if (owner == typeof(Failure)) return Gen.Choose(1, 20).Select(n => (object)n);
        if (owner == typeof(AuthenResult)) return Gen.Elements(0, 1, 2, 6, 10, 15).Select(n => (object)n);
        if (owner == typeof(CreateConversationResult)) return Gen.Elements(0, 2).Select(n => (object)n);
        return Gen.Constant((object)0);
    }

    static Gen<object> OptionOf<T>() => Gen.Frequency(
        (1, Gen.Constant((object)Option<T>.None)),
        (3, For(typeof(T)).Select(x => (object)Some((T)x))));

    static Gen<object> SeqOf<T>() => For(typeof(T)).ListOf(3).Select(xs => (object)toSeq(xs.Select(x => (T)x)).Strict());

    /// <summary>Any event of the catalogue.</summary>
    public static Gen<Event> AnyEvent => For<Event>();

    /// <summary>Sequences of events of the whole catalogue.</summary>
    public static Gen<Seq<Event>> Events => AnyEvent.ListOf(30).Select(xs => toSeq(xs).Strict());

    /// <summary>A new message packet in conversation c with a seq; ids follow from (conv, seq) so duplicates are real duplicates.</summary>
    public static Gen<Event> Message(string conv) =>
        from seq in Gen.Choose(1, 12)
        select (Event)new Event.MessageReceived(new MessageNotice(conv, $"{conv}-{seq}", Ids[seq % 3], 1000 + seq, seq, 1,
            Json.Object(("content", Texts[seq % Texts.Length])), None, None, None, None, None, None));

    /// <summary>A read or received report in conversation c.</summary>
    public static Gen<Event> Report(string conv) =>
        from seq in Gen.Choose(1, 12)
        from sender in Gen.Elements("a", "b", "c")
        from status in Gen.Elements(1, 2)
        select (Event)new Event.MessageReportReceived(new ReportNotice(conv, sender, seq, status));

    /// <summary>Server packets whose order the server's seq decides (messages and reports).</summary>
    public static Gen<Seq<Event>> SeqOrdered =>
        Gen.OneOf(Message("a"), Message("b"), Report("a")).ListOf(25).Select(xs => toSeq(xs).Strict());

    /// <summary>Edits, revokes, pins and messages over a few messages of one conversation.</summary>
    public static Gen<Seq<Event>> Lifecycle =>
        Gen.OneOf(
            Message("a"),
            from seq in Gen.Choose(1, 12)
            from text in Gen.Elements(Texts)
            select (Event)new Event.MessageEdited(new EditNotice("a", $"a-{seq}", new Json.Str(Json.Object(("content", "edited " + text)).ToJsonString()))),
            from seq in Gen.Choose(1, 12)
            select (Event)new Event.MessagesRevoked(new RevokeNotice("a", Seq1($"a-{seq}"))),
            from seq in Gen.Choose(1, 12)
            from pin in Gen.Elements(true, false)
            select (Event)new Event.MessagePinChanged(new PinNotice("a", $"a-{seq}", pin)))
        .ListOf(30).Select(xs => toSeq(xs).Strict());

    /// <summary>Runs of the catalogue, message lifecycles and seq-ordered packets, one after another.</summary>
    public static Gen<Seq<Event>> Mixed =>
        Gen.OneOf(Events, Lifecycle, SeqOrdered).ListOf(3).Select(xs => toSeq(xs).Bind(x => x).Strict());
}

/// <summary>Arbitraries registered with [Property(Arbitrary = ...)].</summary>
public sealed class Arbitraries
{
    public static Arbitrary<Event> Event() => Generators.AnyEvent.ToArbitrary();
    public static Arbitrary<Seq<Event>> Events() => Generators.Events.ToArbitrary();
}
