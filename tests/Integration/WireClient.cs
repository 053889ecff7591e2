using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;

namespace EventSourced.Tests.Integration;

/// <summary>
/// A raw protocol client for tests: real WebSocket to 127.0.0.1, requests matched by service and
/// requestId, notifications kept in order, every wait bounded.
/// </summary>
public sealed class WireClient : IAsyncDisposable
{
    static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);
    readonly ClientWebSocket socket = new();
    readonly ConcurrentDictionary<(short, long), TaskCompletionSource<Json.Obj>> pending = new();
    readonly List<Packet> received = [];
    readonly List<long> receivedAt = [];
    readonly SemaphoreSlim arrived = new(0);
    readonly CancellationTokenSource stop = new();
    readonly SemaphoreSlim sendLock = new(1, 1);
    long requestId;
    Task? loop;

    /// <summary>The close status the server gave, once closed.</summary>
    public WebSocketCloseStatus? CloseStatus => socket.CloseStatus;
    /// <summary>The close reason the server gave.</summary>
    public string? CloseReason => socket.CloseStatusDescription;
    /// <summary>True while the socket is open.</summary>
    public bool IsOpen => socket.State == WebSocketState.Open;
    /// <summary>Set to answer server PINGs automatically.</summary>
    public bool AnswerPings { get; set; } = true;

    public static async Task<WireClient> ConnectAsync(string url)
    {
        var c = new WireClient();
        using var timeout = new CancellationTokenSource(Wait);
        await c.socket.ConnectAsync(new Uri(url), timeout.Token);
        c.loop = Task.Run(c.ReadLoopAsync);
        return c;
    }

    public static async Task<WireClient> LoginAsync(StringeeServer server, string user)
    {
        var c = await ConnectAsync(server.Url);
        var r = await c.AuthenAsync(TokenIssuer.Issue(server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, user));
        Assert.Equal(0L, r.Int("r"));
        return c;
    }

    async Task ReadLoopAsync()
    {
        var buffer = new byte[1 << 16];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                using var ms = new MemoryStream();
                WebSocketReceiveResult res;
                do
                {
                    res = await socket.ReceiveAsync(buffer, stop.Token);
                    if (res.MessageType == WebSocketMessageType.Close) return;
                    ms.Write(buffer, 0, res.Count);
                } while (!res.EndOfMessage);
                var frame = Frame.DecodeText(ms.ToArray());
                if (frame.IsLeft) continue;
                var p = (Packet)frame;
                if (p.Service == (short)Service.Ping && AnswerPings) _ = SendAsync(new Packet(Service.Ping, Json.Obj.Empty));
                if (p.RequestId.IsSome && pending.TryRemove((p.Service, (long)p.RequestId), out var tcs)) tcs.TrySetResult(p.Body);
                lock (received)
                {
                    received.Add(p);
                    receivedAt.Add(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
                }
                arrived.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            arrived.Release();
        }
    }

    public async Task SendAsync(Packet p) => await SendRawAsync(Frame.EncodeText(p));

    public async Task SendRawAsync(byte[] bytes, WebSocketMessageType type = WebSocketMessageType.Text)
    {
        await sendLock.WaitAsync();
        try
        {
            using var timeout = new CancellationTokenSource(Wait);
            await socket.SendAsync(bytes, type, true, timeout.Token);
        }
        finally
        {
            sendLock.Release();
        }
    }

    /// <summary>Sends a request (requestId added) and waits for its response.</summary>
    public async Task<Json.Obj> RequestAsync(Service service, Json.Obj body)
    {
        var id = Interlocked.Increment(ref requestId);
        var tcs = new TaskCompletionSource<Json.Obj>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[((short)service, id)] = tcs;
        await SendAsync(new Packet(service, body.With("requestId", id)));
        return await tcs.Task.WaitAsync(Wait);
    }

    /// <summary>Sends a typed request.</summary>
    public Task<Json.Obj> RequestAsync(Service service, Body body) => RequestAsync(service, BodyCodec.Encode(body));

    public Task<Json.Obj> AuthenAsync(string token) => RequestAsync(Service.Authen, Json.Object(("accesstoken", token), ("platform", 3L), ("sdkVersion", "test")));

    /// <summary>Every packet received so far with its local arrival time (ms), oldest first.</summary>
    public IReadOnlyList<(Packet Packet, long At)> Received()
    {
        lock (received) return received.Zip(receivedAt).ToList();
    }

    /// <summary>Waits for the answer to a request sent raw (not through <see cref="RequestAsync(Service, Json.Obj)"/>): its service and requestId.</summary>
    public async Task<Json.Obj> WaitForReplyAsync(Service service, long requestId, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Wait);
        while (true)
        {
            lock (received)
            {
                var found = received.Find(p => p.Service == (short)service && p.RequestId == Some(requestId));
                if (found is not null) return found.Body;
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"no answer to {service} request {requestId} within the wait; received: {Describe()}");
            await arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>Waits for a packet of a service (and matching body) received after the call or earlier and not yet taken.</summary>
    public async Task<Json.Obj> WaitForAsync(Service service, Func<Json.Obj, bool>? match = null, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? Wait);
        while (true)
        {
            lock (received)
            {
                var i = received.FindIndex(p => p.Service == (short)service && p.RequestId.IsNone && (match is null || match(p.Body)));
                if (i >= 0)
                {
                    var body = received[i].Body;
                    received.RemoveAt(i);
                    return body;
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) throw new TimeoutException($"no {service} packet within the wait; received: {Describe()}");
            await arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }
    }

    /// <summary>True when no packet of a service arrives within a short wait.</summary>
    public async Task<bool> NothingAsync(Service service, TimeSpan? within = null)
    {
        try
        {
            await WaitForAsync(service, null, within ?? TimeSpan.FromMilliseconds(300));
            return false;
        }
        catch (TimeoutException)
        {
            return true;
        }
    }

    /// <summary>Waits until the server closes the socket.</summary>
    public async Task<bool> ClosedAsync(TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (DateTime.UtcNow < deadline)
        {
            if (socket.State is WebSocketState.Closed or WebSocketState.CloseReceived or WebSocketState.Aborted) return true;
            await Task.Delay(50);
        }
        return false;
    }

    string Describe()
    {
        lock (received) return string.Join(", ", received.Select(p => $"{p.Service}:{p.Body}").TakeLast(8));
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", timeout.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
        }
        await stop.CancelAsync();
        if (loop is not null) await Task.WhenAny(loop, Task.Delay(2000));
        socket.Dispose();
    }
}

/// <summary>Reading typed values out of response bodies.</summary>
public static class JsonRead
{
    public static long Int(this Json.Obj o, string key) => o[key].Bind(j => j is Json.Number n ? Some((long)n.Value) : None).IfNone(() => throw new KeyNotFoundException($"{key} in {o}"));
    public static string Str(this Json.Obj o, string key) => o[key].Bind(j => j is Json.Str s ? Some(s.Value) : None).IfNone(() => throw new KeyNotFoundException($"{key} in {o}"));
    public static bool Bool(this Json.Obj o, string key) => o[key].Bind(j => j is Json.Bool b ? Some(b.Value) : None).IfNone(() => throw new KeyNotFoundException($"{key} in {o}"));
    public static Seq<Json.Obj> Objs(this Json.Obj o, string key) => o[key].Bind(j => j is Json.Arr a ? Some(a.Items.Map(x => (Json.Obj)x)) : None).IfNone(() => throw new KeyNotFoundException($"{key} in {o}"));
    public static Json.Obj Obj(this Json.Obj o, string key) => o[key].Bind(j => j is Json.Obj x ? Some(x) : None).IfNone(() => throw new KeyNotFoundException($"{key} in {o}"));
}
