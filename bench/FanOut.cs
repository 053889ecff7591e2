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
    public sealed record Result(double DeliveredPerSecond, double P99Ms, long Lost, long Delivered);

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

    /// <summary>clients in groups of groupSize, each sending for the duration; every message must reach the other members.</summary>
    public static async Task<Result> RunAsync(int clients, int groupSize, TimeSpan duration)
    {
        await using var server = await StringeeServer.StartAsync(Config);
        var peers = new List<Peer>();
        var latencies = new ConcurrentBag<double>();
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
                    latencies.Add(clock.Elapsed.TotalMilliseconds - (double)t.Value);
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
        delivered = 0;
        latencies.Clear();
        long sent = 0;
        var stop = clock.Elapsed + duration;
        var senders = groups.SelectMany((g, gi) => g.Select(p => Task.Run(async () =>
        {
            while (clock.Elapsed < stop)
            {
                var body = Json.Object(("convId", convs[gi]), ("type", 1L), ("message", Json.Object(("content", "x"), ("sentAt", (long)clock.Elapsed.TotalMilliseconds))));
                var r = await p.RequestAsync(Service.ChatMessage, body);
                if (r["r"] == Some<Json>(0L)) Interlocked.Increment(ref sent);
            }
        }))).ToList();
        await Task.WhenAll(senders);
        var elapsed = duration.TotalSeconds;
        var expected = sent * (groupSize - 1);
        var deadline = clock.Elapsed + TimeSpan.FromSeconds(10);
        while (Interlocked.Read(ref delivered) < expected && clock.Elapsed < deadline) await Task.Delay(50);
        foreach (var p in peers) await p.DisposeAsync();
        var sorted = latencies.Order().ToList();
        var p99 = sorted.Count == 0 ? 0 : sorted[(int)Math.Min(sorted.Count - 1, sorted.Count * 0.99)];
        return new Result(Interlocked.Read(ref delivered) / elapsed, p99, expected - Interlocked.Read(ref delivered), Interlocked.Read(ref delivered));
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
