using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.InMemory;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using C = EventSourced.Domain.Client.Command;
using Wire = EventSourced.Domain.Packets;

namespace EventSourced.Adapters.Client;

/// <summary>
/// Stringee's StringeeClient on an event log. Every command is decided purely and recorded before
/// its packet is sent; every packet received is recorded before anything observes it; state,
/// observables and local queries are folds of the log. Results carry Stringee's codes.
/// <para>
/// Nothing is acknowledged that is not durable: when the log cannot store what arrives, the client
/// sends no delivery report for it, drops the connection (the server stops sending), reports a
/// <see cref="RecordingFault"/> on <see cref="OnRecordingFault"/> and in its log, waits until the log
/// takes writes again, records a <c>GapDetected</c> for what it lost, reconnects and catches up.
/// </para>
/// </summary>
public sealed partial class StringeeClient : IAsyncDisposable
{
    readonly ClientOptions options;
    readonly IEventLog log;
    readonly bool ownsLog;
    readonly object stateLock = new();
    readonly SemaphoreSlim commands = new(1, 1);
    const int ReceiveWindow = 256;
    readonly SemaphoreSlim inFlight = new(ReceiveWindow, ReceiveWindow);
    readonly Subject<Recorded> feed = new();
    readonly Subject<RecordingFault> faults = new();
    readonly Microsoft.Extensions.Logging.ILogger logger;
    // Conversations (and the seq range) whose packets arrived but could not be stored; recorded as gaps once storage is back.
    readonly ConcurrentDictionary<string, (long From, long To)> unstored = new(StringComparer.Ordinal);
    volatile bool storageFailed;
    readonly BehaviorSubject<ReadModels> models = new(ReadModels.Initial);
    readonly ConcurrentDictionary<(short Service, long RequestId), TaskCompletionSource<Seq<Event>>> pending = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource<Seq<Event>>> sends = new(StringComparer.Ordinal);
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(15) };
    // Messages put on the wire on the current connection; the outbox flush after a reconnect resends only the others.
    readonly ConcurrentDictionary<string, byte> sentOnThisConnection = new(StringComparer.Ordinal);
    ClientState decision = ClientState.Initial;
    ReadModels current = ReadModels.Initial;
    IDisposable? subscription;
    string user = "";
    string? token;
    long nextRequestId = 1;
    long lastPacketAt;
    volatile IClientTransport? transport;
    CancellationTokenSource? lifetime;
    Task? loop;
    TaskCompletionSource<Fin<Unit>>? firstConnect;

    /// <summary>A client; nothing happens until <see cref="ConnectAsync"/>.</summary>
    public StringeeClient(ClientOptions options)
    {
        this.options = options;
        ownsLog = options.Log is null;
        log = options.Log ?? new InMemoryEventLog();
        logger = options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>
    /// What the client could not record or could not hold: storage failures (the client stops, waits for
    /// the log and catches up) and frames skipped for exceeding <see cref="ClientOptions.MaxFrameBytes"/>.
    /// </summary>
    public IObservable<RecordingFault> OnRecordingFault => faults.AsObservable();

    /// <summary>True while the log refuses writes (the client is not connected meanwhile).</summary>
    public bool StorageFailed => storageFailed;

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error,
        Message = "the event log could not store a received frame ({Reason}); not acknowledging it, dropping the connection until the log takes writes again")]
    static partial void LogUnstored(Microsoft.Extensions.Logging.ILogger logger, string reason);
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "the event log takes writes again; {Gaps} gap(s) recorded, reconnecting to catch up")]
    static partial void LogStorageBack(Microsoft.Extensions.Logging.ILogger logger, int gaps);
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error,
        Message = "reacting to a recorded frame failed (no delivery report or answer followed from it)")]
    static partial void LogReactionFailed(Microsoft.Extensions.Logging.ILogger logger, Exception ex);
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "skipped a frame of {Bytes} bytes from the server: over the limit of {Limit} bytes")]
    static partial void LogSkipped(Microsoft.Extensions.Logging.ILogger logger, long bytes, int limit);

    // ---------------------------------------------------------------- observables

    /// <summary>Every event recorded for this user, after it is recorded.</summary>
    public IObservable<Recorded> Recorded => feed.AsObservable();
    IObservable<Event> Events => feed.Select(r => r.Event);

    /// <summary>onConnect(userId, projectId, isReconnecting).</summary>
    public IObservable<ConnectionChange> OnConnect => Events.OfType<Connected>()
        .Select(c => new ConnectionChange(c.Result.UserId.IfNone(user), c.Result.ProjectId.IfNone(0), c.IsReconnecting));
    /// <summary>onDisConnect(userId, projectId, isReconnecting).</summary>
    public IObservable<ConnectionChange> OnDisConnect => Events.OfType<Disconnected>()
        .Select(d => new ConnectionChange(user, current.Session.ProjectId.IfNone(0), d.IsReconnecting));
    /// <summary>onFailWithError(userId, code, message).</summary>
    public IObservable<ConnectionError> OnFailWithError => Events.OfType<ConnectFailed>().Where(f => f.Result.R != AuthenCodes.ChangeServer)
        .Select(f => new ConnectionError(user, f.Result.R, f.Result.Message.IfNone(AuthenCodes.Message(f.Result.R))));
    /// <summary>onRequestAccessToken().</summary>
    public IObservable<Unit> OnRequestAccessToken => Events.OfType<AccessTokenRequested>().Select(_ => unit);
    /// <summary>onIncomingCall(...).</summary>
    public IObservable<IncomingCall> OnIncomingCall => Events.OfType<IncomingCallReceived>().Select(c => Call(c.Packet));
    /// <summary>onIncomingCall2(...).</summary>
    public IObservable<IncomingCall> OnIncomingCall2 => Events.OfType<IncomingCall2Received>().Select(c => Call(c.Packet));
    /// <summary>onCustomMessage(data): the message as JSON text.</summary>
    public IObservable<string> OnCustomMessage => Events.OfType<CustomMessageReceived>().Select(m => m.Packet.Message is Json.Str s ? s.Value : m.Packet.Message.ToJsonString());
    /// <summary>onObjectChange(objectType, changeType, objectChanges), with the read-model objects.</summary>
    public IObservable<ObjectChange> OnObjectChange => Events.SelectMany(e => ObjectChanges.Derive(e)).Select(Resolve);
    /// <summary>onReceiveChatRequest(request): routed now, or pending when an agent connects.</summary>
    public IObservable<ChatRequestRef> OnReceiveChatRequest => Events.SelectMany(e => e switch
    {
        ChatRequestReceived r => Seq1(new ChatRequestRef(r.Packet.ConvId, r.Packet.CustomerId, r.Packet.CustomerName.IfNone(""), r.Packet.ChannelType.IfNone(1), false)),
        ChatRequestsLoaded l => l.Result.ChatRequests.Filter(x => x.Type != Some("transfer"))
            .Map(x => new ChatRequestRef(x.ConvId, x.CustomerId, x.CustomerName.IfNone(""), x.ChannelType.IfNone(1), false)),
        _ => Seq<ChatRequestRef>(),
    });
    /// <summary>onReceiveTransferChatRequest(request).</summary>
    public IObservable<ChatRequestRef> OnReceiveTransferChatRequest => Events.SelectMany(e => e switch
    {
        TransferRequestReceived r => Seq1(new ChatRequestRef(r.Packet.ConvId, r.Packet.CustomerId, r.Packet.CustomerName.IfNone(""), r.Packet.ChannelType.IfNone(1), true)),
        ChatRequestsLoaded l => l.Result.ChatRequests.Filter(x => x.Type == Some("transfer"))
            .Map(x => new ChatRequestRef(x.ConvId, x.CustomerId, x.CustomerName.IfNone(""), x.ChannelType.IfNone(1), true)),
        _ => Seq<ChatRequestRef>(),
    });
    /// <summary>onTimeoutAnswerChat(request).</summary>
    public IObservable<ChatRequestRef> OnTimeoutAnswerChat => Events.OfType<AgentAnswerTimedOut>().Select(t =>
        current.LiveChat.ByConv.Find(t.Packet.ConvId).Map(r => new ChatRequestRef(r.ConvId, r.CustomerId, r.CustomerName, r.ChannelType, r.IsTransfer))
            .IfNone(new ChatRequestRef(t.Packet.ConvId, t.Packet.CustomerId.IfNone(""), t.Packet.CustomerName.IfNone(""), 1, false)));
    /// <summary>onTimeoutInQueue(convId, customerId, customerName).</summary>
    public IObservable<QueueTimeout> OnTimeoutInQueue => Events.OfType<QueueTimedOut>()
        .Select(t => new QueueTimeout(t.Packet.ConvId, t.Packet.CustomerId.IfNone(user), t.Packet.CustomerName.IfNone("")));
    /// <summary>onConversationEnded(convId, endedby).</summary>
    public IObservable<ConversationEnd> OnConversationEnded => Events.OfType<ConversationEnded>().Select(c => new ConversationEnd(c.Packet.ConvId, c.Packet.Endedby));
    /// <summary>onUserBeginTyping(convId, userId, displayName).</summary>
    public IObservable<UserTyping> OnUserBeginTyping => Events.OfType<UserBeganTyping>().Select(t => new UserTyping(t.Packet.ConvId, t.Packet.UserId, t.Packet.DisplayName.IfNone(t.Packet.UserId)));
    /// <summary>onUserEndTyping(convId, userId, displayName).</summary>
    public IObservable<UserTyping> OnUserEndTyping => Events.OfType<UserEndedTyping>().Select(t => new UserTyping(t.Packet.ConvId, t.Packet.UserId, t.Packet.DisplayName.IfNone(t.Packet.UserId)));

    /// <summary>All read models, current value first, then after every change.</summary>
    public IObservable<ReadModels> Models => models.AsObservable();
    /// <summary>The conversation list, emitted when it changes.</summary>
    public IObservable<Seq<ConversationList.Conversation>> Conversations => Models.Select(m => m.Conversations).DistinctUntilChanged(ReferenceComparer<ConversationList.State>.Instance).Select(ConversationList.Visible);
    /// <summary>One conversation's messages as the user sees them, emitted when they change.</summary>
    public IObservable<Seq<Timeline.MessageView>> Timeline(string convId) => Models.Select(m => Projections.Timeline.View(m.Timeline, convId)).DistinctUntilChanged();
    /// <summary>One conversation's pinned message and pin history.</summary>
    public IObservable<Pins.Conversation> Pins(string convId) => Models.Select(m => m.Pins.ByConv.Find(convId).IfNone(new Pins.Conversation(None, Seq<Pins.PinAction>()))).DistinctUntilChanged();
    /// <summary>One conversation's edits, by message.</summary>
    public IObservable<Seq<EditHistory.Entry>> EditHistory(string convId) => Models.Select(m => m.Edits.ByMsg.Values.Filter(x => x.ConvId == convId).ToSeq()).DistinctUntilChanged();

    /// <summary>The read models now.</summary>
    public ReadModels Current { get { lock (stateLock) return current; } }
    /// <summary>True while authenticated.</summary>
    public bool IsConnected { get { lock (stateLock) return decision.Session.IsConnected; } }
    /// <summary>The authenticated (or connecting) user.</summary>
    public string UserId => user;

    // ---------------------------------------------------------------- the log

    async Task AttachAsync(string userId)
    {
        lock (stateLock)
        {
            if (userId == user && subscription is not null) return;
            subscription?.Dispose();
            user = userId;
            decision = ClientState.Initial;
            current = ReadModels.Initial;
        }
        // State is rebuilt from the user's history; a log may replay asynchronously (Marten), so wait,
        // boundedly, until the subscription has reached what the log held when we attached.
        var prefix = Recording.UserPrefix(userId);
        var target = log.LastPosition;
        var caughtUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (target == 0) caughtUp.TrySetResult();
        subscription = log.Subscribe().Subscribe(r =>
        {
            if (r.Meta.Stream.StartsWith(prefix, StringComparison.Ordinal)) OnRecorded(r);
            if (r.Meta.Position >= target) caughtUp.TrySetResult();
        });
        try
        {
            await caughtUp.Task.WaitAsync(options.ConnectTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Carry on with what was replayed; the feed keeps folding as it arrives.
        }
        lock (stateLock) models.OnNext(current);
        // A previous process may have ended without recording its disconnect: no transport of this instance is open.
        bool stale;
        lock (stateLock) stale = decision.Session.Status != Session.Status.Disconnected && lifetime is null;
        if (stale) await RecordLocalAsync(new Disconnected("the previous client session ended without a recorded disconnect", false)).ConfigureAwait(false);
    }

    void OnRecorded(Recorded r)
    {
        ReadModels changed;
        lock (stateLock)
        {
            decision = Decider.Evolve(decision, r.Event);
            var before = current;
            current = ReadModels.Evolve(current, r.Event);
            changed = ReferenceEquals(before, current) ? null! : current;
            foreach (var id in r.Meta.RequestId) if (r.Meta.Origin == Origin.Sent && id >= nextRequestId) nextRequestId = id + 1;
        }
        feed.OnNext(r);
        if (changed is not null) models.OnNext(changed);
    }

    async Task<Fin<Unit>> AppendAsync(Recorded r, CancellationToken ct = default)
    {
        var appended = await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r], ct).ConfigureAwait(false);
        return appended.Map(_ => unit);
    }

    Task<Fin<Unit>> RecordLocalAsync(Event e) => AppendAsync(Recording.Local(user, e, options.Clock()));

    long NextRequestId()
    {
        lock (stateLock) return nextRequestId++;
    }

    // ---------------------------------------------------------------- commands

    static Error Failure(Rejection r) => Error.New(r.Code, r.Message);
    static readonly Error Timeout = Error.New(Rejection.Timeout.Code, Rejection.Timeout.Message);

    /// <summary>Decides a command, records its events, sends its packet, and awaits the answer when there is one.</summary>
    async Task<Fin<Seq<Event>>> ExecuteAsync(Command command, CancellationToken ct)
    {
        Seq<Event> events;
        Context context;
        (Event? Request, TaskCompletionSource<Seq<Event>>? Answer) waiter = default;
        await commands.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Either<Rejection, Seq<Event>> decided;
            lock (stateLock)
            {
                // The id is taken here, atomically: automatic sends (pings, delivery reports, catch-up) draw from the same counter.
                var id = nextRequestId++;
                context = new Context(id, options.Clock(), $"{options.DeviceId}-{id}-{options.Clock()}");
                decided = Decider.Decide(decision, command, context);
            }
            if (decided.IsLeft) return Failure(decided.LeftToSeq().Head);
            events = (Seq<Event>)decided;
            if (events.IsEmpty) return events;
            foreach (var e in events)
            {
                var sent = await SendEventAsync(e, ct).ConfigureAwait(false);
                if (sent.IsFail) return sent.Map(_ => Seq<Event>());
                foreach (var w in (Option<TaskCompletionSource<Seq<Event>>>)sent) waiter = (e, w);
            }
        }
        finally
        {
            commands.Release();
        }
        return waiter is { Request: not null, Answer: not null }
            ? await AwaitAnswerAsync(waiter.Request!, waiter.Answer!, ct).ConfigureAwait(false)
            : events;
    }

    /// <summary>Records a command event and sends its packet if connected; registers who waits for the answer first.</summary>
    async Task<Fin<Option<TaskCompletionSource<Seq<Event>>>>> SendEventAsync(Event e, CancellationToken ct)
    {
        // The waiter is registered before the packet leaves and handed back, so an answer faster than the caller is never lost.
        Option<TaskCompletionSource<Seq<Event>>> waiter = None;
        var request = Recording.Request(e);
        foreach (var (service, body) in request)
            foreach (var id in body is IRequest q ? q.RequestId : None)
                waiter = pending[((short)service, id)] = new TaskCompletionSource<Seq<Event>>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (e is MessageSendRequested m)
            foreach (var local in m.Request.LocalDbId)
                waiter = sends.GetOrAdd(local, _ => new TaskCompletionSource<Seq<Event>>(TaskCreationOptions.RunContinuationsAsynchronously));
        var (record, packet) = Recording.Send(user, e, options.Clock());
        lock (stateLock)
            foreach (var id in record.Meta.RequestId) if (id >= nextRequestId) nextRequestId = id + 1;
        var appended = await AppendAsync(record, ct).ConfigureAwait(false);
        if (appended.IsFail) return appended.Map(_ => waiter);
        var t = transport;
        if (packet.IsSome && t is not null && IsConnected)
        {
            try
            {
                if (e is MessageSendRequested sent) foreach (var local in sent.Request.LocalDbId) sentOnThisConnection[local] = 0;
                await t.SendAsync(Frame.EncodeText((Packet)packet), ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
                // The connection just dropped: the request is recorded; a message stays in the outbox, anything else times out.
            }
        }
        return waiter;
    }

    async Task<Fin<Seq<Event>>> AwaitAnswerAsync(Event e, TaskCompletionSource<Seq<Event>> waiter, CancellationToken ct)
    {
        var id = Recording.RequestIdOf(e).IfNone(0);
        var service = Recording.Request(e).Map(r => r.Service).IfNone(Service.Ping);
        try
        {
            var answer = await waiter.Task.WaitAsync(options.RequestTimeout, ct).ConfigureAwait(false);
            var failed = answer.Choose(x => x is RequestFailed f ? Some(f.Result) : None).HeadOrNone();
            return failed.Match(f => Fin<Seq<Event>>.Fail(Error.New(f.R, f.Message.IfNone("Generic error"))), () => Fin<Seq<Event>>.Succ(answer));
        }
        catch (Exception ex) when (ex is TimeoutException or TaskCanceledException or OutcomeUnknownException)
        {
            pending.TryRemove(((short)service, id), out _);
            await AppendAsync(Recording.Local(user, new RequestTimedOut((short)service, id), options.Clock()), CancellationToken.None).ConfigureAwait(false);
            // A query that timed out changed nothing; a command may have been applied by the server: its outcome is unknown, not failed.
            var unknown = Rejection.OutcomeUnknown(e is MessageSendRequested, Protocol.IsQuery(service));
            return Error.New(unknown.Code, unknown.Message);
        }
    }

    // ---------------------------------------------------------------- receiving

    async Task OnFrameAsync(byte[] raw, bool binary)
    {
        var now = options.Clock();
        Interlocked.Exchange(ref lastPacketAt, now);
        bool reconnecting;
        lock (stateLock) reconnecting = decision.Session.Status == Session.Status.Connecting && current.Session.ProjectId.IsSome;
        var records = Recording.Receive(user, raw, binary ? FrameForm.Binary : FrameForm.Text, now, reconnecting, options.MaxFrameBytes);
        // Pipelined: the frame's events are queued on the log in arrival order (the log keeps that order and
        // commits them together with their neighbours), and the loop reads the next frame while they are being
        // made durable. What follows from them (answers to waiters, delivery reports) runs once they are.
        // At most ReceiveWindow frames are in flight: past that the loop waits, and TCP pushes back on the server.
        await inFlight.WaitAsync().ConfigureAwait(false);
        var durable = AppendAllAsync(records);
        _ = AfterDurableAsync(durable, records, now);
    }

    async Task<Fin<Unit>> AppendAllAsync(Seq<Recorded> records)
    {
        if (records.Count == 1) return await AppendAsync(records.Head).ConfigureAwait(false);
        var all = records.Map(r => AppendAsync(r)).Strict();
        foreach (var t in all)
            if ((await t.ConfigureAwait(false)).IsFail) return await t.ConfigureAwait(false);
        return unit;
    }

    async Task AfterDurableAsync(Task<Fin<Unit>> durable, Seq<Recorded> records, long now)
    {
        try
        {
            var stored = await durable.ConfigureAwait(false);
            if (stored.IsFail)
            {
                Unstored(records, stored.Match(_ => "", e => e.Message));
                return;
            }
            await ReactToFrameAsync(records, now).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException)
        {
            // The client was disposed while the frame was being recorded: nothing waits for it any more.
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
        foreach (var service in head.Service)
            foreach (var id in head.RequestId)
                if (pending.TryRemove((service, id), out var waiter)) waiter.TrySetException(new OutcomeUnknownException());
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
                await Task.Delay(delay, life).ConfigureAwait(false);
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
            options.Clock());
        await AppendAsync(record with { Meta = record.Meta with { Origin = Origin.Received, Raw = new Raw(prefix) } }).ConfigureAwait(false);
    }

    async Task ReactToFrameAsync(Seq<Recorded> records, long now)
    {
        var events = records.Map(r => r.Event);
        var head = records.Head.Meta;
        foreach (var service in head.Service)
            foreach (var id in head.RequestId)
                if (pending.TryRemove((service, id), out var waiter)) waiter.TrySetResult(events);
        foreach (var e in events) await ReactAsync(e, now).ConfigureAwait(false);
    }

    // Delivery reports are cumulative (received up to seq): while one is being recorded and sent, later ones for the
    // same conversation collapse into the highest seq, so a burst of messages costs a few reports, not one each.
    readonly ConcurrentDictionary<string, long> toReport = new(StringComparer.Ordinal);
    int reporting;

    void ReportDelivered(string convId, long seq)
    {
        toReport.AddOrUpdate(convId, seq, (_, old) => Math.Max(old, seq));
        if (Interlocked.CompareExchange(ref reporting, 1, 0) == 0) _ = ReportLoopAsync();
    }

    async Task ReportLoopAsync()
    {
        do
        {
            foreach (var convId in toReport.Keys)
                if (toReport.TryRemove(convId, out var seq))
                    await SendEventAsync(new MessageDeliveryReported(new ReportMessage(NextRequestId(), convId, seq, options.Clock(), 1)), CancellationToken.None).ConfigureAwait(false);
            Interlocked.Exchange(ref reporting, 0);
        }
        while (!toReport.IsEmpty && Interlocked.CompareExchange(ref reporting, 1, 0) == 0);
    }

    // What the SDKs do on their own when a packet arrives.
    async Task ReactAsync(Event e, long now)
    {
        switch (e)
        {
            case PingReceived:
                await SendEventAsync(new PingAnswered(new Ping(NextRequestId())), CancellationToken.None).ConfigureAwait(false);
                break;
            case MessageReceived m when m.Packet.From != user:
                ReportDelivered(m.Packet.ConvId, m.Packet.Seq);
                break;
            case MessageSent s:
                foreach (var local in s.Result.LocalDbId) if (sends.TryRemove(local, out var w)) w.TrySetResult(Seq1(e));
                break;
            case RequestFailed f when f.Service == (short)Service.ChatMessage:
                foreach (var local in current.Timeline.Outbox.Keys) if (sends.TryRemove(local, out var w)) w.TrySetResult(Seq1(e));
                break;
        }
    }

    // ---------------------------------------------------------------- connection

    /// <summary>connect(token): completes once authenticated, or with the AUTHEN error (code 1-10) or -3 on timeout.</summary>
    public async Task<Fin<Unit>> ConnectAsync(string token, CancellationToken ct = default)
    {
        var claims = Jwt.Read(token ?? "");
        await AttachAsync(claims.Match(c => c.Text("userId").IfNone("anonymous"), _ => "anonymous")).ConfigureAwait(false);
        if (loop is { IsCompleted: false } && !IsConnected && this.token == token && firstConnect is not null)
            return await firstConnect.Task.WaitAsync(options.ConnectTimeout, ct).ConfigureAwait(false);
        var decided = await ExecuteAsync(new C.Connect(token ?? ""), ct).ConfigureAwait(false);
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

    async Task<Seq<Uri>> ServersAsync(CancellationToken ct)
    {
        if (!options.Servers.IsEmpty) return options.Servers;
        var baseUrl = options.RestBaseUrl ?? new Uri("https://api.stringee.com/");
        try
        {
            var body = Json.Parse(await http.GetByteArrayAsync(new Uri(baseUrl, $"v2/getStringeeServerAddress?access_token={Uri.EscapeDataString(token ?? "")}"), ct).ConfigureAwait(false));
            var secure = baseUrl.Scheme == Uri.UriSchemeHttps;
            return body.Match(
                Right: j => j is Json.Obj o && o["data"].Case is Json.Obj d && d["stringeeServerAddrs"].Case is Json.Obj a && a["web"].Case is Json.Arr web
                    ? web.Items.Choose(x => x is Json.Obj w && w["ip"].Case is Json.Str ip && w["port"].Case is Json.Number port
                        ? Some(new Uri($"{(secure ? "wss" : "ws")}://{ip.Value}:{(long)port.Value}")) : None).ToSeq()
                    : Seq<Uri>(),
                Left: _ => Seq<Uri>());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return Seq<Uri>();
        }
    }

    async Task ConnectionLoopAsync(CancellationToken life)
    {
        var attempt = 0;
        var serverIndex = 0;
        var retriesHere = 0;
        var everConnected = false;
        while (!life.IsCancellationRequested)
        {
            if (!await StorageBackAsync(life).ConfigureAwait(false)) return;
            var servers = await ServersAsync(life).ConfigureAwait(false);
            var reason = "no server address";
            if (!servers.IsEmpty)
            {
                var server = servers[serverIndex % servers.Count];
                var (outcome, why) = await SessionAsync(server, everConnected, life).ConfigureAwait(false);
                reason = why;
                if (outcome == SessionOutcome.Refused) return;
                if (outcome == SessionOutcome.WasConnected)
                {
                    everConnected = true;
                    attempt = 0;
                    retriesHere = 0;
                }
            }
            if (life.IsCancellationRequested) return;
            attempt++;
            // The web SDK's rotation: stay on a server for two retries, then move to the next.
            if (++retriesHere > 2)
            {
                serverIndex++;
                retriesHere = 0;
            }
            var giveUp = attempt > options.MaxReconnectAttempts;
            await RecordLocalAsync(new Disconnected(reason, !giveUp)).ConfigureAwait(false);
            if (giveUp)
            {
                firstConnect?.TrySetResult(Error.New(-3, $"could not connect: {reason}"));
                return;
            }
            try
            {
                await Task.Delay(options.ReconnectBackoff * Math.Min(attempt, 20), life).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    enum SessionOutcome { NeverConnected, WasConnected, Refused }

    async Task<(SessionOutcome, string)> SessionAsync(Uri server, bool reconnecting, CancellationToken life)
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
        sentOnThisConnection.Clear();
        Interlocked.Exchange(ref lastPacketAt, options.Clock());
        await RecordLocalAsync(new TransportOpened(server.ToString())).ConfigureAwait(false);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(life);
        var receiving = t.ReceiveAsync(OnFrameAsync, options.MaxFrameBytes, session.Token, OnOversizedAsync);
        var authenId = NextRequestId();
        var real = new Authen(token, authenId, options.DeviceId, None, $"session-{Guid.NewGuid():N}", 3, "", "stringee-es (.NET)", "0x0", "stringee-es/1.0");
        var waiter = new TaskCompletionSource<Seq<Event>>(TaskCreationOptions.RunContinuationsAsynchronously);
        pending[((short)Service.Authen, authenId)] = waiter;
        // The log keeps the token without its signature; the wire gets the real one.
        var (record, _) = Recording.Send(user, new AuthenSent(real with { Accesstoken = Jwt.Redact(token ?? "") }), options.Clock());
        await AppendAsync(record, CancellationToken.None).ConfigureAwait(false);
        Seq<Event> answer;
        try
        {
            await t.SendAsync(Frame.EncodeText(Protocol.Encode(Service.Authen, real)), life).ConfigureAwait(false);
            answer = await waiter.Task.WaitAsync(options.ConnectTimeout, life).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or System.Net.WebSockets.WebSocketException)
        {
            transport = null;
            t.Abort();
            return (SessionOutcome.NeverConnected, $"no AUTHEN answer from {server}");
        }
        var failed = answer.Choose(e => e is ConnectFailed f ? Some(f.Result) : None).HeadOrNone();
        if (failed.IsSome)
        {
            var f = (AuthenResult)failed;
            transport = null;
            if (f.R == AuthenCodes.ChangeServer) return (SessionOutcome.NeverConnected, "the server is a slave: changing server");
            firstConnect?.TrySetResult(Error.New(f.R, f.Message.IfNone(AuthenCodes.Message(f.R))));
            return (SessionOutcome.Refused, AuthenCodes.Message(f.R));
        }
        var connected = answer.Choose(e => e is Connected c ? Some(c.Result) : None).HeadOrNone();
        var pingAfter = connected.Bind(c => c.PingAfterMs).IfNone(30_000);
        var work = Task.Run(() => AfterConnectAsync(connected.Bind(c => c.ChatAgent).IfNone(false), life), CancellationToken.None);
        firstConnect?.TrySetResult(unit);
        // Liveness: no packet for ping_after_ms + 15 s means the link is dead (the web SDK's rule).
        var watchdog = Task.Run(async () =>
        {
            try
            {
                while (!session.IsCancellationRequested)
                {
                    await Task.Delay(1_000, session.Token).ConfigureAwait(false);
                    if (options.Clock() - Interlocked.Read(ref lastPacketAt) > pingAfter + 15_000) t.Abort();
                }
            }
            catch (OperationCanceledException)
            {
                // session over
            }
        }, CancellationToken.None);
        var reason = await receiving.ConfigureAwait(false);
        await session.CancelAsync().ConfigureAwait(false);
        transport = null;
        await Task.WhenAll(watchdog, work).WaitAsync(TimeSpan.FromSeconds(15), CancellationToken.None).ConfigureAwait(false);
        foreach (var (key, w) in pending) if (pending.TryRemove(key, out _)) w.TrySetCanceled(CancellationToken.None);
        return (SessionOutcome.WasConnected, reason);
    }

    /// <summary>After every (re)connect: pending chat requests for agents, catch-up of every known conversation, then the outbox in order.</summary>
    async Task AfterConnectAsync(bool chatAgent, CancellationToken life)
    {
        try
        {
            if (chatAgent) await RequestAsync(new ChatRequestsLoadRequested(new LoadChatRequests(NextRequestId())), life).ConfigureAwait(false);
            // The server cuts a long listing to fit a frame: page on (latest first) until a page adds nothing.
            var smaller = 9007199254740991L;
            for (var page = 0; page < 200 && !life.IsCancellationRequested; page++)
            {
                var before = Current.Conversations.ById.Count;
                var listed = await RequestAsync(new ConversationsLoadRequested(new LoadConversations(NextRequestId(), 0, smaller, 500, None, None, None, None, None)), life).ConfigureAwait(false);
                var updates = listed.Map(es => es.Bind(e => e is ConversationsLoaded l ? l.Result.ListConvs.Map(c => c.LastUpdate.IfNone(0)) : Seq<long>())).IfFail(Seq<long>());
                if (updates.IsEmpty || (Current.Conversations.ById.Count == before && page > 0)) break;
                smaller = updates.Min() + 1;
            }
            foreach (var conv in ConversationList.Visible(Current.Conversations).Map(c => c.Id))
            {
                for (var page = 0; page < 1_000 && !life.IsCancellationRequested; page++)
                {
                    var coverage = Projections.Coverage.Of(Current.Coverage, conv);
                    if (page == 0 && coverage.KnownLast > coverage.ContiguousUpTo)
                        await RecordLocalAsync(new GapDetected(conv, coverage.ContiguousUpTo + 1, coverage.KnownLast)).ConfigureAwait(false);
                    var loaded = await RequestAsync(new MessagesLoadRequested(new LoadMessages(NextRequestId(), conv, coverage.ContiguousUpTo, 9007199254740991,
                        options.CatchUpPageSize, "ASC", None, None, None)), life).ConfigureAwait(false);
                    var count = loaded.Bind(es => es.Choose(e => e is MessagesLoaded m ? Some(m.Result.Msgs.Count) : None).HeadOrNone().ToFin()).IfFail(0);
                    if (count < options.CatchUpPageSize || Projections.Coverage.Of(Current.Coverage, conv).ContiguousUpTo == coverage.ContiguousUpTo) break;
                }
            }
            await commands.WaitAsync(life).ConfigureAwait(false);
            try
            {
                foreach (var o in Projections.Timeline.Outbox(Current.Timeline).Filter(o => !sentOnThisConnection.ContainsKey(o.LocalId)).ToList())
                    await SendEventAsync(new MessageSendRequested(new Wire.SendMessage(NextRequestId(), o.ConvId, o.Type, o.Content, o.LocalId)), life).ConfigureAwait(false);
            }
            finally
            {
                commands.Release();
            }
        }
        catch (OperationCanceledException)
        {
            // disconnected meanwhile: the next connect catches up again
        }
    }

    async Task<Fin<Seq<Event>>> RequestAsync(Event e, CancellationToken ct)
    {
        var sent = await SendEventAsync(e, ct).ConfigureAwait(false);
        if (sent.IsFail) return sent.Map(_ => Seq<Event>());
        var waiter = (Option<TaskCompletionSource<Seq<Event>>>)sent;
        return waiter.IsSome ? await AwaitAnswerAsync(e, (TaskCompletionSource<Seq<Event>>)waiter, ct).ConfigureAwait(false) : Seq1(e);
    }

    /// <summary>disconnect(): no reconnect follows.</summary>
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

    // ---------------------------------------------------------------- the seed API

    static Fin<Unit> Done(Fin<Seq<Event>> r) => r.Map(_ => unit);

    Fin<ConversationList.Conversation> Conversation(string id) =>
        Current.Conversations.ById.Find(id).ToFin(Error.New(-3, "No conversation found."));

    /// <summary>registerPush.</summary>
    public async Task<Fin<Unit>> RegisterPushAsync(string deviceToken, bool isProduction, bool isVoip, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.RegisterPush(deviceToken ?? "", isProduction, isVoip), ct).ConfigureAwait(false));
    /// <summary>unregisterPush.</summary>
    public async Task<Fin<Unit>> UnregisterPushAsync(string deviceToken, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.UnregisterPush(deviceToken ?? ""), ct).ConfigureAwait(false));
    /// <summary>sendCustomMessage.</summary>
    public async Task<Fin<Unit>> SendCustomMessageAsync(string toUserId, string message, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendCustomMessage(toUserId ?? "", message ?? ""), ct).ConfigureAwait(false));

    /// <summary>createConversation.</summary>
    public async Task<Fin<ConversationList.Conversation>> CreateConversationAsync(Seq<string> userIds, ConversationOptions? options = null, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.CreateConversation(userIds, options ?? ConversationOptions.Default), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is ConversationCreated c ? Some(c.Result.Conversation.ConvId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")))
            .Bind(Conversation);
    /// <summary>getConversationById: from the server, recorded, then read from the conversation list.</summary>
    public async Task<Fin<ConversationList.Conversation>> GetConversationByIdAsync(string conversationId, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.GetConversationById(conversationId ?? ""), ct).ConfigureAwait(false)).Bind(_ => Conversation(conversationId!));
    /// <summary>getLocalConversations: the recorded conversations, latest update first.</summary>
    public Task<Fin<Seq<ConversationList.Conversation>>> GetLocalConversationsAsync(string userId, int count, CancellationToken ct = default) =>
        Local(new C.GetLocalConversations(userId ?? "", count), () => ConversationList.Visible(Current.Conversations).Take(count).ToSeq(), ct);
    /// <summary>getLastConversations.</summary>
    public Task<Fin<Seq<ConversationList.Conversation>>> GetLastConversationsAsync(int count, CancellationToken ct = default) => Listed(new C.GetLastConversations(count), ct);
    /// <summary>getConversationsAfter.</summary>
    public Task<Fin<Seq<ConversationList.Conversation>>> GetConversationsAfterAsync(long datetime, int count, CancellationToken ct = default) => Listed(new C.GetConversationsAfter(datetime, count), ct);
    /// <summary>getConversationsBefore.</summary>
    public Task<Fin<Seq<ConversationList.Conversation>>> GetConversationsBeforeAsync(long datetime, int count, CancellationToken ct = default) => Listed(new C.GetConversationsBefore(datetime, count), ct);

    async Task<Fin<Seq<ConversationList.Conversation>>> Listed(Command c, CancellationToken ct) =>
        (await ExecuteAsync(c, ct).ConfigureAwait(false)).Map(es => es.Bind(e => e is ConversationsLoaded l ? l.Result.ListConvs.Map(x => x.ConvId) : Seq<string>())
            .Choose(id => Current.Conversations.ById.Find(id)));

    /// <summary>deleteConversation.</summary>
    public async Task<Fin<Unit>> DeleteConversationAsync(string conversationId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.DeleteConversation(conversationId ?? ""), ct).ConfigureAwait(false));
    /// <summary>addParticipants: the users added.</summary>
    public async Task<Fin<Seq<string>>> AddParticipantsAsync(string conversationId, Seq<string> userIds, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.AddParticipants(conversationId ?? "", userIds), ct).ConfigureAwait(false))
            .Map(es => es.Bind(e => e is ParticipantsAdded a ? a.Result.Added.Map(p => p.User) : Seq<string>()));
    /// <summary>removeParticipants: the users removed.</summary>
    public async Task<Fin<Seq<string>>> RemoveParticipantsAsync(string conversationId, Seq<string> userIds, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.RemoveParticipants(conversationId ?? "", userIds), ct).ConfigureAwait(false))
            .Map(es => es.Bind(e => e is ParticipantsRemoved r ? r.Result.Removed.Map(p => p.User) : Seq<string>()));
    /// <summary>updateConversation(name, avatar).</summary>
    public async Task<Fin<Unit>> UpdateConversationAsync(string conversationId, Option<string> name, Option<string> avatar, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.UpdateConversation(conversationId ?? "", name, avatar), ct).ConfigureAwait(false));
    /// <summary>markConversationAsRead.</summary>
    public async Task<Fin<Unit>> MarkConversationAsReadAsync(string conversationId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.MarkConversationAsRead(conversationId ?? ""), ct).ConfigureAwait(false));
    /// <summary>getConversationWithUser.</summary>
    public async Task<Fin<ConversationList.Conversation>> GetConversationWithUserAsync(string userId, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.GetConversationWithUser(userId ?? ""), ct).ConfigureAwait(false))
            .Bind(es => es.Bind(e => e is ConversationWithUserLoaded l ? l.Result.Conversations.Map(c => c.ConvId) : Seq<string>()).HeadOrNone()
                .ToFin(Error.New(-3, "No conversation found.")))
            .Bind(Conversation);
    /// <summary>getUnreadConversationCount.</summary>
    public async Task<Fin<int>> GetUnreadConversationCountAsync(CancellationToken ct = default) =>
        (await ExecuteAsync(new C.GetUnreadConversationCount(), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is UnreadCountReceived u ? Some(u.Result.Count) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")));
    /// <summary>sendBeginTyping.</summary>
    public async Task<Fin<Unit>> SendBeginTypingAsync(string convId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendBeginTyping(convId ?? ""), ct).ConfigureAwait(false));
    /// <summary>sendEndTyping.</summary>
    public async Task<Fin<Unit>> SendEndTypingAsync(string convId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendEndTyping(convId ?? ""), ct).ConfigureAwait(false));

    /// <summary>sendMessage: completes when the server has given the message its seq (a message sent while reconnecting waits in the outbox).</summary>
    public async Task<Fin<Timeline.MessageView>> SendMessageAsync(string convId, int type, Json.Obj content, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.SendMessage(convId ?? "", type, content), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is MessageSent s ? Some(s.Result.MsgId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")))
            .Bind(id => Projections.Timeline.View(Current.Timeline, convId!).Find(m => m.Id == id).ToFin(Error.New(-3, "No message found.")));
    /// <summary>sendMessage of a text message.</summary>
    public Task<Fin<Timeline.MessageView>> SendTextAsync(string convId, string text, CancellationToken ct = default) =>
        SendMessageAsync(convId, 1, Json.Object(("content", text ?? "")), ct);
    /// <summary>deleteMessage.</summary>
    public async Task<Fin<Unit>> DeleteMessageAsync(string conversationId, string messageId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.DeleteMessage(conversationId ?? "", messageId ?? ""), ct).ConfigureAwait(false));
    /// <summary>getLocalMessages: the last <paramref name="count"/> recorded messages, oldest first.</summary>
    public Task<Fin<Seq<Timeline.MessageView>>> GetLocalMessagesAsync(string conversationId, int count, CancellationToken ct = default) =>
        Local(new C.GetLocalMessages(conversationId ?? "", count), () => Projections.Timeline.View(Current.Timeline, conversationId!).TakeLast(count).ToSeq(), ct);
    /// <summary>getLastMessages.</summary>
    public Task<Fin<Seq<Timeline.MessageView>>> GetLastMessagesAsync(string conversationId, int count, CancellationToken ct = default) =>
        Messages(new C.GetLastMessages(conversationId ?? "", count), conversationId ?? "", ct);
    /// <summary>getMessagesAfter.</summary>
    public Task<Fin<Seq<Timeline.MessageView>>> GetMessagesAfterAsync(string conversationId, long seq, int count, CancellationToken ct = default) =>
        Messages(new C.GetMessagesAfter(conversationId ?? "", seq, count), conversationId ?? "", ct);
    /// <summary>getMessagesBefore.</summary>
    public Task<Fin<Seq<Timeline.MessageView>>> GetMessagesBeforeAsync(string conversationId, long seq, int count, CancellationToken ct = default) =>
        Messages(new C.GetMessagesBefore(conversationId ?? "", seq, count), conversationId ?? "", ct);

    async Task<Fin<Seq<Timeline.MessageView>>> Messages(Command c, string conversationId, CancellationToken ct) =>
        (await ExecuteAsync(c, ct).ConfigureAwait(false)).Map(es =>
        {
            var ids = es.Bind(e => e is MessagesLoaded l ? l.Result.Msgs.Map(m => m.Id) : Seq<string>()).ToHashSet();
            return Projections.Timeline.View(Current.Timeline, conversationId).Filter(m => ids.Contains(m.Id));
        });

    async Task<Fin<T>> Local<T>(Command c, Func<T> read, CancellationToken ct) =>
        (await ExecuteAsync(c, ct).ConfigureAwait(false)).Map(_ => read());

    /// <summary>clearDb: the local view is emptied (the event log, the audit record, is kept).</summary>
    public async Task<Fin<Unit>> ClearDbAsync(CancellationToken ct = default) => Done(await ExecuteAsync(new C.ClearDb(), ct).ConfigureAwait(false));

    // ---- live chat

    async Task<Fin<Json.Obj>> RestAsync(string pathAndQuery, Event requested, Func<Json.Obj, Event> answered, CancellationToken ct)
    {
        var recorded = await RecordLocalAsync(requested).ConfigureAwait(false);
        if (recorded.IsFail) return recorded.Map(_ => Json.Obj.Empty);
        var baseUrl = options.RestBaseUrl ?? new Uri("https://api.stringeex.com/");
        try
        {
            var text = await http.GetByteArrayAsync(new Uri(baseUrl, pathAndQuery), ct).ConfigureAwait(false);
            var body = Json.Parse(text).Match(j => j as Json.Obj ?? Json.Obj.Empty, _ => Json.Obj.Empty);
            await RecordLocalAsync(answered(body)).ConfigureAwait(false);
            var r = body["r"].Bind(j => j is Json.Number n ? Some((int)n.Value) : None).IfNone(-2);
            return r == 0 ? body : Error.New(r, body["msg"].Bind(j => j is Json.Str s ? Some(s.Value) : None).IfNone("Generic error"));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return Error.New(-3, $"Request failed: {ex.Message}");
        }
    }

    static Fin<T> Decode<T>(Json.Obj body) => BodyCodec.Decode<T>(body).Match(Right: v => Fin<T>.Succ(v), Left: e => Fin<T>.Fail(Error.New(-2, e)));

    /// <summary>getChatProfile(widgetKey): the profile with its queues.</summary>
    public async Task<Fin<ChatProfileResult>> GetChatProfileAsync(string widgetKey, CancellationToken ct = default)
    {
        var ok = Decider.Decide(ClientState.Initial, new C.GetChatProfile(widgetKey ?? ""), new Context(0, 0, ""));
        if (ok.IsLeft) return Failure(ok.LeftToSeq().Head);
        return (await RestAsync($"v1/chatcustomer/getsettingandqueues?key={Uri.EscapeDataString(widgetKey!)}", new ChatProfileRequested(widgetKey!),
            b => new ChatProfileReceived(Decode<ChatProfileResult>(b).IfFail(new ChatProfileResult(-2, None, None, "unreadable profile"))), ct).ConfigureAwait(false))
            .Bind(Decode<ChatProfileResult>);
    }

    /// <summary>getLiveChatToken(widgetKey, name, email): a token for <see cref="ConnectAsync"/>. Recorded without its signature.</summary>
    public async Task<Fin<string>> GetLiveChatTokenAsync(string widgetKey, string name, string email, CancellationToken ct = default)
    {
        var ok = Decider.Decide(ClientState.Initial, new C.GetLiveChatToken(widgetKey ?? "", name ?? "", email ?? ""), new Context(0, 0, ""));
        if (ok.IsLeft) return Failure(ok.LeftToSeq().Head);
        var body = await RestAsync($"v1/chatcustomer?key={Uri.EscapeDataString(widgetKey!)}&username={Uri.EscapeDataString(name ?? "")}&email={Uri.EscapeDataString(email ?? "")}&userId={Uri.EscapeDataString($"visitor-{Guid.NewGuid():N}")}",
            new LiveChatTokenRequested(widgetKey!, name ?? "", email ?? ""),
            b => new LiveChatTokenReceived(new LiveChatTokenResult(0, b["access_token"].Bind(j => j is Json.Str s ? Some(Jwt.Redact(s.Value)) : None), None)), ct).ConfigureAwait(false);
        return body.Bind(b => b["access_token"].Bind(j => j is Json.Str s ? Some(s.Value) : None).ToFin(Error.New(-2, "no access_token in the answer")));
    }

    /// <summary>createLiveChatTicket(widgetKey, name, email, note).</summary>
    public async Task<Fin<Unit>> CreateLiveChatTicketAsync(string widgetKey, string name, string email, string note, CancellationToken ct = default)
    {
        var ok = Decider.Decide(ClientState.Initial, new C.CreateLiveChatTicket(widgetKey ?? "", name ?? "", email ?? "", note ?? ""), new Context(0, 0, ""));
        if (ok.IsLeft) return Failure(ok.LeftToSeq().Head);
        return (await RestAsync($"v1/chatcustomer/generateticket?key={Uri.EscapeDataString(widgetKey!)}&username={Uri.EscapeDataString(name ?? "")}&email={Uri.EscapeDataString(email ?? "")}&note={Uri.EscapeDataString(note ?? "")}",
            new TicketCreateRequested(widgetKey!, name ?? "", email ?? "", note ?? ""), b => new TicketCreated(Decode<TicketResult>(b).IfFail(new TicketResult(-2, None))), ct).ConfigureAwait(false)).Map(_ => unit);
    }

    /// <summary>updateUserInfo(name, email, avatar).</summary>
    public async Task<Fin<Unit>> UpdateUserInfoAsync(Option<string> name, Option<string> email, Option<string> avatar, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.UpdateUserInfo(name, email, avatar), ct).ConfigureAwait(false));
    /// <summary>createLiveChatConversation(queueId): the conversation, waiting for an agent.</summary>
    public async Task<Fin<ConversationList.Conversation>> CreateLiveChatConversationAsync(string queueId, Option<string> customData = default, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.CreateLiveChatConversation(queueId ?? "", customData), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is ConversationCreated c ? Some(c.Result.Conversation.ConvId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")))
            .Bind(Conversation);
    /// <summary>acceptChatRequest(request).</summary>
    public async Task<Fin<Unit>> AcceptChatRequestAsync(ChatRequestRef request, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.AcceptChatRequest(request), ct).ConfigureAwait(false));
    /// <summary>rejectChatRequest(request).</summary>
    public async Task<Fin<Unit>> RejectChatRequestAsync(ChatRequestRef request, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.RejectChatRequest(request), ct).ConfigureAwait(false));
    /// <summary>sendChatTranscript(email, convId, domain).</summary>
    public async Task<Fin<Unit>> SendChatTranscriptAsync(string email, string convId, string domain, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendChatTranscript(email ?? "", convId ?? "", domain ?? ""), ct).ConfigureAwait(false));
    /// <summary>endChat(convId).</summary>
    public async Task<Fin<Unit>> EndChatAsync(string convId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.EndChat(convId ?? ""), ct).ConfigureAwait(false));
    /// <summary>Transfer a live chat to another agent (protocol 77).</summary>
    public async Task<Fin<Unit>> TransferChatAsync(string convId, string toUserId, string customerId, string customerName, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.TransferChat(convId ?? "", toUserId ?? "", customerId ?? "", customerName ?? ""), ct).ConfigureAwait(false));

    // ---- pin, edit, revoke

    /// <summary>pinMessage(convId, messageId, pin).</summary>
    public async Task<Fin<Unit>> PinMessageAsync(string convId, string messageId, bool pin, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.PinMessage(convId ?? "", messageId ?? "", pin), ct).ConfigureAwait(false));
    /// <summary>editMessage(convId, messageId, newContent).</summary>
    public async Task<Fin<Unit>> EditMessageAsync(string convId, string messageId, string newContent, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.EditMessage(convId ?? "", messageId ?? "", newContent ?? ""), ct).ConfigureAwait(false));
    /// <summary>revokeMessage(convId, messageId).</summary>
    public async Task<Fin<Unit>> RevokeMessageAsync(string convId, string messageId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.RevokeMessage(convId ?? "", messageId ?? ""), ct).ConfigureAwait(false));

    /// <summary>Start a call to a user (signalling only; rings onIncomingCall, or onIncomingCall2 with <paramref name="call2"/>).</summary>
    public async Task<Fin<string>> StartCallAsync(string toUserId, bool isVideo, bool call2 = false, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.StartCall(toUserId ?? "", isVideo, call2, None), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is CallStarted c ? Some(c.Result.CallId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")));

    // ---------------------------------------------------------------- helpers

    IncomingCall Call(IncomingCallNotice n) => new(user, n.CallId, n.FromNumber, n.ToNumber, n.FromAlias.IfNone(n.FromNumber), n.ToAlias.IfNone(n.ToNumber),
        n.FromInternal.IfNone(true) ? 1 : 3, n.Video, n.CustomDataFromYourServer.IfNone(""));

    ObjectChange Resolve(ObjectChanges.Change c)
    {
        var m = Current;
        var objects = c.ObjectType == ObjectChanges.Conversation
            ? c.Ids.Map(id => m.Conversations.ById.Find(id).Match(x => (object)x, () => id))
            : c.Ids.Map(id => Projections.Timeline.Find(m.Timeline, c.ConvId, id).Match(x => (object)x, () => id));
        return new ObjectChange(c.ObjectType, c.ChangeType, objects.Strict());
    }

    /// <summary>Stops the connection; disposes the log when the client made it.</summary>
    public async ValueTask DisposeAsync()
    {
        var wasRunning = lifetime is not null;
        await StopLoopAsync().ConfigureAwait(false);
        if (wasRunning && user.Length > 0) await RecordLocalAsync(new Disconnected("client disposed", false)).ConfigureAwait(false);
        subscription?.Dispose();
        feed.OnCompleted();
        models.OnCompleted();
        http.Dispose();
        if (ownsLog) await log.DisposeAsync().ConfigureAwait(false);
        commands.Dispose();
    }

    sealed class ReferenceComparer<T> : IEqualityComparer<T> where T : class
    {
        public static readonly ReferenceComparer<T> Instance = new();
        public bool Equals(T? x, T? y) => ReferenceEquals(x, y);
        public int GetHashCode(T obj) => System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }
}
