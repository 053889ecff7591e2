using System.Reflection;
using Newtonsoft.Json.Linq;

namespace EventSourced.Tests.Snapshots;

/// <summary>One canonical, deterministic instance of any record of the catalogue, and a scrubber for ids and times.</summary>
public static class Samples
{
    public static object Of(Type t, string name = "value")
    {
        if (t == typeof(string)) return name;
        if (t == typeof(long)) return 7L;
        if (t == typeof(int)) return name == "R" ? 0 : 1;
        if (t == typeof(short)) return (short)45;
        if (t == typeof(bool)) return true;
        if (t == typeof(decimal)) return 1.5m;
        if (t == typeof(Json)) return Json.Object(("content", "hello"));
        if (t == typeof(Json.Obj)) return Json.Object(("content", "hello"));
        if (t == typeof(Raw)) return Raw.None;
        if (t.IsEnum) return Enum.GetValues(t).GetValue(0)!;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Option<>))
            return typeof(Samples).GetMethod(nameof(SomeOf), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(t.GetGenericArguments()).Invoke(null, [name])!;
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Seq<>))
            return typeof(Samples).GetMethod(nameof(SeqOf), BindingFlags.NonPublic | BindingFlags.Static)!.MakeGenericMethod(t.GetGenericArguments()).Invoke(null, [name])!;
        var ctor = t.GetConstructors().Where(c => c.GetParameters().All(p => p.ParameterType != t)).OrderByDescending(c => c.GetParameters().Length).First();
        var args = ctor.GetParameters().Select(p => t == typeof(Failure) && p.Name == "R" ? 5 : Of(p.ParameterType, p.Name!)).ToArray();
        return ctor.Invoke(args);
    }

    static Option<T> SomeOf<T>(string name) => Some((T)Of(typeof(T), name));
    static Seq<T> SeqOf<T>(string name) => Seq1((T)Of(typeof(T), name));

    static readonly System.Collections.Generic.HashSet<string> IdFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "requestId", "convId", "msgId", "id", "localDbId", "callId", "groupId", "connectionId", "clientId", "group", "lastMsgId", "pinMsgId", "msgIds", "messageIds", "convIds",
    };
    static readonly System.Collections.Generic.HashSet<string> TimeFields = new(StringComparer.OrdinalIgnoreCase)
    {
        "created", "createdTime", "lastUpdate", "lastTimeNewMsg", "lastMsgTimestamp", "receivedAt", "serverTime", "at",
    };

    /// <summary>Ids and times replaced by placeholders, so a snapshot pins the shape and not the sample values.</summary>
    public static JToken Scrub(JToken token)
    {
        if (token is JObject o)
            foreach (var p in o.Properties().ToList())
                p.Value = IdFields.Contains(p.Name) ? (p.Value is JArray ? new JArray("<id>") : "<id>") : TimeFields.Contains(p.Name) ? "<time>" : Scrub(p.Value);
        else if (token is JArray a)
            for (var i = 0; i < a.Count; i++) a[i] = Scrub(a[i]);
        return token;
    }

    public static JToken Parse(Json json) => Scrub(JToken.Parse(json.ToJsonString()));
}
