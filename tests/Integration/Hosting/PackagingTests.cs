using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace EventSourced.Tests.Integration.Hosting;

/// <summary>What `dotnet pack` gives a user: the packages' ids, metadata and dependencies, and a tool that installs and runs.</summary>
public sealed class PackagingTests
{
    static readonly string Repo = FindRepo();

    static string FindRepo()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "EventSourced.sln"))) return dir.FullName;
        throw new InvalidOperationException("EventSourced.sln not found above " + AppContext.BaseDirectory);
    }

    static async Task<(int Code, string Out)> Run(string file, IEnumerable<string> args, IDictionary<string, string>? env = null, int seconds = 240)
    {
        var psi = new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Repo };
        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        psi.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (k, v) in env ?? new Dictionary<string, string>()) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in {seconds} s");
        }
        return (p.ExitCode, await stdout + await stderr);
    }

    static XElement Metadata(string nupkg)
    {
        using var zip = ZipFile.OpenRead(nupkg);
        var nuspec = zip.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var s = nuspec.Open();
        return XDocument.Load(s).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
    }

    static string? Field(XElement metadata, string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    [Fact]
    public async Task Pack_gives_one_package_per_thing_a_user_installs_each_licensed_described_and_with_symbols_and_the_tool_installs_and_runs()
    {
        var dir = Directory.CreateTempSubdirectory("stringee-es-pack-").FullName;
        try
        {
            var (code, output) = await Run("dotnet", ["pack", Path.Combine(Repo, "EventSourced.sln"), "-c", "Release", "--no-build", "-o", dir, "-nologo"]);
            Assert.True(code == 0, output);
            var packages = Directory.GetFiles(dir, "*.nupkg").ToDictionary(p => Path.GetFileName(p)[..Path.GetFileName(p).IndexOf(".0.", StringComparison.Ordinal)]);
            Assert.Equal(["StringeeEs.Client", "StringeeEs.Domain", "StringeeEs.Marten", "StringeeEs.Projections", "StringeeEs.Server", "stringee-es"],
                packages.Keys.Order(StringComparer.Ordinal).ToArray());
            foreach (var (id, path) in packages)
            {
                var m = Metadata(path);
                Assert.Equal(id, Field(m, "id"));
                Assert.Equal("MIT", Field(m, "license"));
                Assert.Equal("README.md", Field(m, "readme"));
                var description = Field(m, "description") ?? "";
                Assert.True(description.Length > 60 && description != "Package Description", $"{id}: '{description}'");
                Assert.Contains("stringee", Field(m, "tags") ?? "", StringComparison.Ordinal);
                var repository = m.Elements().Single(e => e.Name.LocalName == "repository");
                Assert.Equal("git", repository.Attribute("type")?.Value);
                Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")?.Value ?? "");
                using var zip = ZipFile.OpenRead(path);
                Assert.Contains(zip.Entries, e => e.FullName == "README.md");
                Assert.Contains(zip.Entries, e => e.FullName == "LICENSE");
                Assert.True(File.Exists(Path.ChangeExtension(path, ".snupkg")), $"{id} has no symbols package");
            }
            // The client pulls neither ASP.NET Core nor PostgreSQL; the server is what brings ASP.NET Core.
            string[] Dependencies(string id) => Metadata(packages[id]).Descendants().Where(e => e.Name.LocalName == "dependency")
                .Select(e => e.Attribute("id")!.Value).ToArray();
            string[] Frameworks(string id) => Metadata(packages[id]).Descendants().Where(e => e.Name.LocalName == "frameworkReference")
                .Select(e => e.Attribute("name")!.Value).ToArray();
            Assert.Empty(Frameworks("StringeeEs.Client"));
            Assert.DoesNotContain(Dependencies("StringeeEs.Client"), d => d is "Marten" or "Npgsql" or "StringeeEs.Marten" or "StringeeEs.Server");
            Assert.Contains("StringeeEs.Projections", Dependencies("StringeeEs.Client"));
            Assert.Equal(["LanguageExt.Core"], Dependencies("StringeeEs.Domain"));
            Assert.Contains("Microsoft.AspNetCore.App", Frameworks("StringeeEs.Server"));
            Assert.Contains("Marten", Dependencies("StringeeEs.Marten"));
            var tool = Metadata(packages["stringee-es"]);
            Assert.Contains(tool.Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");

            // Installed from the folder as a user would, into a package cache of its own (never a stale copy from the machine's).
            var tools = Path.Combine(dir, "tools");
            var env = new Dictionary<string, string> { ["NUGET_PACKAGES"] = Path.Combine(dir, "cache") };
            (code, output) = await Run("dotnet", ["tool", "install", "--tool-path", tools, "--add-source", dir, "stringee-es"], env);
            Assert.True(code == 0, output);
            (code, output) = await Run(Path.Combine(tools, "stringee-es"), ["token", "--user", "alice"], env, 60);
            Assert.True(code == 0, output);
            Assert.Matches(@"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\s*$", output);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
