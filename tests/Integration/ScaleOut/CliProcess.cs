using System.Collections.Concurrent;
using System.Diagnostics;

namespace EventSourced.Tests.Integration.ScaleOut;

/// <summary>A running <c>stringee-es</c> command: its output lines as they come, waited on with a timeout, and killed like a crash (SIGKILL).</summary>
sealed class CliProcess : IAsyncDisposable
{
    readonly Process process;
    readonly BlockingCollection<string> lines = new(boundedCapacity: 10_000);
    readonly ConcurrentQueue<string> seen = new();
    readonly Task pump;
    readonly Task errors;

    public string Name { get; }

    CliProcess(string name, Process p)
    {
        Name = name;
        process = p;
        pump = Task.Run(async () =>
        {
            while (await p.StandardOutput.ReadLineAsync() is { } line)
            {
                seen.Enqueue(line);
                lines.TryAdd(line);
            }
            lines.CompleteAdding();
        });
        errors = Task.Run(async () =>
        {
            while (await p.StandardError.ReadLineAsync() is { } line) seen.Enqueue($"stderr: {line}");
        });
    }

    public static CliProcess Start(string name, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), .. args])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        return new CliProcess(name, Process.Start(psi)!);
    }

    /// <summary>Everything the process printed so far (for failure messages).</summary>
    public string Output => string.Join("\n", seen);

    /// <summary>Waits for the next line that contains <paramref name="text"/>; fails with the output if the process ends or the time passes first.</summary>
    public async Task WaitForAsync(string text, TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        var found = await Task.Run(() =>
        {
            try
            {
                foreach (var line in lines.GetConsumingEnumerable(timeout.Token))
                    if (line.Contains(text, StringComparison.Ordinal)) return true;
            }
            catch (OperationCanceledException)
            {
            }
            return false;
        });
        Assert.True(found, $"{Name} printed no line with '{text}' within {within}:\n{Output}");
    }

    public bool HasExited => process.HasExited;

    public async Task KillAsync()
    {
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await Task.WhenAll(pump, errors).WaitAsync(TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        process.Dispose();
        lines.Dispose();
    }
}
