using System.Collections.Concurrent;
using System.Threading.Channels;
using EventSourced.Adapters.Storage;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Adapters.Client;

// The runtime: decide → record → send for every command (the user's and the reactor's), and for every
// recorded event: correlate → fold → react → run the steps. No protocol policy lives here; the reactor has it.
public sealed partial class StringeeClient
{
    // The client's state, changed only under stateLock and only by OnRecorded (and the reactor's wake-ups):
    // one correlation map, the decision state, the read models and the reactor, all folded from the same facts.
    ClientCore core;
    long nextRequestId = 1;
    ClientState decision => core.Decision;
    ReadModels current => core.Models;
    Correlation.State requests => core.Requests;

    // Callers waiting for an outcome: by request id, and a message's caller by its local id (it may be resent under another id).
    readonly ConcurrentDictionary<long, TaskCompletionSource<Fact>> waiting = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource<Fact>> sends = new(StringComparer.Ordinal);

    // The reactor's steps that do I/O, run in order by one loop. What causes them is bounded (at most ReceiveWindow frames
    // in flight, the outbox, one wake-up at a time), and so is the queue: a step past it is logged and dropped, and what it
    // would have done is done again by the next connect's catch-up and flush (a caller still hears within its timeout).
    const int MaxQueuedSteps = 65_536;
    readonly Channel<Reactor.Step> steps = Channel.CreateBounded<Reactor.Step>(new BoundedChannelOptions(MaxQueuedSteps)
    {
        SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
    });
    Task? stepLoop;
    ITimer? alarm;
    long alarmAt = long.MaxValue;

    // history: an event of the replay that attaching does (at or before where the user's streams stood): folded, never reacted to.
    void OnRecorded(Recorded r, bool history = false)
    {
        ModelChange? changed;
        Seq<Reactor.Step> todo = Seq<Reactor.Step>();
        lock (stateLock)
        {
            var before = core.Models;
            Seq<Fact> facts;
            if (history) (core, facts) = ClientCore.Replayed(core, r.Event);
            else (core, facts, todo) = ClientCore.Recorded(core, r.Event, r.Meta.Origin == Origin.Received, options.Now());
            changed = ReferenceEquals(before, core.Models) ? null : new ModelChange(before, core.Models, facts);
            foreach (var id in r.Meta.RequestId) if (r.Meta.Origin == Origin.Sent && id >= nextRequestId) nextRequestId = id + 1;
        }
        versions.AddOrUpdate(r.Meta.Stream, r.Meta.Version, (_, old) => Math.Max(old, r.Meta.Version));
        if (!history && r.Event is MessageReceived) Telemetry.MessagesReceived.Add(1);
        feed.OnNext(r);
        if (changed is not null)
        {
            models.OnNext(changed.After);
            changes.OnNext(changed);
        }
        Run(todo);
    }

    // Completions happen here, in log order, after the state includes the outcome; the rest goes to the step loop.
    void Run(Seq<Reactor.Step> todo)
    {
        foreach (var step in todo)
            switch (step)
            {
                case Reactor.Step.Complete c:
                    if (waiting.TryRemove(c.RequestId, out var w)) w.TrySetResult(c.Outcome);
                    break;
                case Reactor.Step.CompleteSend c:
                    if (sends.TryRemove(c.LocalId, out var s)) s.TrySetResult(c.Outcome);
                    break;
                case Reactor.Step.Wake k:
                    WakeAt(k.At);
                    break;
                default:
                    if (!steps.Writer.TryWrite(step)) LogStepDropped(logger, step.GetType().Name, MaxQueuedSteps);
                    break;
            }
    }

    void WakeAt(long at)
    {
        lock (stateLock)
        {
            if (at >= alarmAt) return;
            alarmAt = at;
            var delay = Math.Max(0, at - options.Now());
            alarm ??= options.Time.CreateTimer(_ => OnAlarm(), null, System.Threading.Timeout.InfiniteTimeSpan, System.Threading.Timeout.InfiniteTimeSpan);
            alarm.Change(TimeSpan.FromMilliseconds(Math.Min(delay, int.MaxValue - 1)), System.Threading.Timeout.InfiniteTimeSpan);
        }
    }

    void OnAlarm()
    {
        Seq<Reactor.Step> todo;
        lock (stateLock)
        {
            alarmAt = long.MaxValue;
            (core, todo) = ClientCore.Tick(core, options.Now());
        }
        Run(todo);
    }

    async Task StepLoopAsync()
    {
        await foreach (var step in steps.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                switch (step)
                {
                    case Reactor.Step.Send s:
                        // Refused (the connection went meanwhile) or not stored: said, and redone by the next connect's catch-up.
                        var sent = await SendCommandAsync(s.Command, CancellationToken.None).ConfigureAwait(false);
                        if (sent.IsFail) StepFailed(s.Command.GetType().Name, sent.Match(_ => "", e => e.Message));
                        break;
                    case Reactor.Step.Record r:
                        var recorded = await RecordLocalAsync(r.Event).ConfigureAwait(false);
                        if (recorded.IsFail) StepFailed(r.Event.GetType().Name, recorded.Match(_ => "", e => e.Message));
                        break;
                    case Reactor.Step.Drop:
                        transport?.Abort();
                        break;
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // The loop survives any failure of one step; a lost automatic send is caught up after the next connect.
                LogReactionFailed(logger, ex);
            }
        }
    }

    // The version of each of the user's streams as far as this client knows (replayed, appended), and how many of
    // its appends to each are in flight. With none in flight the client knows the stream's version and says so.
    readonly ConcurrentDictionary<string, long> versions = new(StringComparer.Ordinal);
    readonly ConcurrentDictionary<string, int> appending = new(StringComparer.Ordinal);

    // received: a frame of the receive pipeline. Those are many and in flight together (a group-committing log takes them in
    // one transaction, which a version check per append would split), and they cannot know their versions: Any, in order.
    // Before the client knows its user (a visitor's REST calls before connecting) it records in the anonymous streams every
    // such client shares and none replays as its own: Any as well, since other processes append there by design.
    async Task<Fin<Unit>> AppendAsync(Recorded r, bool received = false, CancellationToken ct = default)
    {
        var stream = r.Meta.Stream;
        var alone = appending.AddOrUpdate(stream, 1, (_, n) => n + 1) == 1;
        try
        {
            var expected = !alone || received || user.Length == 0 ? ExpectedVersion.Any
                : versions.TryGetValue(stream, out var v) ? ExpectedVersion.Exactly(v) : ExpectedVersion.NoStream;
            var appended = await log.AppendAsync(stream, expected, [r], ct).ConfigureAwait(false);
            if (appended.IsFail && appended.Match(_ => 0, e => e.Code) == EventLogErrors.WrongExpectedVersion)
            {
                // Someone else wrote this user's stream. Nothing is dropped: the event goes after theirs, and the fact is reported.
                var why = appended.Match(_ => "", e => e.Message);
                LogConcurrentWriter(logger, why);
                faults.OnNext(new RecordingFault(RecordingFaultKind.ConcurrentWriter, $"another writer appended to {new string(stream.Select(ch => char.IsControl(ch) ? '?' : ch).ToArray())}: {why}"));
                appended = await log.AppendAsync(stream, ExpectedVersion.Any, [r], ct).ConfigureAwait(false);
            }
            foreach (var a in appended) versions.AddOrUpdate(stream, a.StreamVersion, (_, old) => Math.Max(old, a.StreamVersion));
            return appended.Map(_ => unit);
        }
        finally
        {
            appending.AddOrUpdate(stream, 0, (_, n) => n - 1);
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug,
        Message = "the client's own {Step} did not go out: {Reason}")]
    static partial void LogStepFailed(Microsoft.Extensions.Logging.ILogger logger, string step, string reason);

    void StepFailed(string step, string reason) => LogStepFailed(logger, step, reason);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "dropped a {Step} step: {Limit} steps already queued (the next connect catches up)")]
    static partial void LogStepDropped(Microsoft.Extensions.Logging.ILogger logger, string step, int limit);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "another writer appended to one of this user's streams ({Reason}); appending after it")]
    static partial void LogConcurrentWriter(Microsoft.Extensions.Logging.ILogger logger, string reason);

    Task<Fin<Unit>> RecordLocalAsync(Event e) => AppendAsync(Recording.Local(user, e, options.Now()));

    static Error Failure(Rejection r) => Error.New(r.Code, r.Message);
    static readonly Error Timeout = Error.New(Rejection.Timeout.Code, Rejection.Timeout.Message);

    /// <summary>Decides a command, records its events and sends their packets (one command at a time); the waiters are registered first.</summary>
    async Task<Fin<(Seq<Event> Events, Option<(Event Command, TaskCompletionSource<Fact> Outcome)> Waiter)>> SendCommandAsync(Command command, CancellationToken ct)
    {
        await commands.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            Either<Rejection, Seq<Event>> decided;
            lock (stateLock)
            {
                var id = nextRequestId++;
                decided = Decider.Decide(decision, command, new Context(id, options.Now(), $"{options.DeviceId}-{id}-{options.Now()}"));
            }
            if (decided.IsLeft) return Failure(decided.LeftToSeq().Head);
            var events = (Seq<Event>)decided;
            Option<(Event, TaskCompletionSource<Fact>)> waiter = None;
            foreach (var e in events)
            {
                // Registered before the packet leaves, so an answer faster than the caller is never lost.
                var w = Register(e);
                var (record, packet) = Recording.Send(user, e, options.Now());
                var appended = await AppendAsync(record, ct: ct).ConfigureAwait(false);
                if (appended.IsFail)
                {
                    Unregister(e);
                    return appended.Map(_ => (Seq<Event>(), Option<(Event, TaskCompletionSource<Fact>)>.None));
                }
                await SendPacketAsync(packet, ct).ConfigureAwait(false);
                foreach (var x in w) waiter = (e, x);
            }
            return (events, waiter);
        }
        finally
        {
            commands.Release();
        }
    }

    Option<TaskCompletionSource<Fact>> Register(Event e)
    {
        if (e is MessageSendRequested m && m.Request.LocalDbId.IsSome)
            return sends.GetOrAdd((string)m.Request.LocalDbId, _ => new TaskCompletionSource<Fact>(TaskCreationOptions.RunContinuationsAsynchronously));
        return Correlation.Tracked(e).Map(id => waiting[id] = new TaskCompletionSource<Fact>(TaskCreationOptions.RunContinuationsAsynchronously));
    }

    void Unregister(Event e)
    {
        if (e is MessageSendRequested m) foreach (var l in m.Request.LocalDbId) sends.TryRemove(l, out _);
        foreach (var id in Correlation.Tracked(e)) waiting.TryRemove(id, out _);
    }

    async Task SendPacketAsync(Option<Packet> packet, CancellationToken ct)
    {
        var t = transport;
        if (packet.IsNone || t is null || !IsConnected) return;
        try
        {
            await t.SendAsync(Frame.EncodeText((Packet)packet), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is System.Net.WebSockets.WebSocketException or OperationCanceledException or ObjectDisposedException or InvalidOperationException)
        {
            // The connection just dropped: the request is recorded; a message stays in the outbox, anything else is abandoned.
        }
    }

    /// <summary>A user's command: decided, recorded, sent, and its outcome awaited when the server answers it.</summary>
    async Task<Fin<Seq<Event>>> ExecuteAsync(Command command, CancellationToken ct)
    {
        using var span = Telemetry.Source.StartActivity("stringee.request");
        span?.SetTag("stringee.command", command.GetType().Name);
        var outcome = await DecideAndAwaitAsync(command, ct).ConfigureAwait(false);
        outcome.Match(
            _ => { if (command is Command.SendMessage) Telemetry.MessagesSent.Add(1); },
            e =>
            {
                // AUTHEN's codes are the connect's; every other answer's r is a chat code. Negative codes are this client's (timeouts, unknown outcomes).
                span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, $"r = {e.Code}");
                span?.SetTag("stringee.code", e.Code);
                if (e.Code > 0) Telemetry.Rejected.Add(1, Telemetry.CodeTags(e.Code, command is Command.Connect ? "authen" : "chat"));
            });
        return outcome;
    }

    async Task<Fin<Seq<Event>>> DecideAndAwaitAsync(Command command, CancellationToken ct)
    {
        var sent = await SendCommandAsync(command, ct).ConfigureAwait(false);
        if (sent.IsFail) return sent.Map(_ => Seq<Event>());
        var (events, waiter) = ((Seq<Event>, Option<(Event, TaskCompletionSource<Fact>)>))sent;
        return await waiter.MatchAsync(w => OutcomeAsync(w.Item1, w.Item2, ct), () => Fin<Seq<Event>>.Succ(events)).ConfigureAwait(false);
    }

    async Task<Fin<Seq<Event>>> OutcomeAsync(Event command, TaskCompletionSource<Fact> waiter, CancellationToken ct)
    {
        Fact outcome;
        try
        {
            // The reactor records the timeout at RequestTimeout; this bound only covers a log that cannot record it.
            outcome = await waiter.Task.WaitAsync(options.RequestTimeout + TimeSpan.FromSeconds(5), ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Unregister(command);
            outcome = new Fact.Abandoned(command, Correlation.Tracked(command).IfNone(0), Abandonment.TimedOut);
        }
        return outcome switch
        {
            Fact.Confirmed c => Fin<Seq<Event>>.Succ(Seq1(c.Answer)),
            Fact.Rejected r => Error.New(r.Code, r.Message),
            _ => Unknown(command),
        };
    }

    // A query that timed out changed nothing; a command may have been applied by the server: its outcome is unknown, not failed.
    static Error Unknown(Event command)
    {
        var service = Recording.Request(command).Map(r => r.Service).IfNone(Service.Ping);
        var unknown = Rejection.OutcomeUnknown(command is MessageSendRequested, Protocol.IsQuery(service));
        return Error.New(unknown.Code, unknown.Message);
    }

    long NextRequestId()
    {
        lock (stateLock) return nextRequestId++;
    }
}
