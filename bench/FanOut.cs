using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Server;
using EventSourced.Domain;
using EventSourced.Domain.Packets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static LanguageExt.Prelude;

namespace EventSourced.Bench;

/// <summary>#6: the local server fanning out group messages to many WebSocket clients on loopback, and its ceiling: one connection's echo round trips.</summary>
public static class FanOut
{
    /// <summary>The sustained phase's delivered rate and p99, the half-rate phase's, and what either lost.</summary>
    public sealed record Result(double DeliveredPerSecond, double SaturatedP99Ms, double HalfRatePerSecond, double P99Ms, long Lost);

    // A raw protocol peer on the client's own WebSocket transport (framing, send lock, read loop).
    internal sealed class Peer : IAsyncDisposable
    {
        readonly WebSocketTransport transport = new();
        readonly CancellationTokenSource stop = new();
        long requestId;
        public readonly ConcurrentDictionary<long, TaskCompletionSource<Json.Obj>> Pending = new();
        public Action<Json.Obj>? OnMessage;
        Task? loop;

        public async Task ConnectAsync(string url, string token)
        {
            await transport.ConnectAsync(new Uri(url), CancellationToken.None);
            loop = transport.ReceiveAsync(OnFrameAsync, Frame.DefaultMaxBytes, stop.Token);
            var r = await RequestAsync(Service.Authen, Json.Object(("accesstoken", token)));
            if (r["r"] != Some<Json>(0L)) throw new InvalidOperationException($"authen failed: {r}");
        }

        Task OnFrameAsync(byte[] raw, bool binary)
        {
            var frame = Frame.DecodeText(raw);
            if (frame.IsLeft) return Task.CompletedTask;
            var p = (Packet)frame;
            if (p.Service == (short)Service.Ping) return SendAsync(new Packet(Service.Ping, Json.Obj.Empty));
            if (p.RequestId.IsSome && Pending.TryRemove((long)p.RequestId, out var tcs)) tcs.TrySetResult(p.Body);
            else if (p.Service == (short)Service.ChatMessageFromServer) OnMessage?.Invoke(p.Body);
            return Task.CompletedTask;
        }

        public Task SendAsync(Packet p) => transport.SendAsync(Frame.EncodeText(p), CancellationToken.None);

        public async Task<Json.Obj> RequestAsync(Service s, Json.Obj body)
        {
            var id = Interlocked.Increment(ref requestId);
            var tcs = new TaskCompletionSource<Json.Obj>(TaskCreationOptions.RunContinuationsAsynchronously);
            Pending[id] = tcs;
            await SendAsync(new Packet(s, body.With("requestId", id)));
            return await tcs.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        public async ValueTask DisposeAsync()
        {
            await transport.DisposeAsync();
            await stop.CancelAsync();
            if (loop is not null) await Task.WhenAny(loop, Task.Delay(2000));
            stop.Dispose();
        }
    }

    /// <summary>The local server as the load measurements run it: send queues deep enough that no client is dropped as slow.</summary>
    // One sender carries a whole measurement's traffic: the per-user request limit (a defence against one user flooding a
    // real server) would measure itself, so the benchmarks lift it.
    internal static readonly ServerConfig Config = ServerConfig.Default with
    {
        SendQueueCapacity = 100_000, Outbox = Path.Combine(Path.GetTempPath(), "stringee-es-bench-outbox"),
        UserRequestsPerSecond = 1_000_000, UserBurst = 1_000_000,
    };

    /// <summary>A token for a user of <see cref="Config"/>'s project, valid for an hour.</summary>
    internal static string Token(string user) => TokenIssuer.Issue(Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, user);

    /// <summary>
    /// The sustained rate: clients in groups of groupSize, each sending as fast as its answers come back for the duration
    /// (every message must reach the other members). Then the latency: the same clients paced to half the delivered rate
    /// found, each message timed from when its schedule said to send it (a sender held up is late, not skipped).
    /// </summary>
    public static async Task<Result> RunAsync(string cli, int clients, int groupSize, TimeSpan duration)
    {
        // The server in a process of its own (the CLI's server command, in memory, as it is deployed): its collections
        // are not the hundred clients', and the clients' are not its.
        await using var server = await ServerProcess.StartAsync(cli);
        var peers = new List<Peer>();
        // Latencies in a fixed histogram of 0.1 ms buckets (up to 60 s): a hundred clients' millions of samples add nothing to the
        // measuring process's heap, whose collections would otherwise be timed as the server's latency.
        var latencies = new long[600_000];
        long delivered = 0;
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < clients; i++)
        {
            var p = new Peer();
            await p.ConnectAsync(server.Url, Token($"load{i}"));
            p.OnMessage = body =>
            {
                if (body["message"].Case is Json.Obj m && m["sentAt"].Case is Json.Number t)
                {
                    var bucket = (long)((clock.Elapsed.TotalMilliseconds - (double)t.Value) * 10);
                    Interlocked.Increment(ref latencies[Math.Clamp(bucket, 0, latencies.Length - 1)]);
                    Interlocked.Increment(ref delivered);
                }
            };
            peers.Add(p);
        }
        var groups = peers.Chunk(groupSize).ToList();
        var convs = new List<string>();
        foreach (var g in groups)
        {
            var created = await g[0].RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(toSeq(Enumerable.Range(1, g.Length - 1)
                .Select(k => (Json)$"load{peers.IndexOf(g[k])}")).Strict())), ("isGroup", true), ("distinct", false)));
            convs.Add(((Json.Str)created["convId"].Case!).Value);
        }

        // One phase: every client sends for the duration, at most one message per interval (none: as fast as answered);
        // what was sent, what arrived, and how late.
        async Task<(long Expected, long Delivered, double P99)> Phase(TimeSpan? interval)
        {
            delivered = 0;
            System.Array.Clear(latencies);
            long sent = 0;
            var start = clock.Elapsed;
            var stop = start + duration;
            var senders = groups.SelectMany((g, gi) => g.Select((p, pi) => Task.Run(async () =>
            {
                // Paced senders start spread over one interval, not all at once.
                var due = start + (interval is { } first ? first * ((gi * groupSize + pi) / (double)clients) : TimeSpan.Zero);
                while (clock.Elapsed < stop)
                {
                    if (interval is not null)
                    {
                        var wait = due - clock.Elapsed;
                        if (wait > TimeSpan.Zero) await Task.Delay(wait);
                    }
                    var sentAt = interval is null ? clock.Elapsed.TotalMilliseconds : due.TotalMilliseconds;
                    var body = Json.Object(("convId", convs[gi]), ("type", 1L), ("message", Json.Object(("content", "x"), ("sentAt", (Json)new Json.Number((decimal)sentAt)))));
                    var r = await p.RequestAsync(Service.ChatMessage, body);
                    if (r["r"] == Some<Json>(0L)) Interlocked.Increment(ref sent);
                    if (interval is { } next) due += next;
                }
            }))).ToList();
            await Task.WhenAll(senders);
            var expected = sent * (groupSize - 1);
            var deadline = clock.Elapsed + TimeSpan.FromSeconds(10);
            while (Interlocked.Read(ref delivered) < expected && clock.Elapsed < deadline) await Task.Delay(50);
            return (expected, Interlocked.Read(ref delivered), Percentile(latencies, 0.99));
        }

        var sustained = await Phase(null);
        var rate = sustained.Delivered / duration.TotalSeconds;
        // Half the delivered rate: each client sends (rate / 2) / (groupSize - 1) / clients messages a second.
        var perClient = rate / 2 / (groupSize - 1) / clients;
        var half = await Phase(perClient > 0 ? TimeSpan.FromSeconds(1 / perClient) : TimeSpan.FromSeconds(1));
        foreach (var p in peers) await p.DisposeAsync();
        return new Result(rate, sustained.P99, half.Delivered / duration.TotalSeconds, half.P99,
            sustained.Expected - sustained.Delivered + (half.Expected - half.Delivered));
    }

    // The upper edge (ms) of the bucket holding the given fraction of the samples.
    static double Percentile(long[] buckets, double fraction)
    {
        var total = buckets.Sum();
        if (total == 0) return 0;
        var rank = (long)Math.Ceiling(total * fraction);
        long seen = 0;
        for (var i = 0; i < buckets.Length; i++)
            if ((seen += buckets[i]) >= rank) return (i + 1) / 10.0;
        return buckets.Length / 10.0;
    }

    /// <summary>The ceiling: round trips of one WebSocket connection to an echo endpoint on the same machine.</summary>
    public static async Task<double> EchoAsync(TimeSpan duration)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        app.Use(async (ctx, next) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest) { await next(ctx); return; }
            using var ws = await ctx.WebSockets.AcceptWebSocketAsync();
            var buffer = new byte[1 << 16];
            while (ws.State == WebSocketState.Open)
            {
                var r = await ws.ReceiveAsync(buffer, CancellationToken.None);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
                    break;
                }
                await ws.SendAsync(buffer.AsMemory(0, r.Count), WebSocketMessageType.Text, true, CancellationToken.None);
            }
        });
        await app.StartAsync();
        var port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        using var client = new ClientWebSocket();
        await client.ConnectAsync(new Uri($"ws://127.0.0.1:{port}"), CancellationToken.None);
        var payload = Frame.EncodeText(new Packet(Service.ChatMessage, Json.Object(("convId", "c"), ("type", 1L), ("message", Json.Object(("content", "x"))))));
        var buffer2 = new byte[1 << 16];
        var trips = 0L;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < duration)
        {
            await client.SendAsync(payload, WebSocketMessageType.Text, true, CancellationToken.None);
            await client.ReceiveAsync(buffer2, CancellationToken.None);
            trips++;
        }
        var rate = trips / watch.Elapsed.TotalSeconds;
        try { await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", new CancellationTokenSource(2000).Token); }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException) { }
        await app.StopAsync();
        await app.DisposeAsync();
        return rate;
    }
}
