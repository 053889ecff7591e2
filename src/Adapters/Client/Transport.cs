using System.Net.WebSockets;

namespace EventSourced.Adapters.Client;

/// <summary>One connection to a Stringee server that carries whole frames.</summary>
public interface IClientTransport : IAsyncDisposable
{
    /// <summary>Opens the connection.</summary>
    Task ConnectAsync(Uri server, CancellationToken ct);
    /// <summary>Sends one frame.</summary>
    Task SendAsync(byte[] frame, CancellationToken ct);
    /// <summary>
    /// Reads frames until the connection ends; returns why it ended. A frame over <paramref name="maxFrameBytes"/>
    /// is read to its end and dropped, and <paramref name="onOversized"/> gets its size and first bytes: the
    /// connection goes on.
    /// </summary>
    Task<string> ReceiveAsync(Func<byte[], bool, Task> onFrame, int maxFrameBytes, CancellationToken ct, Func<long, byte[], Task>? onOversized = null);
    /// <summary>Drops the connection at once (no close handshake).</summary>
    void Abort();
}

/// <summary>The WebSocket transport: one text frame per packet, as the web SDK does.</summary>
public sealed class WebSocketTransport : IClientTransport
{
    readonly ClientWebSocket socket = new();
    readonly SemaphoreSlim sending = new(1, 1);

    /// <inheritdoc />
    public Task ConnectAsync(Uri server, CancellationToken ct) => socket.ConnectAsync(server, ct);

    /// <inheritdoc />
    public async Task SendAsync(byte[] frame, CancellationToken ct)
    {
        await sending.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Text, true, ct).ConfigureAwait(false);
        }
        finally
        {
            sending.Release();
        }
    }

    /// <inheritdoc />
    public async Task<string> ReceiveAsync(Func<byte[], bool, Task> onFrame, int maxFrameBytes, CancellationToken ct, Func<long, byte[], Task>? onOversized = null)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open)
            {
                using var frame = new MemoryStream();
                WebSocketReceiveResult r;
                long size = 0;
                do
                {
                    r = await socket.ReceiveAsync(buffer, ct).ConfigureAwait(false);
                    if (r.MessageType == WebSocketMessageType.Close)
                        return $"closed by the server: {socket.CloseStatus} {socket.CloseStatusDescription}".Trim();
                    size += r.Count;
                    // Past the limit the rest of the frame is read and dropped: memory stays bounded and the connection lives.
                    if (size <= maxFrameBytes) frame.Write(buffer, 0, r.Count);
                } while (!r.EndOfMessage);
                if (size > maxFrameBytes)
                {
                    if (onOversized is null) return $"frame from the server exceeds {maxFrameBytes} bytes";
                    await onOversized(size, frame.GetBuffer().AsSpan(0, (int)Math.Min(frame.Length, 4096)).ToArray()).ConfigureAwait(false);
                    continue;
                }
                await onFrame(frame.ToArray(), r.MessageType == WebSocketMessageType.Binary).ConfigureAwait(false);
            }
            return $"socket {socket.State}";
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException or IOException)
        {
            return $"connection lost: {ex.Message}";
        }
    }

    /// <inheritdoc />
    public void Abort() => socket.Abort();

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "client disconnect", timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // already gone
        }
        socket.Dispose();
        sending.Dispose();
    }
}

/// <summary>Settings of a <see cref="StringeeClient"/>; every time-based behaviour has a bound.</summary>
/// <param name="Servers">WebSocket addresses (rotated on failure); empty means ask the REST address endpoint.</param>
/// <param name="RestBaseUrl">Base of the REST API (server discovery and live chat). Stringee's live-chat API when null.</param>
public sealed record ClientOptions(Seq<Uri> Servers, Uri? RestBaseUrl = null)
{
    /// <summary>The event log (a private in-memory one when null).</summary>
    public Storage.IEventLog? Log { get; init; }
    /// <summary>How long a request waits for its response.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long connecting and authenticating may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>First reconnect delay; the n-th retry waits n times this (the web SDK's 500 ms).</summary>
    public TimeSpan ReconnectBackoff { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>Most consecutive reconnect attempts before giving up (then onDisConnect without reconnecting).</summary>
    public int MaxReconnectAttempts { get; init; } = 50;
    /// <summary>Largest frame accepted from the server.</summary>
    public int MaxFrameBytes { get; init; } = 4 << 20;
    /// <summary>The clock and timers: the reactor's deadlines (request timeouts, retries, coalescing) and the times recorded in events. A
    /// <c>FakeTimeProvider</c> makes them deterministic in tests.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
    /// <summary>Now on <see cref="Time"/>, in epoch milliseconds (what events record).</summary>
    internal long Now() => Time.GetUtcNow().ToUnixTimeMilliseconds();
    /// <summary>Makes a transport per connection attempt (WebSocket by default).</summary>
    public Func<IClientTransport> Transport { get; init; } = () => new WebSocketTransport();
    /// <summary>Sent in AUTHEN as deviceId.</summary>
    public string DeviceId { get; init; } = $"dotnet-{Guid.NewGuid():N}";
    /// <summary>Where the client logs what goes wrong (storage failures, skipped frames); nothing when null.</summary>
    public Microsoft.Extensions.Logging.ILogger? Logger { get; init; }
    /// <summary>Page size of the catch-up that follows every (re)connect.</summary>
    public int CatchUpPageSize { get; init; } = 50;
}
