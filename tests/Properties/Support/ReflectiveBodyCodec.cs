using System.Collections.Concurrent;
using System.Globalization;
using System.Reflection;

namespace EventSourced.Tests.Properties.Support;

// The reflective codec the product used before the generated one (src/Generators): kept here as the oracle the
// generated codec is checked against (GeneratedCodecTests), field by field and error by error.
/// <summary>
/// Maps positional records to and from JSON objects, field by field, so that every packet body
/// is declared once, as a record. Rules: a parameter's field is the camelCase of its name (or
/// <see cref="WireNameAttribute"/>); <c>Option&lt;T&gt;</c> is an optional field (absent or null is None);
/// <c>Seq&lt;T&gt;</c> is an array; a nested record is an object; <see cref="Json"/> is any value.
/// Decoding is total: every missing or wrongly typed field is reported by path, nothing throws.
/// Integers are exact (no rounding); booleans also accept 0 and 1, as older SDKs send.
/// </summary>
public static class ReflectiveBodyCodec
{
    /// <summary>Decodes a JSON object into a record of type <typeparamref name="T"/>.</summary>
    public static Either<string, T> Decode<T>(Json.Obj body) => Decode(typeof(T), body).Map(o => (T)o);

    /// <summary>Decodes a JSON object into a record of the given type.</summary>
    public static Either<string, object> Decode(Type type, Json.Obj body) => RecordCodec.For(type).DecodeObject(body, "");

    /// <summary>Encodes a record as a JSON object (None fields are left out).</summary>
    public static Json.Obj Encode(object record) => RecordCodec.For(record.GetType()).EncodeObject(record);

    static readonly ConcurrentDictionary<Type, FieldCodec> Cache = new();

    internal static FieldCodec CodecFor(Type t) => Cache.GetOrAdd(t, Build);

    static FieldCodec Build(Type t)
    {
        if (t == typeof(string)) return new StringCodec();
        if (t == typeof(long)) return new IntegerCodec(long.MinValue, long.MaxValue, v => v);
        if (t == typeof(int)) return new IntegerCodec(int.MinValue, int.MaxValue, v => (int)v);
        if (t == typeof(short)) return new IntegerCodec(short.MinValue, short.MaxValue, v => (short)v);
        if (t == typeof(bool)) return new BoolCodec();
        if (t == typeof(decimal)) return new DecimalCodec();
        if (t == typeof(Json)) return new AnyCodec();
        if (t == typeof(Json.Obj)) return new ObjCodec();
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Option<>))
            return (FieldCodec)Activator.CreateInstance(typeof(OptionCodec<>).MakeGenericType(t.GetGenericArguments()))!;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Seq<>))
            return (FieldCodec)Activator.CreateInstance(typeof(SeqCodec<>).MakeGenericType(t.GetGenericArguments()))!;
        return RecordCodec.For(t);
    }

    internal abstract class FieldCodec
    {
        public virtual bool Optional => false;
        public abstract Either<string, object> Decode(Json value, string path);
        public abstract Option<Json> Encode(object? value);
        public virtual object? Missing => null;
    }

    static Either<string, object> Wrong(string path, string expected, Json got) =>
        Left<string, object>($"field '{path}' must be {expected}, got {got.Kind}");

    // Explicit: a decoded string must never be taken for an error message by the implicit conversion.
    static Either<string, object> Ok(object value) => Right<string, object>(value);

    sealed class StringCodec : FieldCodec
    {
        public override Either<string, object> Decode(Json v, string path) => v switch
        {
            Json.Str s => Ok(s.Value),
            Json.Number n => Ok(n.Value.ToString(CultureInfo.InvariantCulture)),
            _ => Wrong(path, "a string", v),
        };
        public override Option<Json> Encode(object? v) => new Json.Str((string)v!);
    }

    sealed class IntegerCodec(long min, long max, Func<long, object> box) : FieldCodec
    {
        public override Either<string, object> Decode(Json v, string path) =>
            v is Json.Number n && n.Value == decimal.Truncate(n.Value) && n.Value >= min && n.Value <= max
                ? Ok(box((long)n.Value))
                : Wrong(path, $"an integer in [{min}, {max}]", v);
        public override Option<Json> Encode(object? v) => new Json.Number(Convert.ToInt64(v, CultureInfo.InvariantCulture));
    }

    sealed class BoolCodec : FieldCodec
    {
        public override Either<string, object> Decode(Json v, string path) => v switch
        {
            Json.Bool b => Ok(b.Value),
            Json.Number { Value: 0m } => Ok(false),
            Json.Number { Value: 1m } => Ok(true),
            _ => Wrong(path, "a boolean", v),
        };
        public override Option<Json> Encode(object? v) => new Json.Bool((bool)v!);
    }

    sealed class DecimalCodec : FieldCodec
    {
        public override Either<string, object> Decode(Json v, string path) =>
            v is Json.Number n ? Ok(n.Value) : Wrong(path, "a number", v);
        public override Option<Json> Encode(object? v) => new Json.Number((decimal)v!);
    }

    sealed class AnyCodec : FieldCodec
    {
        public override Either<string, object> Decode(Json v, string path) => Ok(v);
        public override Option<Json> Encode(object? v) => (Json)v!;
    }

    sealed class ObjCodec : FieldCodec
    {
        public override Either<string, object> Decode(Json v, string path) => v is Json.Obj o ? Ok(o) : Wrong(path, "an object", v);
        public override Option<Json> Encode(object? v) => (Json)v!;
    }

    sealed class OptionCodec<T> : FieldCodec
    {
        readonly FieldCodec inner = CodecFor(typeof(T));
        public override bool Optional => true;
        public override object? Missing => Option<T>.None;
        public override Either<string, object> Decode(Json v, string path) =>
            v is Json.Null ? Ok(Option<T>.None) : inner.Decode(v, path).Map(x => (object)Some((T)x));
        public override Option<Json> Encode(object? v) => ((Option<T>)v!).Match(x => inner.Encode(x), () => None);
    }

    sealed class SeqCodec<T> : FieldCodec
    {
        readonly FieldCodec inner = CodecFor(typeof(T));
        public override Either<string, object> Decode(Json v, string path)
        {
            if (v is not Json.Arr a) return Wrong(path, "an array", v);
            var items = new T[a.Items.Count];
            var i = 0;
            foreach (var item in a.Items)
            {
                var d = inner.Decode(item, $"{path}[{i}]");
                if (d.IsLeft) return d;
                items[i++] = (T)d.IfLeft(_ => null!);
            }
            return Ok(toSeq(items).Strict());
        }
        public override Option<Json> Encode(object? v) =>
            new Json.Arr(((Seq<T>)v!).Map(x => inner.Encode(x).IfNone(Json.Null.Value)).Strict());
    }

    sealed class RecordCodec : FieldCodec
    {
        sealed record Field(string Wire, FieldCodec Codec, bool Inline, PropertyInfo Property, Option<object> WhenMissing);

        static readonly ConcurrentDictionary<Type, RecordCodec> Records = new();
        public static RecordCodec For(Type t) => Records.GetOrAdd(t, x => new RecordCodec(x));

        readonly ConstructorInfo ctor;
        readonly Field[] fields;
        readonly Type type;

        RecordCodec(Type t)
        {
            type = t;
            ctor = t.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != t))
                .OrderByDescending(c => c.GetParameters().Length).First();
            fields = ctor.GetParameters().Select(p => new Field(
                p.GetCustomAttribute<WireNameAttribute>()?.Name ?? CamelCase(p.Name!),
                CodecFor(p.ParameterType),
                p.GetCustomAttribute<InlineAttribute>() is not null,
                t.GetProperty(p.Name!)!,
                Optional(p.GetCustomAttribute<WhenMissingAttribute>()).Map(d => Convert.ChangeType(d.Value, p.ParameterType, CultureInfo.InvariantCulture)))).ToArray();
        }

        static string CamelCase(string s) => char.ToLowerInvariant(s[0]) + s[1..];

        public override Either<string, object> Decode(Json v, string path) =>
            v is Json.Obj o ? DecodeObject(o, path) : Wrong(path, "an object", v);

        public Either<string, object> DecodeObject(Json.Obj o, string path)
        {
            var args = new object?[fields.Length];
            for (var i = 0; i < fields.Length; i++)
            {
                var f = fields[i];
                var fieldPath = path.Length == 0 ? f.Wire : $"{path}.{f.Wire}";
                if (f.Inline)
                {
                    var inner = ((RecordCodec)f.Codec).DecodeObject(o, path);
                    if (inner.IsLeft) return inner;
                    args[i] = inner.IfLeft(_ => null!);
                    continue;
                }
                var present = o.Fields.Find(f.Wire);
                if (present.IsNone || (Json)present is Json.Null)
                {
                    if (f.WhenMissing.Case is { } fallback)
                    {
                        args[i] = fallback;
                        continue;
                    }
                    if (!f.Codec.Optional) return Left<string, object>(present.IsNone ? $"missing field '{fieldPath}'" : $"field '{fieldPath}' is null");
                    args[i] = f.Codec.Missing;
                    continue;
                }
                var d = f.Codec.Decode((Json)present, fieldPath);
                if (d.IsLeft) return d;
                args[i] = d.IfLeft(_ => null!);
            }
            return Ok(ctor.Invoke(args));
        }

        public Json.Obj EncodeObject(object record)
        {
            var map = Map<OrdStringOrdinal, string, Json>();
            foreach (var f in fields)
            {
                var value = f.Property.GetValue(record);
                if (f.Inline)
                {
                    foreach (var (k, j) in ((RecordCodec)f.Codec).EncodeObject(value!).Fields) map = map.AddOrUpdate(k, j);
                    continue;
                }
                foreach (var j in f.Codec.Encode(value)) map = map.AddOrUpdate(f.Wire, j);
            }
            return new Json.Obj(map);
        }

        public override Option<Json> Encode(object? v) => EncodeObject(v!);
        public override string ToString() => type.Name;
    }
}
