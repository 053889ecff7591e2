using System.Diagnostics;

namespace EventSourced.Bench;

/// <summary>The local server in a process of its own (the CLI's server command, in memory), so its work is not the measuring process's.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    readonly Process process;
    readonly string config;
    public string Url { get; }

    ServerProcess(Process process, string config, string url) => (this.process, this.config, Url) = (process, config, url);

    public static async Task<ServerProcess> StartAsync(string cli)
    {
        var config = Path.Combine(Path.GetTempPath(), $"stringee-es-bench-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, FanOut.Config.ToJson());
        var psi = new ProcessStartInfo("dotnet", ["exec", cli, "server", "--config", config, "--port", "0", "--in-memory"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        var p = Process.Start(psi) ?? throw new InvalidOperationException("the server process did not start");
        var errors = p.StandardError.ReadToEndAsync();
        string? line;
        do line = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        while (line is not null && !line.Contains("listening on ws://", StringComparison.Ordinal));
        if (line is null)
        {
            var said = await errors.WaitAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            throw new InvalidOperationException($"the server process ({cli}) ended before listening: {said.Trim()}");
        }
        var url = line[line.IndexOf("ws://", StringComparison.Ordinal)..].Split(' ')[0];
        _ = p.StandardOutput.ReadToEndAsync();
        return new ServerProcess(p, config, url);
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
        File.Delete(config);
    }
}

