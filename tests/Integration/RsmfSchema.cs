extern alias JsonSchemaNet;
using JsonSchemaNet::Json.Schema;

namespace EventSourced.Tests.Integration;

/// <summary>Relativity's RSMF 2.0 manifest schema (../shared/reference/rsmf), evaluated with formats asserted.</summary>
static class RsmfSchema
{
    public static string Path()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = System.IO.Path.Combine(dir.FullName, "shared", "reference", "rsmf", "rsmf_schema_2_0_0.json");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("the RSMF 2.0 schema (../shared/reference/rsmf/rsmf_schema_2_0_0.json) was not found above " + AppContext.BaseDirectory);
    }

    /// <summary>The errors, empty when the manifest is valid.</summary>
    public static IReadOnlyList<string> Errors(System.Text.Json.JsonElement manifest)
    {
        // The schema declares draft-07 ("definitions" and all).
        var schema = JsonSchema.FromText(File.ReadAllText(Path()), new BuildOptions { Dialect = Dialect.Draft07 });
        var result = schema.Evaluate(manifest, new EvaluationOptions { OutputFormat = OutputFormat.List, RequireFormatValidation = true });
        if (result.IsValid) return [];
        var errors = (result.Details ?? []).Where(d => d.Errors is not null).SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).ToList();
        return errors.Count > 0 ? errors : ["invalid (no detail)"];
    }
}
