using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace EventSourced.Adapters;

/// <summary>
/// The metrics and traces of the client, the event log and the server, under one name: <see cref="Name"/> is both the
/// <see cref="Meter"/>'s and the <see cref="ActivitySource"/>'s, so <c>AddMeter("StringeeEs")</c> and
/// <c>AddSource("StringeeEs")</c> in OpenTelemetry collect all of them. Instrument names follow OpenTelemetry's
/// conventions (dotted lower case, durations in seconds as histograms, counts with curly-brace units). No instrument or
/// span carries a token, a secret or a message's content: tags are codes, services, kinds and user ids only.
/// </summary>
public static class Telemetry
{
    /// <summary>The meter's and the activity source's name.</summary>
    public const string Name = "StringeeEs";

    static readonly string? Version = typeof(Telemetry).Assembly.GetName().Version?.ToString();

    /// <summary>Spans: <c>stringee.connect</c>, <c>stringee.request</c> (each request and its answer), <c>stringee.eventlog.append</c>,
    /// <c>stringee.replay</c>, <c>stringee.verify</c>.</summary>
    public static readonly ActivitySource Source = new(Name, Version);

    static readonly Meter Meter = new(Name, Version);

    /// <summary>Messages this process's clients sent and the server confirmed.</summary>
    internal static readonly Counter<long> MessagesSent = Meter.CreateCounter<long>("stringee.chat.messages.sent", "{message}",
        "Messages sent by a client and confirmed by the server");

    /// <summary>Messages this process's clients received from the server.</summary>
    internal static readonly Counter<long> MessagesReceived = Meter.CreateCounter<long>("stringee.chat.messages.received", "{message}",
        "Messages received by a client");

    /// <summary>Events appended to an event log.</summary>
    internal static readonly Counter<long> Appends = Meter.CreateCounter<long>("stringee.eventlog.appends", "{event}", "Events appended to an event log");

    /// <summary>How long an append took from being queued to being durable.</summary>
    internal static readonly Histogram<double> AppendDuration = Meter.CreateHistogram<double>("stringee.eventlog.append.duration", "s",
        "Time from an append being queued to its transaction committing");

    /// <summary>How long a received frame took from its arrival at the client to its events being durable in the log.</summary>
    internal static readonly Histogram<double> ReceiveDuration = Meter.CreateHistogram<double>("stringee.client.receive.duration", "s",
        "Time from a frame's arrival at the client to its events being durable in the log (the feed emits them then)");

    /// <summary>Events per group-commit transaction.</summary>
    internal static readonly Histogram<long> CommitBatchSize = Meter.CreateHistogram<long>("stringee.eventlog.commit.batch_size", "{event}",
        "Events written by one group-commit transaction");

    /// <summary>Reconnect attempts of clients.</summary>
    internal static readonly Counter<long> Reconnects = Meter.CreateCounter<long>("stringee.client.reconnects", "{attempt}", "Reconnect attempts");

    /// <summary>Server connections dropped because their send queue was full (in frames or bytes).</summary>
    internal static readonly Counter<long> SlowConsumersDropped = Meter.CreateCounter<long>("stringee.server.slow_consumers.dropped", "{connection}",
        "Server connections dropped as slow consumers");

    /// <summary>Requests refused, by Stringee code; <c>stringee.code.kind</c> says whether the code is an AUTHEN <c>r</c> or a chat answer's <c>r</c>.</summary>
    internal static readonly Counter<long> Rejected = Meter.CreateCounter<long>("stringee.requests.rejected", "{request}",
        "Requests refused, by Stringee result code");

    // A gauge reads live objects: each registers its reading and unregisters when disposed.
    internal sealed class Gauge
    {
        readonly ConcurrentDictionary<object, Func<Measurement<long>>> readings = new();

        internal Gauge(string name, string unit, string description) =>
            Meter.CreateObservableUpDownCounter(name, () => readings.Values.Select(read => read()), unit, description);

        /// <summary>Reads <paramref name="read"/> each time a collector asks, until the result is disposed.</summary>
        internal IDisposable Register(object owner, Func<Measurement<long>> read)
        {
            readings[owner] = read;
            return new Unregister(readings, owner);
        }

        sealed class Unregister(ConcurrentDictionary<object, Func<Measurement<long>>> readings, object owner) : IDisposable
        {
            public void Dispose() => readings.TryRemove(owner, out _);
        }
    }

    /// <summary>Messages a client wrote while offline that the server has not confirmed yet.</summary>
    internal static readonly Gauge OutboxDepth = new("stringee.client.outbox.depth", "{message}", "Messages written while offline and not yet confirmed by the server");

    /// <summary>Steps queued for a client's send loop.</summary>
    internal static readonly Gauge SendQueueDepth = new("stringee.client.send_queue.depth", "{step}", "Steps queued for a client's send loop");

    /// <summary>Appends waiting for a group-commit transaction.</summary>
    internal static readonly Gauge AppendQueueDepth = new("stringee.eventlog.queue.depth", "{append}", "Appends waiting for a group-commit transaction");

    /// <summary>The tag of a Stringee result code: the code and whether it is an AUTHEN code or a chat answer's.</summary>
    internal static TagList CodeTags(int code, string kind) => new() { { "stringee.code", code }, { "stringee.code.kind", kind } };
}
