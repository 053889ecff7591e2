using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;

namespace EventSourced.Adapters.Storage.InMemory;

/// <summary>
/// The event log in memory: the same contract as the Marten log, for unit tests and for embedders
/// that want no database. Appends are serialised; subscribers are notified in position order
/// inside the append, so when <see cref="AppendAsync"/> completes every subscriber has seen it.
/// </summary>
public class InMemoryEventLog<T> : IEventLog<T> where T : class, IRecorded<T>
{
    readonly SemaphoreSlim gate = new(1, 1);
    readonly List<T> all = [];
    readonly Dictionary<string, List<T>> streams = new(StringComparer.Ordinal);
    readonly Subject<T> live = new();
    readonly AsyncLocal<bool> notifying = new();
    bool closed;

    /// <inheritdoc />
    public long LastPosition { get { lock (all) return all.Count; } }

    /// <inheritdoc />
    public async Task<Fin<AppendResult>> AppendAsync(string stream, ExpectedVersion expected, IReadOnlyList<T> events, CancellationToken ct = default)
    {
        if (notifying.Value) return Error.New(EventLogErrors.ReentrantAppend, "cannot append from inside a subscriber's notification; queue the append instead");
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (closed) return Error.New(EventLogErrors.Closed, "the event log is closed");
            var list = streams.TryGetValue(stream, out var l) ? l : null;
            var version = list?.Count ?? 0;
            if (expected.Value >= 0 && expected.Value != version) return EventLogErrors.Conflict(stream, expected, version);
            if (events.Count == 0) return new AppendResult(0, 0, version);
            list ??= streams[stream] = [];
            var stored = new List<T>(events.Count);
            lock (all)
            {
                foreach (var e in events)
                {
                    var r = e.WithMeta(e.Meta with { Stream = stream, Position = all.Count + 1, Version = list.Count + 1 });
                    all.Add(r);
                    list.Add(r);
                    stored.Add(r);
                }
            }
            notifying.Value = true;
            try
            {
                foreach (var r in stored) live.OnNext(r);
            }
            finally
            {
                notifying.Value = false;
            }
            return new AppendResult(stored[0].Meta.Position, stored[^1].Meta.Position, list.Count);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<T> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken ct = default)
    {
        T[] copy;
        lock (all) copy = streams.TryGetValue(stream, out var l) ? l.Skip((int)Math.Max(0, fromVersion - 1)).ToArray() : [];
        foreach (var r in copy)
        {
            ct.ThrowIfCancellationRequested();
            yield return r;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<T> ReadAllAsync(long fromPosition = 1, [EnumeratorCancellation] CancellationToken ct = default)
    {
        T[] copy;
        lock (all) copy = all.Skip((int)Math.Max(0, fromPosition - 1)).ToArray();
        foreach (var r in copy)
        {
            ct.ThrowIfCancellationRequested();
            yield return r;
        }
        await Task.CompletedTask.ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task<long> LastPositionAsync(string streamPrefix, CancellationToken ct = default)
    {
        lock (all) return Task.FromResult(all.LastOrDefault(r => r.Meta.Stream.StartsWith(streamPrefix, StringComparison.Ordinal))?.Meta.Position ?? 0L);
    }

    /// <inheritdoc />
    public IObservable<T> Subscribe(string streamPrefix, long fromPosition = 1) =>
        Subscribe(fromPosition).Where(r => r.Meta.Stream.StartsWith(streamPrefix, StringComparison.Ordinal));

    /// <inheritdoc />
    public IObservable<T> Subscribe(long fromPosition = 1) => Observable.Create<T>(observer =>
    {
        if (notifying.Value)
        {
            observer.OnError(new InvalidOperationException("cannot subscribe from inside a subscriber's notification"));
            return Disposable.Empty;
        }
        // Under the append gate, no event can be appended between the replay and the live subscription.
        gate.Wait();
        try
        {
            T[] past;
            lock (all) past = all.Skip((int)Math.Max(0, fromPosition - 1)).ToArray();
            foreach (var r in past) observer.OnNext(r);
            return closed ? Disposable.Empty : live.Where(r => r.Meta.Position >= fromPosition).Subscribe(observer);
        }
        finally
        {
            gate.Release();
        }
    });

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (closed) return;
            closed = true;
            live.OnCompleted();
            live.Dispose();
        }
        finally
        {
            gate.Release();
        }
    }
}

/// <summary>The client's event log in memory.</summary>
public sealed class InMemoryEventLog : InMemoryEventLog<Recorded>, IEventLog;
