using System.Diagnostics;

namespace EventSourced.Tests.Integration.Report;

/// <summary>Debian's Chromium, headless: renders a local page and returns the DOM after scripts and layout.</summary>
public static class Chromium
{
    /// <summary>The rendered DOM of <paramref name="html"/>; a screenshot is written beside it.</summary>
    public static async Task<string> RenderAsync(string html)
    {
        Assert.True(File.Exists("/usr/bin/chromium"), "Debian's chromium is needed for this test (.ci/run installs it)");
        var dir = Path.GetDirectoryName(html)!;
        var psi = new ProcessStartInfo("/usr/bin/chromium", ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={Path.Combine(dir, "profile")}",
            "--window-size=1000,1400", "--dump-dom", $"--screenshot={Path.ChangeExtension(html, ".png")}", new Uri(html).AbsoluteUri])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var chromium = Process.Start(psi)!;
        var dom = chromium.StandardOutput.ReadToEndAsync();
        _ = chromium.StandardError.ReadToEndAsync();
        try
        {
            await chromium.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            if (!chromium.HasExited) chromium.Kill(entireProcessTree: true);
        }
        return await dom;
    }
}
