using System.Net.WebSockets;
using System.Threading.Channels;
using EventSourced.Domain.Packets;

namespace EventSourced.Adapters.Server;

/// <summary>
/// One client's WebSocket: a receive loop that hands each frame to the hub (one at a time, so a
/// flood is throttled by the socket itself), and a send queue bounded in frames and in bytes,
/// drained by its own loop. A client that cannot keep up is closed with a clear reason instead of
/// growing memory.
/// </summary>
public sealed class Connection
{
    readonly WebSocket socket;
    readonly Channel<byte[]> outbound;
    readonly CancellationTokenSource closing = new();
    readonly long maxQueuedBytes;
    long queuedBytes;
    string? closeReason;

    /// <summary>Server-assigned connection id.</summary>
    public long Id { get; }
    /// <summary>The authenticated user, once AUTHEN succeeded.</summary>
    public string? UserId { get; set; }
    /// <summary>Project of the authenticated user.</summary>
    public long ProjectId { get; set; }
    /// <summary>Live-chat service id claim, if any.</summary>
    public Option<string> ServiceId { get; set; }
    /// <summary>The browser id the web SDK sent in AUTHEN.</summary>
    public string? BrowserId { get; set; }
    /// <summary>Packets received before authentication (bounded).</summary>
    public int UnauthenticatedPackets { get; set; }
    /// <summary>Local time the socket was accepted (ms).</summary>
    public long OpenedAt { get; }
    /// <summary>Bytes queued and not yet sent.</summary>
    public long QueuedBytes => Interlocked.Read(ref queuedBytes);
    /// <summary>Local time of the last packet received (ms).</summary>
    public long LastReceived { get; set; }
    /// <summary>Why the server closed it, if it did.</summary>
    public string? CloseReason => closeReason;
    /// <summary>Cancelled when the connection is closing.</summary>
    public CancellationToken Closing => closing.Token;

    /// <summary>Wraps an accepted socket.</summary>
    public Connection(long id, WebSocket socket, int sendQueueCapacity, long now, long maxQueuedBytes = 8 << 20)
    {
        Id = id;
        this.socket = socket;
        this.maxQueuedBytes = maxQueuedBytes;
        LastReceived = now;
        OpenedAt = now;
        outbound = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(sendQueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Queues a packet; a queue full in frames or in bytes means a slow consumer, which is dropped.</summary>
    public void Send(Packet packet)
    {
        if (closing.IsCancellationRequested || closeReason is not null) return;
        var frame = Frame.EncodeText(packet);
        if (Interlocked.Add(ref queuedBytes, frame.Length) > maxQueuedBytes) DropSlow(frame, "send queue over its byte limit: slow consumer dropped");
        else if (!outbound.Writer.TryWrite(frame)) DropSlow(frame, "send queue full: slow consumer dropped");
    }

    // The frame is not queued after all; the connection goes.
    void DropSlow(byte[] frame, string reason)
    {
        Interlocked.Add(ref queuedBytes, -frame.Length);
        Telemetry.SlowConsumersDropped.Add(1);
        Close(WebSocketCloseStatus.PolicyViolation, reason);
    }

    /// <summary>
    /// Starts closing with a status and reason (idempotent): the send loop sends what is queued,
    /// then the close frame, then gives the peer a moment to answer before the socket is dropped.
    /// </summary>
    public void Close(WebSocketCloseStatus status, string reason)
    {
        if (Interlocked.CompareExchange(ref closeReason, reason, null) is not null) return;
        closeStatus = status;
        outbound.Writer.TryComplete();
    }

    WebSocketCloseStatus closeStatus = WebSocketCloseStatus.NormalClosure;

    /// <summary>Drains the send queue to the socket, then closes it with the reason given.</summary>
    public async Task SendLoopAsync()
    {
        try
        {
            await foreach (var frame in outbound.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await socket.SendAsync(frame, WebSocketMessageType.Text, true, timeout.Token).ConfigureAwait(false);
                Interlocked.Add(ref queuedBytes, -frame.Length);
            }
            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                var reason = closeReason ?? "closed";
                await socket.CloseOutputAsync(closeStatus, reason.Length > 120 ? reason[..120] : reason, timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            Interlocked.CompareExchange(ref closeReason, "send failed or timed out", null);
        }
        finally
        {
            // The peer has a moment to answer the close frame; then the receive loop is cancelled.
            closing.CancelAfter(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Reads frames and hands each to <paramref name="handle"/>; returns when the socket closes.</summary>
    public async Task ReceiveLoopAsync(int maxFrameBytes, Func<byte[], bool, Task> handle)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (socket.State == WebSocketState.Open && !closing.IsCancellationRequested)
            {
                using var frame = new MemoryStream();
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, closing.Token).ConfigureAwait(false);
                    if (result.MessageType == WebSocketMessageType.Close) return;
                    if (frame.Length + result.Count > maxFrameBytes)
                    {
                        Close(WebSocketCloseStatus.MessageTooBig, $"frame exceeds {maxFrameBytes} bytes");
                        return;
                    }
                    frame.Write(buffer, 0, result.Count);
                } while (!result.EndOfMessage);
                await handle(frame.ToArray(), result.MessageType == WebSocketMessageType.Binary).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or ObjectDisposedException)
        {
            // closed by the peer or by us
        }
        finally
        {
            Close(WebSocketCloseStatus.NormalClosure, "closed");
        }
    }
}
