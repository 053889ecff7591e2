using System.Reflection;
using System.Xml.Linq;
using EventSourced.Adapters.Client;

namespace EventSourced.Tests.Integration.Hosting;

/// <summary>What a C# caller relies on across the whole seed API: null arguments throw, and every call documents its parameters, result and failure codes.</summary>
public sealed class ApiShapeTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    // The calls of the seed API: StringeeClient's public methods that answer with a Fin.
    static readonly MethodInfo[] Calls = typeof(StringeeClient).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
        .Where(m => m.ReturnType.IsGenericType && m.ReturnType.GetGenericTypeDefinition() == typeof(Task<>)
                    && m.ReturnType.GenericTypeArguments[0].Name.StartsWith("Fin", StringComparison.Ordinal))
        .ToArray();

    // Arguments a call accepts (its outcome does not matter here: only whether a null is caught first).
    static object? Valid(Type t) =>
        t == typeof(string) ? "x"
        : t == typeof(Seq<string>) ? Seq1("x")
        : t == typeof(Option<string>) ? Option<string>.None
        : t == typeof(int) ? 1
        : t == typeof(long) ? 1L
        : t == typeof(bool) ? false
        : t == typeof(CancellationToken) ? CancellationToken.None
        : t == typeof(ChatRequestRef) ? new ChatRequestRef("x", "c", "C", 1, false)
        : t == typeof(Json.Obj) ? Json.Object(("content", "x"))
        : null;

    [Fact]
    public void The_api_has_its_calls() => Assert.True(Calls.Length >= 40, $"{Calls.Length} calls found");

    [Fact]
    public async Task A_null_for_any_string_or_object_argument_is_an_ArgumentNullException_naming_it()
    {
        await using var client = new StringeeClient(Clients.Options(f.Server));
        var checkedArguments = 0;
        foreach (var call in Calls)
        {
            var parameters = call.GetParameters();
            for (var i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                // Documented exceptions: a null text is an empty one, null options are the defaults.
                if (p.ParameterType.IsValueType || (call.Name == nameof(StringeeClient.SendTextAsync) && p.Name == "text") || p.Name == "options") continue;
                var args = parameters.Select(q => Valid(q.ParameterType)).ToArray();
                args[i] = null;
                var thrown = await Record.ExceptionAsync(async () => await (dynamic)call.Invoke(client, args)!);
                var ane = Assert.IsType<ArgumentNullException>(thrown is TargetInvocationException t ? t.InnerException : thrown);
                Assert.Equal(p.Name, ane.ParamName);
                checkedArguments++;
            }
        }
        Assert.True(checkedArguments >= 50, $"{checkedArguments} arguments checked");
    }

    [Fact]
    public void Every_call_documents_each_parameter_its_result_and_its_failure_codes()
    {
        var xml = XDocument.Load(Path.ChangeExtension(typeof(StringeeClient).Assembly.Location, ".xml"));
        var members = xml.Descendants("member").ToDictionary(m => (string)m.Attribute("name")!, m => m);
        var problems = new List<string>();
        foreach (var call in Calls)
        {
            var id = $"M:{call.DeclaringType!.FullName}.{call.Name}({string.Join(",", call.GetParameters().Select(p => DocName(p.ParameterType)))})";
            if (!members.TryGetValue(id, out var doc)) { problems.Add($"{call.Name}: no doc ({id})"); continue; }
            foreach (var p in call.GetParameters())
                if (!doc.Elements("param").Any(e => (string?)e.Attribute("name") == p.Name && e.Value.Trim().Length > 10)) problems.Add($"{call.Name}: parameter {p.Name} undocumented");
            if (doc.Element("returns") is not { } returns || returns.Value.Trim().Length < 10) problems.Add($"{call.Name}: no <returns>");
            if (!doc.ToString().Contains("-1", StringComparison.Ordinal) && !doc.ToString().Contains("-2", StringComparison.Ordinal)) problems.Add($"{call.Name}: no failure codes");
            if (!doc.Elements("exception").Any(e => ((string?)e.Attribute("cref"))?.EndsWith("ArgumentNullException", StringComparison.Ordinal) == true))
                problems.Add($"{call.Name}: ArgumentNullException undocumented");
        }
        Assert.True(problems.Count == 0, string.Join("\n", problems));
    }

    // A parameter type as C#'s documentation ids write it.
    static string DocName(Type t) => t.IsGenericType
        ? $"{t.Namespace}.{t.Name[..t.Name.IndexOf('`', StringComparison.Ordinal)]}{{{string.Join(",", t.GenericTypeArguments.Select(DocName))}}}"
        : (t.FullName ?? t.Name).Replace('+', '.');
}
