using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace EventSourced.Tests.Properties.Domain;

/// <summary>The Domain is pure: it references LanguageExt and the base library's pure parts, and calls no clock, randomness or I/O.</summary>
public sealed class DomainPurityTests
{
    static readonly Assembly Domain = typeof(Json).Assembly;

    // The base-library assemblies a pure core may use (collections, text, JSON reading and writing in memory).
    static readonly System.Collections.Generic.HashSet<string> Allowed =
    [
        "LanguageExt.Core", "System.Runtime", "System.Collections", "System.Collections.Concurrent", "System.Linq", "System.Memory",
        "System.Text.Json", "System.Text.Encodings.Web", "System.Runtime.InteropServices", "System.ObjectModel", "netstandard",
    ];

    [Fact]
    public void Domain_references_nothing_but_LanguageExt_and_pure_base_library_assemblies()
    {
        var refs = Domain.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("LanguageExt.Core", refs);
        Assert.DoesNotContain(refs, r => !Allowed.Contains(r));
    }

    [Fact]
    public void Domain_calls_no_clock_randomness_environment_or_io()
    {
        using var stream = File.OpenRead(Domain.Location);
        using var pe = new PEReader(stream);
        var md = pe.GetMetadataReader();
        var called = md.MemberReferences.Select(h => md.GetMemberReference(h)).Select(m =>
        {
            var parent = m.Parent.Kind == HandleKind.TypeReference ? md.GetTypeReference((TypeReferenceHandle)m.Parent) : default;
            var type = m.Parent.Kind == HandleKind.TypeReference ? $"{md.GetString(parent.Namespace)}.{md.GetString(parent.Name)}" : "";
            return $"{type}::{md.GetString(m.Name)}";
        }).ToHashSet();
        string[] forbidden =
        [
            "System.DateTime::get_Now", "System.DateTime::get_UtcNow", "System.DateTimeOffset::get_Now", "System.DateTimeOffset::get_UtcNow",
            "System.Guid::NewGuid", "System.Random::.ctor", "System.Environment::get_TickCount64", "System.Diagnostics.Stopwatch::GetTimestamp",
        ];
        Assert.DoesNotContain(forbidden, called.Contains);
        var typesUsed = md.TypeReferences.Select(h => md.GetTypeReference(h)).Select(t => md.GetString(t.Namespace)).ToHashSet();
        Assert.DoesNotContain("System.IO", typesUsed);
        Assert.DoesNotContain("System.Net", typesUsed);
        Assert.DoesNotContain("System.Net.Sockets", typesUsed);
        Assert.DoesNotContain("System.Threading.Tasks", typesUsed);
    }

    [Fact]
    public void Projections_do_not_reference_the_adapters_or_any_store() =>
        Assert.DoesNotContain(typeof(EventSourced.Projections.Timeline).Assembly.GetReferencedAssemblies(),
            a => a.Name!.StartsWith("EventSourced.Adapters", StringComparison.Ordinal) || a.Name is "Marten" or "Npgsql");

    [Fact]
    public void The_client_references_neither_ASP_NET_Core_nor_PostgreSQL_nor_the_server()
    {
        var refs = typeof(EventSourced.Adapters.Client.StringeeClient).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();
        Assert.Contains("EventSourced.Projections", refs);
        Assert.DoesNotContain(refs, r => r.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || r is "Marten" or "Npgsql" or "EventSourced.Adapters.Storage" or "EventSourced.Adapters.Server");
    }
}
