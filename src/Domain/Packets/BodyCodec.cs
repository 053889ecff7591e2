using System.Collections.Generic;
using System.Globalization;

namespace EventSourced.Domain.Packets;

/// <summary>Names the JSON field of a record parameter when it is not the camelCase of the parameter name.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class WireNameAttribute(string name) : Attribute
{
    /// <summary>The field name on the wire.</summary>
    public string Name { get; } = name;
}

/// <summary>
/// The value a required field takes when a request leaves it out (or sends null), as Stringee's
/// Android SDK assumes: e.g. <c>isGroup</c> false on create, no upper bound on a message load.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class WhenMissingAttribute(object value) : Attribute
{
    /// <summary>The default (a bool, int, long or string, as the parameter is).</summary>
    public object Value { get; } = value;
}

/// <summary>Marks a record parameter whose fields are read from, and written to, the enclosing object.</summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class InlineAttribute : Attribute;

/// <summary>
/// Maps positional records to and from JSON objects, field by field, so that every packet body
/// is declared once, as a record. Rules: a parameter's field is the camelCase of its name (or
/// <see cref="WireNameAttribute"/>); <c>Option&lt;T&gt;</c> is an optional field (absent or null is None);
/// <c>Seq&lt;T&gt;</c> is an array; a nested record is an object; <see cref="Json"/> is any value.
/// Decoding is total: every missing or wrongly typed field is reported by path, nothing throws.
/// Integers are exact (no rounding); booleans also accept 0 and 1, as older SDKs send.
/// The code is written at compile time (src/Generators) for every record of this assembly that these rules cover:
/// no reflection at run time, so the codec is trim- and AOT-safe.
/// </summary>
public static class BodyCodec
{
    /// <summary>Decodes a JSON object into a record of type <typeparamref name="T"/>.</summary>
    public static Either<string, T> Decode<T>(Json.Obj body) => Decode(typeof(T), body).Map(o => (T)o);

    /// <summary>Decodes a JSON object into a record of the given type.</summary>
    public static Either<string, object> Decode(Type type, Json.Obj body) => GeneratedCodecs.For(type) is { } c
        ? c.Decode(body, "")
        : Left<string, object>(GeneratedCodecs.NoCodec(type));

    /// <summary>Encodes a record as a JSON object (None fields are left out).</summary>
    /// <exception cref="ArgumentNullException">The record is null.</exception>
    /// <exception cref="ArgumentException">The type is not a wire record of this assembly (a programming error).</exception>
    public static Json.Obj Encode(object record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return GeneratedCodecs.For(record.GetType()) is { } c ? c.Encode(record) : throw new ArgumentException(GeneratedCodecs.NoCodec(record.GetType()), nameof(record));
    }

    /// <summary>Every record type the codec maps.</summary>
    public static IEnumerable<Type> Types => GeneratedCodecs.All;
}

/// <summary>The generated table (the other half of this class is written by src/Generators).</summary>
static partial class GeneratedCodecs
{
    internal sealed record RecordCodec(Func<Json.Obj, string, Either<string, object>> Decode, Func<object, Json.Obj> Encode);

    static readonly Dictionary<Type, RecordCodec> Table = Build();

    static Dictionary<Type, RecordCodec> Build()
    {
        var table = new Dictionary<Type, RecordCodec>();
        Register(table);
        return table;
    }

    static partial void Register(Dictionary<Type, RecordCodec> table);

    internal static RecordCodec? For(Type t) => Table.TryGetValue(t, out var c) ? c : null;

    internal static IEnumerable<Type> All => Table.Keys;

    internal static string NoCodec(Type t) => $"no codec for '{t.FullName}': not a wire record of EventSourced.Domain";
}

/// <summary>What the generated codec calls: the decoding of one JSON value, and the error texts (the same for every record).</summary>
static class CodecSupport
{
    internal static string Field(string path, string wire) => path.Length == 0 ? wire : $"{path}.{wire}";
    internal static string Item(string path, int i) => $"{path}[{i}]";
    internal static string Missing(string path) => $"missing field '{path}'";
    internal static string IsNull(string path) => $"field '{path}' is null";
    internal static string Wrong(string path, string expected, Json got) => $"field '{path}' must be {expected}, got {got.Kind}";
    internal static string IntegerIn(long min, long max) => $"an integer in [{min}, {max}]";

    internal static bool String(Json v, out string value)
    {
        switch (v)
        {
            case Json.Str s: value = s.Value; return true;
            case Json.Number n: value = n.Value.ToString(CultureInfo.InvariantCulture); return true;
            default: value = ""; return false;
        }
    }

    internal static bool Integer(Json v, long min, long max, out long value)
    {
        if (v is Json.Number n && n.Value == decimal.Truncate(n.Value) && n.Value >= min && n.Value <= max)
        {
            value = (long)n.Value;
            return true;
        }
        value = 0;
        return false;
    }

    internal static bool Boolean(Json v, out bool value)
    {
        switch (v)
        {
            case Json.Bool b: value = b.Value; return true;
            case Json.Number { Value: 0m }: value = false; return true;
            case Json.Number { Value: 1m }: value = true; return true;
            default: value = false; return false;
        }
    }
}
