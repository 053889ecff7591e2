using System.Collections.Concurrent;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using C = EventSourced.Domain.Client.Command;

namespace EventSourced.Adapters.Client;

// The connection shell: the log subscription, the socket, AUTHEN's bytes, the receive pipeline and storage faults.
// Policy (what to send after a connect, when the link is dead, which server next and when) is the reactor's.
public sealed partial class StringeeClient
{
    const int ReceiveWindow = 256;
    readonly SemaphoreSlim inFlight = new(ReceiveWindow, ReceiveWindow);
    // Conversations (and the seq range) whose packets arrived but could not be stored; recorded as gaps once storage is back.
    readonly ConcurrentDictionary<string, (long From, long To)> unstored = new(StringComparer.Ordinal);
    volatile bool storageFailed;
    IDisposable? subscription;
    string user = "";
    string? token;
    volatile IClientTransport? transport;
    CancellationTokenSource? lifetime;
    Task? loop;
    TaskCompletionSource<Fin<Unit>>? firstConnect;

    /// <summary>
    /// Replays the user's own streams (and only those: the log reads them by key prefix) into fresh state, and
    /// follows them live. Fails when the replay does not finish within <see cref="ClientOptions.ConnectTimeout"/>:
    /// a client never decides on a partially replayed state.
    /// </summary>
    async Task<Fin<Unit>> AttachAsync(string userId, CancellationToken ct)
    {
        lock (stateLock)
        {
            if (userId == user && subscription is not null) return unit;
            subscription?.Dispose();
            user = userId;
            core = ClientCore.Initial(Settings(options));
            versions.Clear();
        }
        var prefix = Recording.UserPrefix(userId);
        using var span = Telemetry.Source.StartActivity("stringee.replay");
        span?.SetTag("enduser.id", userId);
        long target;
        try
        {
            target = await log.LastPositionAsync(prefix, ct).WaitAsync(options.ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or System.Data.Common.DbException or InvalidOperationException)
        {
            return Detach(Rejection.ReplayIncomplete($"the log did not say how far {userId}'s history goes: {ex.Message}"));
        }
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (target == 0) caughtUp.TrySetResult();
        subscription = log.Subscribe(prefix).Subscribe(
            r =>
            {
                if (Recording.UserOfStream(r.Meta.Stream) == Some(userId)) OnRecorded(r, history: r.Meta.Position <= target);
                if (r.Meta.Position >= target) caughtUp.TrySetResult();
            },
            ex => caughtUp.TrySetException(ex));
        try
        {
            await caughtUp.Task.WaitAsync(options.ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or System.Data.Common.DbException or InvalidOperationException or InvalidDataException)
        {
            return Detach(Rejection.ReplayIncomplete(ex is TimeoutException
                ? $"replaying {userId}'s history did not finish within {options.ConnectTimeout.TotalSeconds:0} s"
                : $"replaying {userId}'s history failed: {ex.Message}"));
        }
        lock (stateLock) models.OnNext(current);
        // A previous process may have ended without recording its disconnect: no transport of this instance is open.
        bool stale;
        lock (stateLock) stale = decision.Session.Status != Session.Status.Disconnected && lifetime is null;
        if (stale) await RecordLocalAsync(new Disconnected("the previous client session ended without a recorded disconnect", false)).ConfigureAwait(false);
        return unit;
    }

    Fin<Unit> Detach(Rejection why)
    {
        lock (stateLock)
        {
            subscription?.Dispose();
            subscription = null;
            user = "";
            core = ClientCore.Initial(Settings(options));
        }
        return Failure(why);
    }

    static Reactor.Settings Settings(ClientOptions o) =>
        new((long)o.RequestTimeout.TotalMilliseconds, 15_000, o.CatchUpPageSize);

    /// <summary>connect(token): completes once authenticated, or with the AUTHEN error (code 1-10), -3 on timeout, -5 when the local history cannot be replayed.</summary>
    /// <param name="token">The access token (a JWT signed with the project's key). It is never logged, and recorded only without its signature.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once authenticated and caught up.</returns>
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> ConnectAsync(string token, CancellationToken ct = default)
    {
        using var span = Telemetry.Source.StartActivity("stringee.connect");
        var claims = Jwt.Read(NotNull(token));
        var attached = await AttachAsync(claims.Match(c => c.Text("userId").IfNone("anonymous"), _ => "anonymous"), ct).ConfigureAwait(false);
        if (attached.IsFail) return attached;
        stepLoop ??= Task.Run(StepLoopAsync, CancellationToken.None);
        if (loop is { IsCompleted: false } && !IsConnected && this.token == token && firstConnect is not null)
            return await firstConnect.Task.WaitAsync(options.ConnectTimeout, ct).ConfigureAwait(false);
        var decided = await ExecuteAsync(new C.Connect(token), ct).ConfigureAwait(false);
        if (decided.IsFail || decided.Map(e => e.IsEmpty).IfFail(true)) return decided.Map(_ => unit);
        this.token = token;
        if (lifetime is not null) await StopLoopAsync().ConfigureAwait(false);
        firstConnect = new TaskCompletionSource<Fin<Unit>>(TaskCreationOptions.RunContinuationsAsynchronously);
        lifetime = new CancellationTokenSource();
        var life = lifetime.Token;
        loop = Task.Run(() => ConnectionLoopAsync(life), CancellationToken.None);
        try
        {
            return await firstConnect.Task.WaitAsync(options.ConnectTimeout, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            return Timeout;
        }
    }

    async Task ConnectionLoopAsync(CancellationToken life)
    {
        var attempts = Reactor.Attempts.First;
        while (!life.IsCancellationRequested)
        {
            if (!await StorageBackAsync(life).ConfigureAwait(false)) return;
            var servers = await ServersAsync(life).ConfigureAwait(false);
            var reason = "no server address";
            var wasConnected = false;
            if (!servers.IsEmpty)
            {
                var (outcome, why) = await SessionAsync(servers[attempts.Server % servers.Count], life).ConfigureAwait(false);
                reason = why;
                if (outcome == SessionOutcome.Refused) return;
                wasConnected = outcome == SessionOutcome.WasConnected;
            }
            if (life.IsCancellationRequested) return;
            var (next, delayMs, giveUp) = Reactor.Reconnect(attempts, wasConnected, (long)options.ReconnectBackoff.TotalMilliseconds, options.MaxReconnectAttempts);
            attempts = next;
            if (!giveUp) Telemetry.Reconnects.Add(1);
            await RecordLocalAsync(new Disconnected(reason, !giveUp)).ConfigureAwait(false);
            if (giveUp)
            {
                firstConnect?.TrySetResult(Error.New(-3, $"could not connect: {reason}"));
                return;
            }
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(delayMs), options.Time, life).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    enum SessionOutcome { NeverConnected, WasConnected, Refused }

    async Task<(SessionOutcome, string)> SessionAsync(Uri server, CancellationToken life)
    {
        await using var t = options.Transport();
        try
        {
            using var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(life);
            connectTimeout.CancelAfter(options.ConnectTimeout);
            await t.ConnectAsync(server, connectTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or HttpRequestException or IOException)
        {
            return (SessionOutcome.NeverConnected, $"cannot reach {server}: {ex.Message}");
        }
        transport = t;
        await RecordLocalAsync(new TransportOpened(server.ToString())).ConfigureAwait(false);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(life);
        var receiving = t.ReceiveAsync(OnFrameAsync, options.MaxFrameBytes, session.Token, OnOversizedAsync);
        var authenId = NextRequestId();
        var real = new Authen(token, authenId, options.DeviceId, None, $"session-{Guid.NewGuid():N}", 3, "", "stringee-es (.NET)", "0x0", "stringee-es/1.0");
        // The log keeps the token without its signature; the wire gets the real one.
        var recorded = new AuthenSent(real with { Accesstoken = Jwt.Redact(token ?? "") });
        var waiter = waiting[authenId] = new TaskCompletionSource<Fact>(TaskCreationOptions.RunContinuationsAsynchronously);
        var (record, _) = Recording.Send(user, recorded, options.Now());
        await AppendAsync(record, ct: CancellationToken.None).ConfigureAwait(false);
        Fact answer;
        try
        {
            await t.SendAsync(Frame.EncodeText(Protocol.Encode(Service.Authen, real)), life).ConfigureAwait(false);
            answer = await waiter.Task.WaitAsync(options.ConnectTimeout, life).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            waiting.TryRemove(authenId, out _);
            transport = null;
            t.Abort();
            return (SessionOutcome.NeverConnected, $"no AUTHEN answer from {server}");
        }
        if (answer is Fact.Rejected { Answer: ConnectFailed failed })
        {
            var f = failed.Result;
            transport = null;
            if (f.R == AuthenCodes.ChangeServer) return (SessionOutcome.NeverConnected, "the server is a slave: changing server");
            firstConnect?.TrySetResult(Error.New(f.R, f.Message.IfNone(AuthenCodes.Message(f.R))));
            return (SessionOutcome.Refused, AuthenCodes.Message(f.R));
        }
        if (answer is not Fact.Confirmed { Answer: Connected })
        {
            transport = null;
            t.Abort();
            return (SessionOutcome.NeverConnected, $"the connection to {server} closed before AUTHEN was answered");
        }
        firstConnect?.TrySetResult(unit);
        var reason = await receiving.ConfigureAwait(false);
        await session.CancelAsync().ConfigureAwait(false);
        transport = null;
        return (SessionOutcome.WasConnected, reason);
    }

    /// <summary>disconnect(): no reconnect follows.</summary>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the disconnect is recorded; no reconnect follows.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> DisconnectAsync(CancellationToken ct = default)
    {
        var decided = await ExecuteAsync(new C.Disconnect(), ct).ConfigureAwait(false);
        var wasRunning = lifetime is not null;
        await StopLoopAsync().ConfigureAwait(false);
        // onDisConnect fires for a user's disconnect too, with isReconnecting = false.
        if (wasRunning && decided.Exists(e => !e.IsEmpty)) await RecordLocalAsync(new Disconnected("disconnected by the user", false)).ConfigureAwait(false);
        return decided.Map(_ => unit);
    }

    async Task StopLoopAsync()
    {
        var life = lifetime;
        lifetime = null;
        if (life is null) return;
        await life.CancelAsync().ConfigureAwait(false);
        var t = transport;
        if (t is not null) await t.DisposeAsync().ConfigureAwait(false);
        if (loop is not null) await Task.WhenAny(loop, Task.Delay(TimeSpan.FromSeconds(10))).ConfigureAwait(false);
        life.Dispose();
    }

    /// <summary>Drops the current connection at once, as a network failure would (the client reconnects by itself).</summary>
    public void DropConnection() => transport?.Abort();

    // ---------------------------------------------------------------- receiving

    async Task OnFrameAsync(byte[] raw, bool binary)
    {
        var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
        var now = options.Now();
        bool reconnecting;
        lock (stateLock) reconnecting = decision.Session.Status == Session.Status.Connecting && current.Session.ProjectId.IsSome;
        var records = Recording.Receive(user, raw, binary ? FrameForm.Binary : FrameForm.Text, now, reconnecting, options.MaxFrameBytes);
        // Pipelined: the frame's events are queued on the log in arrival order (the log keeps that order and
        // commits them together with their neighbours), and the loop reads the next frame while they are being
        // made durable. What follows from them (answers to waiters, delivery reports) follows from their folding, once they are.
        // At most ReceiveWindow frames are in flight: past that the loop waits, and TCP pushes back on the server.
        await inFlight.WaitAsync().ConfigureAwait(false);
        var durable = AppendAllAsync(records);
        _ = AfterDurableAsync(durable, records, arrived);
    }

    async Task<Fin<Unit>> AppendAllAsync(Seq<Recorded> records)
    {
        if (records.Count == 1) return await AppendAsync(records.Head, received: true).ConfigureAwait(false);
        var all = records.Map(r => AppendAsync(r, received: true)).Strict();
        foreach (var t in all)
            if ((await t.ConfigureAwait(false)).IsFail) return await t.ConfigureAwait(false);
        return unit;
    }

    async Task AfterDurableAsync(Task<Fin<Unit>> durable, Seq<Recorded> records, long arrived)
    {
        try
        {
            var stored = await durable.ConfigureAwait(false);
            if (stored.IsFail) Unstored(records, stored.Match(_ => "", e => e.Message));
            else Telemetry.ReceiveDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(arrived).TotalSeconds);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
        {
            // The client was disposed while the frame was being recorded: nothing waits for it any more, and its catch-up
            // after the next connect covers it; said at debug level all the same.
            StepFailed("record a received frame", $"the client was disposed first ({ex.GetType().Name})");
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Nobody awaits this task: a failure in reacting to a frame is logged, never lost silently.
            LogReactionFailed(logger, ex);
        }
        finally
        {
            inFlight.Release();
        }
    }

    // A frame the log could not store: no reaction (no delivery report, no ping answer), the waiter learns the
    // outcome is unknown, and the connection is dropped so that nothing more arrives until storage is back.
    void Unstored(Seq<Recorded> records, string reason)
    {
        foreach (var r in records)
            foreach (var (conv, seq) in Recording.ConversationOf(r.Event).Map(c => (c, r.Meta.Seq.IfNone(0))))
                unstored.AddOrUpdate(conv, (seq, seq), (_, old) => (Math.Min(old.From, seq), Math.Max(old.To, seq)));
        var head = records.Head.Meta;
        // The caller learns the outcome is unknown: the server answered, but the answer is not in the record.
        foreach (var service in head.Service)
            foreach (var id in head.RequestId)
                if (waiting.TryRemove(id, out var waiter))
                    waiter.TrySetResult(new Fact.Abandoned(requests.Command(id).IfNone(new PacketUnknown(service, Json.Obj.Empty)), id, Abandonment.TimedOut));
        var first = !storageFailed;
        storageFailed = true;
        if (first)
        {
            LogUnstored(logger, reason);
            faults.OnNext(new RecordingFault(RecordingFaultKind.StorageFailed, $"the event log could not store a received frame: {reason}"));
        }
        transport?.Abort();
    }

    // Before (re)connecting after a storage failure: wait until the log takes writes again, recording each gap as the first write.
    async Task<bool> StorageBackAsync(CancellationToken life)
    {
        if (!storageFailed) return true;
        var delay = options.ReconnectBackoff;
        while (!life.IsCancellationRequested)
        {
            var gaps = unstored.ToArray();
            var recorded = await RecordLocalAsync(gaps.Length == 0
                ? new Disconnected("the event log could not store what arrived; catching up", true)
                : new GapDetected(gaps[0].Key, Math.Max(1, gaps[0].Value.From), Math.Max(1, gaps[0].Value.To))).ConfigureAwait(false);
            if (recorded.IsSucc)
            {
                foreach (var (conv, range) in gaps.Skip(1))
                    if ((await RecordLocalAsync(new GapDetected(conv, Math.Max(1, range.From), Math.Max(1, range.To))).ConfigureAwait(false)).IsFail) break;
                foreach (var (conv, _) in gaps) unstored.TryRemove(conv, out _);
                storageFailed = false;
                LogStorageBack(logger, gaps.Length);
                faults.OnNext(new RecordingFault(RecordingFaultKind.StorageRecovered, $"the event log takes writes again; {gaps.Length} gap(s) recorded, catching up"));
                return true;
            }
            try
            {
                await Task.Delay(delay, options.Time, life).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 5_000));
        }
        return false;
    }

    /// <summary>A frame over the limit: skipped, recorded as malformed with its first bytes and its size, reported.</summary>
    async Task OnOversizedAsync(long size, byte[] prefix)
    {
        LogSkipped(logger, size, options.MaxFrameBytes);
        faults.OnNext(new RecordingFault(RecordingFaultKind.FrameSkipped, $"skipped a frame of {size} bytes from the server (limit {options.MaxFrameBytes})"));
        var record = Recording.Local(user, new PacketMalformed(None, $"frame of {size} bytes exceeds the client's limit of {options.MaxFrameBytes} bytes: skipped (first {prefix.Length} bytes kept)"),
            options.Now());
        await AppendAsync(record with { Meta = record.Meta with { Origin = Origin.Received, Raw = new Raw(prefix) } }).ConfigureAwait(false);
    }
}
