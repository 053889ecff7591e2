using System.Collections;
using System.Reflection;
using EventSourced.Domain;
using LanguageExt;

namespace EventSourced.Tests.Properties.Support;

/// <summary>Turns records with LanguageExt collections into plain dictionaries and lists (for snapshots and readable diffs).</summary>
public static class Plain
{
    public static object? Of(object? value) => value switch
    {
        null => null,
        string or bool or int or long or short or decimal or double => value,
        Enum e => e.ToString(),
        Json j => j.ToJsonString(),
        _ when value.GetType().IsGenericType && value.GetType().GetGenericTypeDefinition() == typeof(Option<>) => OptionValue(value),
        _ when IsMap(value.GetType()) => MapOf((IEnumerable)value),
        IEnumerable xs => xs.Cast<object?>().Select(Of).ToList(),
        _ when value.GetType().IsValueType && value.GetType().FullName!.StartsWith("System.ValueTuple", StringComparison.Ordinal) =>
            value.GetType().GetFields().ToDictionary(f => f.Name, f => Of(f.GetValue(value))),
        _ => Record(value),
    };

    static bool IsMap(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() is var d
        && (d == typeof(Map<,>) || d == typeof(HashMap<,>) || d == typeof(Map<,,>) || d == typeof(HashMap<,,>));

    static object? OptionValue(object option)
    {
        var items = ((IEnumerable)option.GetType().GetMethod("AsEnumerable")!.Invoke(option, null)!).Cast<object?>().ToList();
        return items.Count == 0 ? null : Of(items[0]);
    }

    static SortedDictionary<string, object?> MapOf(IEnumerable map)
    {
        var result = new SortedDictionary<string, object?>(StringComparer.Ordinal);
        foreach (var kv in map)
        {
            var t = kv!.GetType();
            var key = t.GetField("Item1")?.GetValue(kv) ?? t.GetProperty("Key")!.GetValue(kv);
            var val = t.GetField("Item2")?.GetValue(kv) ?? t.GetProperty("Value")!.GetValue(kv);
            result[Convert.ToString(key, System.Globalization.CultureInfo.InvariantCulture)!] = Of(val);
        }
        return result;
    }

    static SortedDictionary<string, object?> Record(object value)
    {
        var result = new SortedDictionary<string, object?>(StringComparer.Ordinal) { ["$type"] = value.GetType().Name };
        foreach (var p in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length > 0 || p.Name == "EqualityContract") continue;
            result[p.Name] = Of(p.GetValue(value));
        }
        return result;
    }
}
