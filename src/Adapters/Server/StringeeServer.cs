using System.Collections.Concurrent;
using System.Net;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.InMemory;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace EventSourced.Adapters.Server;

/// <summary>
/// The local Stringee-compatible server: WebSocket packets on any path of
/// <c>ws://127.0.0.1:PORT</c>, and the REST endpoints of server discovery and live chat.
/// </summary>
public sealed class StringeeServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly CancellationTokenSource stopping = new();
    readonly ConcurrentDictionary<long, Connection> connections = new();
    readonly Task background;

    /// <summary>The server's hub (state and log).</summary>
    public Hub Hub { get; }
    /// <summary>The configuration in force.</summary>
    public ServerConfig Config { get; }
    /// <summary>The port it listens on.</summary>
    public int Port { get; }
    /// <summary>The WebSocket address clients are given.</summary>
    public string Url => $"ws://127.0.0.1:{Port}";

    StringeeServer(WebApplication app, Hub hub, ServerConfig config, int port, Func<long> clock)
    {
        this.app = app;
        Hub = hub;
        Config = config;
        Port = port;
        background = Task.Run(() => LoopAsync(clock));
    }

    /// <summary>Starts a server on 127.0.0.1 (port 0 picks a free one) over an event log (in memory when none is given).</summary>
    public static async Task<StringeeServer> StartAsync(ServerConfig config, int port = 0, IEventLog<ServerRecorded>? log = null, Func<long>? clock = null,
        CancellationToken ct = default)
    {
        var now = clock ?? (() => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var hub = new Hub(config, log ?? new InMemoryEventLog<ServerRecorded>(), now);
        await hub.LoadAsync(ct).ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port);
            k.Limits.MaxRequestBodySize = config.MaxFrameBytes;
        });
        var app = builder.Build();
        StringeeServer? server = null;
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.Use(async (ctx, next) =>
        {
            if (ctx.WebSockets.IsWebSocketRequest && server is not null) await server.AcceptAsync(ctx).ConfigureAwait(false);
            else await next(ctx).ConfigureAwait(false);
        });
        MapRest(app, config, hub, now, () => server?.Port ?? 0);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new StringeeServer(app, hub, config, new Uri(address).Port, now);
        return server;
    }

    async Task AcceptAsync(HttpContext ctx)
    {
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var c = new Connection(Hub.NextConnectionId(), socket, Config.SendQueueCapacity, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        connections[c.Id] = c;
        var sending = c.SendLoopAsync();
        try
        {
            await c.ReceiveLoopAsync(Config.MaxFrameBytes, (raw, binary) => Hub.ReceiveAsync(c, raw, binary)).ConfigureAwait(false);
        }
        finally
        {
            connections.TryRemove(c.Id, out _);
            await Hub.DisconnectedAsync(c).ConfigureAwait(false);
            await Task.WhenAny(sending, Task.Delay(TimeSpan.FromSeconds(12))).ConfigureAwait(false);
        }
    }

    async Task LoopAsync(Func<long> clock)
    {
        var lastPing = clock();
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(100, stopping.Token).ConfigureAwait(false);
                await Hub.TickAsync().ConfigureAwait(false);
                if (clock() - lastPing >= Config.PingIntervalMs)
                {
                    lastPing = clock();
                    await Hub.PingAsync(connections.Values.ToList()).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
    }

    static IResult JsonResult(Json.Obj body, int status = 200) => Results.Text(body.ToJsonString(), "application/json", statusCode: status);

    static void MapRest(WebApplication app, ServerConfig config, Hub hub, Func<long> clock, Func<int> port)
    {
        app.MapGet("/v2/getStringeeServerAddress", (string? access_token) =>
        {
            var verified = TokenIssuer.Verify(config, Optional(access_token), clock() / 1000);
            if (verified.IsLeft) return JsonResult(Json.Object(("r", (long)verified.LeftToSeq().Head), ("message", AuthenCodes.Message(verified.LeftToSeq().Head))));
            var address = new Json.Arr(Seq1<Json>(Json.Object(("ip", "127.0.0.1"), ("port", (long)port()))));
            return JsonResult(Json.Object(("r", 0L), ("data", Json.Object(("stringeeServerAddrs", Json.Object(("web", address), ("mobile", address)))))));
        });
        app.MapGet("/v1/chatcustomer/getsettingandqueues", (string? key) => config.Widget(key ?? "").Match(Profile,
            () => JsonResult(Json.Object(("r", 1L), ("msg", "Widget key not found")))));
        app.MapGet("/v1/chatcustomer", async (string? key, string? username, string? email, string? userId) =>
        {
            var widget = config.Widget(key ?? "");
            if (widget.IsNone) return JsonResult(Json.Object(("r", 1L), ("msg", "Widget key not found")));
            var visitor = string.IsNullOrWhiteSpace(userId) ? $"visitor-{Guid.NewGuid():N}" : userId;
            await hub.RecordAsync(new ServerEvent.UserUpdated(visitor, Optional(username), Optional(email), None, None, clock())).ConfigureAwait(false);
            var w = (ValueTuple<ProjectConfig, WidgetConfig>)widget;
            var k = w.Item1.Keys[0];
            var token = TokenIssuer.Issue(new ApiKey(k.Sid, k.Secret, w.Item1.Id), clock() / 1000, 86_400, visitor, false, w.Item2.Key);
            return JsonResult(Json.Object(("r", 0L), ("access_token", token), ("msg", "Success")));
        });
        app.MapGet("/v1/chatcustomer/generateticket", async (string? key, string? username, string? email, string? phone, string? note) =>
        {
            if (config.Widget(key ?? "").IsNone) return JsonResult(Json.Object(("r", 1L), ("msg", "Widget key not found")));
            if (string.IsNullOrWhiteSpace(email) && string.IsNullOrWhiteSpace(phone)) return JsonResult(Json.Object(("r", 2L), ("msg", "email or phone is required")));
            await hub.RecordAsync(new ServerEvent.TicketCreated(key!, username ?? "", email ?? "", Optional(phone), note ?? "", clock())).ConfigureAwait(false);
            return JsonResult(Json.Object(("r", 0L), ("msg", "Ticket created")));
        });
    }

    static IResult Profile((ProjectConfig Project, WidgetConfig Widget) w)
    {
        var queues = Queues(w);
        var profile = new ChatProfileInfo(w.Widget.Key, w.Widget.Name, w.Project.Id, w.Widget.Language, None, None, 0, None,
            w.Project.Queues.Sum(q => q.Agents.Length), 0, None, None, 0, 0, queues);
        return JsonResult(Json.Object(("r", 0L), ("msg", "Success"), ("chatProfile", BodyCodec.Encode(profile)),
            ("queues", new Json.Arr(queues.Map(q => (Json)BodyCodec.Encode(q))))));
    }

    static Seq<QueueInfo> Queues((ProjectConfig Project, WidgetConfig Widget) w) =>
        toSeq(w.Project.Queues.Where(q => w.Widget.Queues.Contains(q.Id)).Select(q => new QueueInfo(q.Id, q.Name)).ToList());

    /// <summary>Closes every connection and stops listening.</summary>
    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        foreach (var c in connections.Values) c.Close(System.Net.WebSockets.WebSocketCloseStatus.EndpointUnavailable, "server stopping");
        try
        {
            await background.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        await Hub.DisposeAsync().ConfigureAwait(false);
        stopping.Dispose();
    }
}
