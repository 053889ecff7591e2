using System.Diagnostics;
using System.Threading.Channels;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>
/// Stringee's own web SDK (npm "stringee", run by Node with a WebSocket global and a
/// localStorage shim) against this server: connect, authenticate, create a conversation, send,
/// and receive another user's message, typing and read report. `.ci/run` installs the package.
/// </summary>
public sealed class WebSdkTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static string WebSdkFolder()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "EventSourced.sln"))) dir = dir.Parent;
        Assert.True(dir is not null, "repository root not found above the test binaries");
        var folder = Path.Combine(dir!.FullName, "tests", "Integration", "websdk");
        Assert.True(Directory.Exists(Path.Combine(folder, "node_modules", "stringee")),
            $"the web SDK is not installed: run 'npm ci --prefix {folder}' (.ci/run does)");
        return folder;
    }

    [Fact]
    public async Task The_stringee_web_sdk_connects_creates_sends_and_receives_messages_typing_and_reads()
    {
        var folder = WebSdkFolder();
        var web = U("web");
        var bobId = U("bob");
        await using var bob = await f.Login(bobId);
        var psi = new ProcessStartInfo("node", ["scenario.js", f.Server.Url, f.Token(web), bobId])
        {
            WorkingDirectory = folder, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        using var node = Process.Start(psi)!;
        var lines = Channel.CreateUnbounded<Json.Obj>();
        var transcript = new System.Collections.Concurrent.ConcurrentQueue<string>();
        node.ErrorDataReceived += (_, e) => { if (e.Data is { } err) transcript.Enqueue("stderr: " + err); };
        node.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } raw) transcript.Enqueue(raw);
            if (e.Data is { } line && line.StartsWith('{') && Json.Parse(line).Case is Json.Obj o) lines.Writer.TryWrite(o);
        };
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        try
        {
            // The SDK raises some events asynchronously (typing after a conversation lookup), so events are matched in any order.
            var seen = new List<Json.Obj>();
            async Task<Json.Obj> Next(string evt)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
                while (true)
                {
                    var found = seen.Find(o => o.Str("event") == evt);
                    if (found is not null)
                    {
                        seen.Remove(found);
                        return found;
                    }
                    try
                    {
                        var o = await lines.Reader.ReadAsync(timeout.Token);
                        if (o.Str("event") is "error" or "timeout") Assert.Fail($"web SDK scenario failed: {o}");
                        seen.Add(o);
                    }
                    catch (OperationCanceledException)
                    {
                        Assert.Fail($"no '{evt}' from the web SDK within 15 s; it printed:\n{string.Join("\n", transcript.Where(l => !l.StartsWith("  ", StringComparison.Ordinal)))}");
                        throw;
                    }
                }
            }

            Assert.Equal(0L, (await Next("authen")).Int("r"));
            var conv = (await Next("created")).Str("convId");
            Assert.Equal(2L, (await Next("sent")).Int("seq"));
            var fromWeb = await bob.WaitForAsync(Service.ChatMessageFromServer, m => m.Str("convId") == conv && m.Int("type") == 1);
            Assert.Equal((web, "hello from the web sdk"), (fromWeb.Str("from"), fromWeb.Obj("message").Str("content")));

            var reply = await bob.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "hi web")))));
            var got = await Next("message");
            Assert.Equal((bobId, "hi web", reply.Int("seq")), (got.Str("from"), got.Str("content"), got.Int("seq")));
            await bob.RequestAsync(Service.ChatUserBeginTyping, Json.Object(("convId", conv), ("userId", bobId)));
            Assert.Equal(bobId, (await Next("typing")).Str("userId"));
            await bob.RequestAsync(Service.ChatMessageReport, Json.Object(("convId", conv), ("lastMsgSeq", 2L), ("status", 2L)));
            var read = await Next("read");
            // The server sends lastMsgSeq 2; the SDK's own markParticipantRead handler rewrites the packet to its conversation's last seq.
            Assert.Equal(bobId, read.Str("from"));
            Assert.InRange(read.Int("lastMsgSeq"), 2L, reply.Int("seq"));
            await Next("done");
            await node.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            Assert.Equal(0, node.ExitCode);
        }
        finally
        {
            if (!node.HasExited) node.Kill(entireProcessTree: true);
        }
    }
}
