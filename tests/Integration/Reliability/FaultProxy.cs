using System.Net;
using System.Net.WebSockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>What the proxy does to frames from the server to the client.</summary>
public sealed record Faults(double Drop = 0, double Duplicate = 0, int MaxDelayMs = 0, int ReorderWindow = 1, int CutEvery = 0, int Seed = 1);

/// <summary>
/// A WebSocket proxy on 127.0.0.1 between clients and a server that drops, duplicates, delays and
/// reorders (within a window) frames from the server, and cuts the connection every so many frames.
/// Frames from the client pass as they are. Bounded: it runs until disposed.
/// </summary>
public sealed class FaultProxy : IAsyncDisposable
{
    readonly WebApplication app;
    public string Url { get; }
    public long Dropped => Interlocked.Read(ref dropped);
    public long Duplicated => Interlocked.Read(ref duplicated);
    public long Cuts => Interlocked.Read(ref cuts);
    /// <summary>While set, every frame from the server for which it is true is dropped (a lost answer, on purpose).</summary>
    public Func<string, bool>? DropWhen { get; set; }
    long dropped, duplicated, cuts;

    FaultProxy(WebApplication app, string url)
    {
        this.app = app;
        Url = url;
    }

    public static async Task<FaultProxy> StartAsync(string target, Faults faults)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        app.UseWebSockets();
        FaultProxy? proxy = null;
        var random = new Random(faults.Seed);
        app.Run(async ctx =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest) return;
            using var client = await ctx.WebSockets.AcceptWebSocketAsync();
            using var server = new ClientWebSocket();
            using var connect = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await server.ConnectAsync(new Uri(target), connect.Token);
            using var life = new CancellationTokenSource();
            var up = Pump(client, server, null, life.Token);
            var down = Pump(server, client, frame => proxy!.Fault(frame, faults, random), life.Token);
            await Task.WhenAny(up, down);
            await life.CancelAsync();
            client.Abort();
            server.Abort();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        proxy = new FaultProxy(app, $"ws://127.0.0.1:{new Uri(address).Port}");
        return proxy;
    }

    readonly List<byte[]> window = [];
    int sinceCut;

    // The frames to pass on now for one frame from the server (none when dropped or held for reordering); null cuts the connection.
    List<byte[]>? Fault(byte[] frame, Faults f, Random random)
    {
        lock (window)
        {
            if (DropWhen is { } when && when(System.Text.Encoding.UTF8.GetString(frame)))
            {
                Interlocked.Increment(ref dropped);
                return [];
            }
            if (f.CutEvery > 0 && ++sinceCut >= f.CutEvery)
            {
                sinceCut = 0;
                window.Clear();
                Interlocked.Increment(ref cuts);
                return null;
            }
            if (random.NextDouble() < f.Drop)
            {
                Interlocked.Increment(ref dropped);
                return [];
            }
            window.Add(frame);
            if (random.NextDouble() < f.Duplicate)
            {
                window.Add(frame);
                Interlocked.Increment(ref duplicated);
            }
            if (window.Count < f.ReorderWindow) return [];
            var out_ = window.OrderBy(_ => random.Next()).ToList();
            window.Clear();
            return out_;
        }
    }

    static async Task Pump(WebSocket from, WebSocket to, Func<byte[], List<byte[]>?>? fault, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (from.State == WebSocketState.Open && to.State == WebSocketState.Open)
            {
                using var ms = new MemoryStream();
                WebSocketReceiveResult r;
                do
                {
                    r = await from.ReceiveAsync(buffer, ct);
                    if (r.MessageType == WebSocketMessageType.Close) return;
                    ms.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                var frames = fault is null ? [ms.ToArray()] : fault(ms.ToArray());
                if (frames is null)
                {
                    // Cut mid-way: half a frame, then the connection drops.
                    var half = ms.ToArray();
                    await to.SendAsync(half.AsMemory(0, half.Length / 2), WebSocketMessageType.Text, false, ct);
                    return;
                }
                foreach (var frame in frames) await to.SendAsync(frame, r.MessageType, true, ct);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            // either side went away
        }
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
