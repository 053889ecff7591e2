namespace EventSourced.Adapters.Storage;

/// <summary>What a writer expects of a stream when it appends (optimistic concurrency).</summary>
public readonly record struct ExpectedVersion(long Value)
{
    /// <summary>No check.</summary>
    public static readonly ExpectedVersion Any = new(-1);
    /// <summary>The stream must not exist yet.</summary>
    public static readonly ExpectedVersion NoStream = new(0);
    /// <summary>The stream must be at exactly this version (its number of events).</summary>
    public static ExpectedVersion Exactly(long version) => new(version);
    /// <inheritdoc />
    public override string ToString() => Value < 0 ? "any" : Value == 0 ? "no stream" : $"version {Value}";
}

/// <summary>Where an append landed.</summary>
/// <param name="FirstPosition">Global position of the first appended event.</param>
/// <param name="LastPosition">Global position of the last appended event.</param>
/// <param name="StreamVersion">The stream's version after the append.</param>
public sealed record AppendResult(long FirstPosition, long LastPosition, long StreamVersion);

/// <summary>Error codes of the event log.</summary>
public static class EventLogErrors
{
    /// <summary>The stream was not at the expected version.</summary>
    public const int WrongExpectedVersion = 409;
    /// <summary>A subscriber tried to append while being notified (it would reorder the feed).</summary>
    public const int ReentrantAppend = 423;
    /// <summary>The log is closed.</summary>
    public const int Closed = 410;
    /// <summary>A history import stopped part-way (the chunks before it stay imported).</summary>
    public const int ImportStopped = 500;

    /// <summary>The error for a version conflict.</summary>
    public static Error Conflict(string stream, ExpectedVersion expected, long actual) =>
        Error.New(WrongExpectedVersion, $"stream '{stream}' expected {expected} but is at version {actual}");
}

/// <summary>
/// The append-only event log: the client's (and the server's) single source of truth. Positions
/// are global and gap-free from 1; versions count events within a stream from 1. The feed emits
/// each event once, in position order, after it is durable.
/// </summary>
public interface IEventLog<T> : IAsyncDisposable where T : class, IRecorded<T>
{
    /// <summary>Appends events to one stream atomically, or fails with <see cref="EventLogErrors.WrongExpectedVersion"/>.</summary>
    Task<Fin<AppendResult>> AppendAsync(string stream, ExpectedVersion expected, IReadOnlyList<T> events, CancellationToken ct = default);

    /// <summary>A stream's events from a version (inclusive), in order.</summary>
    IAsyncEnumerable<T> ReadStreamAsync(string stream, long fromVersion = 1, CancellationToken ct = default);

    /// <summary>Every event from a global position (inclusive), in order.</summary>
    IAsyncEnumerable<T> ReadAllAsync(long fromPosition = 1, CancellationToken ct = default);

    /// <summary>The highest position written (0 when empty).</summary>
    long LastPosition { get; }

    /// <summary>
    /// Events from a position on: those already stored, then live ones as they are appended, with
    /// no gap and no duplicate between the two.
    /// </summary>
    IObservable<T> Subscribe(long fromPosition = 1);

    /// <summary>
    /// <see cref="Subscribe(long)"/> of the streams whose key starts with <paramref name="streamPrefix"/> only (one
    /// user's streams: <c>user/</c>), read as such from storage rather than filtered out of the whole log.
    /// </summary>
    IObservable<T> Subscribe(string streamPrefix, long fromPosition = 1);

    /// <summary>The highest position among the streams whose key starts with <paramref name="streamPrefix"/> (0 when none): where a replay of them is complete.</summary>
    Task<long> LastPositionAsync(string streamPrefix, CancellationToken ct = default);
}

/// <summary>The client's event log.</summary>
public interface IEventLog : IEventLog<Recorded>
{
}
