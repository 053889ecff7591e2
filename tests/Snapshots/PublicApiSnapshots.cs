using System.Reflection;

namespace EventSourced.Tests.Snapshots;

/// <summary>The public surface of each assembly: a change to it shows up as a snapshot diff to review.</summary>
public sealed class PublicApiSnapshots
{
    // A type nested in a generic one is generic without a backtick in its name (VectorDiff<T>.Insert).
    static string Name(Type t) => t.IsGenericType
        ? $"{(t.Name.Contains('`') ? t.Name[..t.Name.IndexOf('`')] : t.Name)}<{string.Join(", ", t.GetGenericArguments().Select(Name))}>"
        : t.IsNested && !t.IsGenericParameter ? $"{Name(t.DeclaringType!)}.{t.Name}" : t.Name;

    static List<string> Surface(Assembly a) => a.GetExportedTypes().OrderBy(t => t.FullName, StringComparer.Ordinal).SelectMany(t =>
        new[] { $"{(t.IsEnum ? "enum" : t.IsInterface ? "interface" : t.IsValueType ? "struct" : t.IsAbstract && t.IsSealed ? "static class" : "class")} {t.FullName}" }
        .Concat(t.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
            .Where(m => m is not MethodInfo { IsSpecialName: true } && m.Name is not ("EqualityContract" or "<Clone>$" or "Deconstruct"))
            .Select(m => "  " + m switch
            {
                MethodInfo mi => $"{Name(mi.ReturnType)} {mi.Name}({string.Join(", ", mi.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}"))})",
                ConstructorInfo c => $"ctor({string.Join(", ", c.GetParameters().Select(p => $"{Name(p.ParameterType)} {p.Name}"))})",
                PropertyInfo p => $"{Name(p.PropertyType)} {p.Name}",
                FieldInfo f => $"{Name(f.FieldType)} {f.Name}",
                Type n => $"nested {n.Name}",
                _ => m.ToString()!,
            }).OrderBy(x => x, StringComparer.Ordinal))).ToList();

    [Fact] public void Domain() => Snapshot.Match(Surface(typeof(Json).Assembly));
    [Fact] public void Projections() => Snapshot.Match(Surface(typeof(EventSourced.Projections.Timeline).Assembly));
    [Fact] public void Client() => Snapshot.Match(Surface(typeof(EventSourced.Adapters.Client.StringeeClient).Assembly));
    [Fact] public void Storage() => Snapshot.Match(Surface(typeof(EventSourced.Adapters.Storage.Marten.MartenClientLog).Assembly));
    [Fact] public void Server() => Snapshot.Match(Surface(typeof(EventSourced.Adapters.Server.StringeeServer).Assembly));
}
