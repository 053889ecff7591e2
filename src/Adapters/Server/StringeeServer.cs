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
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourced.Adapters.Server;

/// <summary>
/// The local Stringee-compatible server: WebSocket packets on any path of
/// <c>ws://127.0.0.1:PORT</c>, and the REST endpoints of server discovery and live chat.
/// Every request names an allowed <c>Host</c> (loopback or <see cref="ServerConfig.AllowedHosts"/>),
/// a WebSocket's <c>Origin</c>, when sent, is loopback or allowed, connections are capped, and
/// anonymous REST calls are throttled per address. Its time loop survives any failure.
/// </summary>
public sealed partial class StringeeServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly CancellationTokenSource stopping = new();
    readonly ConcurrentDictionary<long, Connection> connections = new();
    readonly Task background;
    readonly ILogger logger;

    /// <summary>The server's hub (state and log).</summary>
    public Hub Hub { get; }
    /// <summary>The configuration in force.</summary>
    public ServerConfig Config { get; }
    /// <summary>The port it listens on.</summary>
    public int Port { get; }
    /// <summary>The WebSocket address clients are given.</summary>
    public string Url => $"ws://127.0.0.1:{Port}";

    StringeeServer(WebApplication app, Hub hub, ServerConfig config, int port, Func<long> clock, ILogger logger)
    {
        this.app = app;
        this.logger = logger;
        Hub = hub;
        Config = config;
        Port = port;
        background = Task.Run(() => LoopAsync(clock));
    }

    /// <summary>
    /// Starts a server (port 0 picks a free one) over an event log (in memory when none is given: then
    /// nothing survives a restart, though ids still never repeat). It listens on 127.0.0.1 unless
    /// <paramref name="bind"/> says otherwise; a configuration with the public built-in secret is refused
    /// anywhere but loopback.
    /// </summary>
    public static async Task<StringeeServer> StartAsync(ServerConfig config, int port = 0, IEventLog<ServerRecorded>? log = null, TimeProvider? time = null,
        IPAddress? bind = null, ILogger? logger = null, CancellationToken ct = default)
    {
        bind ??= IPAddress.Loopback;
        if (!IPAddress.IsLoopback(bind) && config.UsesBuiltInSecret)
            throw new ArgumentException($"refusing to listen on {bind} with the built-in API secret, which is public: configure keys of your own (--config)", nameof(bind));
        logger ??= NullLogger.Instance;
        time ??= TimeProvider.System;
        Func<long> now = () => time.GetUtcNow().ToUnixTimeMilliseconds();
        var hub = new Hub(config, log ?? new InMemoryEventLog<ServerRecorded>(), now, logger);
        await hub.LoadAsync(ct).ConfigureAwait(false);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k =>
        {
            k.Listen(bind, port);
            k.Limits.MaxRequestBodySize = config.MaxFrameBytes;
        });
        var app = builder.Build();
        StringeeServer? server = null;
        var hosts = config.AllowedHosts.ToHashSet(StringComparer.OrdinalIgnoreCase);
        app.Use(async (ctx, next) =>
        {
            // A page elsewhere can reach loopback through DNS rebinding: a Host we do not serve is refused.
            if (!HostAllowed(ctx.Request.Host.Host, hosts))
            {
                ctx.Response.StatusCode = StatusCodes.Status421MisdirectedRequest;
                return;
            }
            await next(ctx).ConfigureAwait(false);
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        var origins = config.AllowedOrigins.ToHashSet(StringComparer.OrdinalIgnoreCase);
        app.Use(async (ctx, next) =>
        {
            if (!ctx.WebSockets.IsWebSocketRequest || server is null)
            {
                await next(ctx).ConfigureAwait(false);
                return;
            }
            var origin = ctx.Request.Headers.Origin.ToString();
            if (origin.Length > 0 && !OriginAllowed(origin, origins))
            {
                ctx.Response.StatusCode = StatusCodes.Status403Forbidden;
                return;
            }
            if (server.connections.Count >= config.MaxConnections)
            {
                ctx.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                return;
            }
            await server.AcceptAsync(ctx).ConfigureAwait(false);
        });
        MapRest(app, config, hub, now, () => server?.Port ?? 0, logger);
        await app.StartAsync(ct).ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new StringeeServer(app, hub, config, new Uri(address).Port, now, logger);
        return server;
    }

    static bool IsLoopbackName(string host) =>
        host is "localhost" or "127.0.0.1" or "[::1]" or "::1" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));

    static bool HostAllowed(string host, System.Collections.Generic.HashSet<string> allowed) => IsLoopbackName(host) || allowed.Contains(host);

    static bool OriginAllowed(string origin, System.Collections.Generic.HashSet<string> allowed) =>
        allowed.Contains(origin) || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && IsLoopbackName(uri.Host));

    async Task AcceptAsync(HttpContext ctx)
    {
        using var socket = await ctx.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
        var c = new Connection(Hub.NextConnectionId(), socket, Config.SendQueueCapacity, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), Config.SendQueueBytes);
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

    // The server's clock: routing timeouts, liveness, pings. One failed step (storage down, anything)
    // is logged and the loop goes on; only stopping ends it.
    async Task LoopAsync(Func<long> clock)
    {
        var lastPing = clock();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(100, stopping.Token).ConfigureAwait(false);
                Hub.CloseUnauthenticated(connections.Values);
                await Hub.TickAsync().ConfigureAwait(false);
                if (clock() - lastPing >= Config.PingIntervalMs)
                {
                    lastPing = clock();
                    await Hub.PingAsync(connections.Values.ToList()).ConfigureAwait(false);
                }
                Interlocked.Increment(ref ticks);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogLoopFailed(logger, ex);
            }
        }
    }

    long ticks;

    /// <summary>How many times the time loop has run (it goes on through failures; a test watches it advance).</summary>
    public long Ticks => Interlocked.Read(ref ticks);

    [LoggerMessage(Level = LogLevel.Error, Message = "server time loop step failed; it goes on")]
    static partial void LogLoopFailed(ILogger logger, Exception ex);

    static IResult JsonResult(Json.Obj body, int status = 200) => Results.Text(body.ToJsonString(), "application/json", statusCode: status);

    static IResult Refused(int r, string message, int status = 200) => JsonResult(Json.Object(("r", (long)r), ("msg", message)), status);

    // Anonymous REST calls are free to anyone who knows a widget key (public by nature): throttled per address.
    sealed class Throttle(int perMinute)
    {
        readonly ConcurrentDictionary<string, (long Minute, int Count)> calls = new(StringComparer.Ordinal);

        public bool Allow(HttpContext ctx, long now)
        {
            var who = ctx.Connection.RemoteIpAddress?.ToString() ?? "?";
            var minute = now / 60_000;
            if (calls.Count > 10_000) calls.Clear();
            var (m, n) = calls.AddOrUpdate(who, (minute, 1), (_, old) => old.Minute == minute ? (minute, old.Count + 1) : (minute, 1));
            return n <= perMinute;
        }
    }

    static Option<string> TextProblem(string field, string? value, int max) =>
        value is null ? None
        : value.Length > max ? $"{field} is longer than {max} characters"
        : Inputs.HasControl(value) ? $"{field} contains a control character"
        : None;

    static void MapRest(WebApplication app, ServerConfig config, Hub hub, Func<long> clock, Func<int> port, ILogger logger)
    {
        var throttle = new Throttle(config.RestCallsPerMinute);
        app.MapGet("/v2/getStringeeServerAddress", (string? access_token) =>
        {
            var verified = TokenIssuer.Verify(config, Optional(access_token), clock() / 1000);
            if (verified.IsLeft) return JsonResult(Json.Object(("r", (long)verified.LeftToSeq().Head), ("message", AuthenCodes.Message(verified.LeftToSeq().Head))));
            var address = new Json.Arr(Seq1<Json>(Json.Object(("ip", "127.0.0.1"), ("port", (long)port()))));
            return JsonResult(Json.Object(("r", 0L), ("data", Json.Object(("stringeeServerAddrs", Json.Object(("web", address), ("mobile", address)))))));
        });
        app.MapGet("/v1/chatcustomer/getsettingandqueues", (HttpContext ctx, string? key) =>
            !throttle.Allow(ctx, clock()) ? Refused(ServerErrors.RateLimited, "too many requests; retry later", 429)
            : config.Widget(key ?? "").Match(Profile, () => Refused(1, "Widget key not found")));
        // The visitor's identity is minted here, never taken from the caller: a userId parameter is ignored.
        app.MapGet("/v1/chatcustomer", async (HttpContext ctx, string? key, string? username, string? email) =>
        {
            if (!throttle.Allow(ctx, clock())) return Refused(ServerErrors.RateLimited, "too many requests; retry later", 429);
            var widget = config.Widget(key ?? "");
            if (widget.IsNone) return Refused(1, "Widget key not found");
            var problem = TextProblem("username", username, 255) || (string.IsNullOrEmpty(email) || Inputs.IsEmail(email) ? None : Some("email is not a valid address"));
            if (problem.IsSome) return Refused(2, (string)problem);
            var visitor = await hub.NewVisitorAsync(Optional(username).Filter(n => n.Length > 0), Optional(email).Filter(e => e.Length > 0)).ConfigureAwait(false);
            return visitor.Match(
                id =>
                {
                    var w = ((ProjectConfig Project, WidgetConfig Widget))widget;
                    var k = w.Project.Keys[0];
                    var token = TokenIssuer.Issue(new ApiKey(k.Sid, k.Secret, w.Project.Id), clock() / 1000, 86_400, id, false, w.Widget.Key);
                    return JsonResult(Json.Object(("r", 0L), ("access_token", token), ("userId", id), ("msg", "Success")));
                },
                e => Refused(ServerErrors.StorageUnavailable, $"could not record the visitor: {e.Message}", 503));
        });
        app.MapGet("/v1/chatcustomer/generateticket", async (HttpContext ctx, string? key, string? username, string? email, string? phone, string? note) =>
        {
            if (!throttle.Allow(ctx, clock())) return Refused(ServerErrors.RateLimited, "too many requests; retry later", 429);
            if (config.Widget(key ?? "").IsNone) return Refused(1, "Widget key not found");
            if (string.IsNullOrWhiteSpace(email) && string.IsNullOrWhiteSpace(phone)) return Refused(2, "email or phone is required");
            var problem = TextProblem("username", username, 255) || TextProblem("phone", phone, 32) || TextProblem("note", note, 4_000)
                || (string.IsNullOrEmpty(email) || Inputs.IsEmail(email) ? None : Some("email is not a valid address"));
            if (problem.IsSome) return Refused(2, (string)problem);
            var recorded = await hub.RecordAsync(new ServerEvent.TicketCreated(key!, username ?? "", email ?? "", Optional(phone).Filter(p => p.Length > 0), note ?? "", clock())).ConfigureAwait(false);
            return recorded.Match(_ => Refused(0, "Ticket created"), e => Refused(ServerErrors.StorageUnavailable, $"could not record the ticket: {e.Message}", 503));
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
