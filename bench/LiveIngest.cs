using System.Collections.Concurrent;
using System.Diagnostics;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Server;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using Npgsql;
using static LanguageExt.Prelude;

namespace EventSourced.Bench;

/// <summary>
/// #2: packets reaching one <see cref="StringeeClient"/> over the loopback WebSocket from a server in its own process,
/// each recorded in the Marten log (durable) before the client's feed emits it; beside its ceiling, one INSERT per
/// transaction with fsync on. Latency is the client's own: a frame's arrival to its events being durable.
/// </summary>
public static class LiveIngest
{
    /// <summary>Rates, and at half rate the client's own receive→durable times (P50Ms, P99Ms) beside send→emit (an upper bound).</summary>
    public sealed record Result(double SustainedPerSecond, double PacedPerSecond, double P50Ms, double P99Ms, double SendP50Ms, double SendP99Ms, long Lost,
        double AppendP50Ms, double BatchMedian);

    /// <summary>
    /// Senders push group messages as fast as the server acknowledges them (the sustained rate the receiver
    /// records at), then at half that rate, timing each message from just before it is sent to the moment the
    /// receiver's feed emits it (an upper bound on receive→emit: it also holds the sender and the server).
    /// </summary>
    public static async Task<Result> RunAsync(string connectionString, string schema, int senders, TimeSpan duration, string cli)
    {
        await using var server = await ServerProcess.StartAsync(cli);
        await using var log = new MartenClientLog(connectionString, schema);
        await log.InitializeAsync();

        await using var receiver = new StringeeClient(new ClientOptions(Seq1(new Uri(server.Url))) { Log = log });
        if ((await receiver.ConnectAsync(FanOut.Token("receiver"))).IsFail) throw new InvalidOperationException("receiver did not connect");
        var peers = new List<FanOut.Peer>();
        for (var i = 0; i < senders; i++)
        {
            var p = new FanOut.Peer();
            await p.ConnectAsync(server.Url, FanOut.Token($"sender{i}"));
            peers.Add(p);
        }
        var created = await peers[0].RequestAsync(Service.ChatCreateConversation, Json.Object(
            ("participants", new Json.Arr(toSeq(Enumerable.Range(1, senders - 1).Select(k => (Json)$"sender{k}").Append("receiver")).Strict())),
            ("isGroup", true), ("distinct", false)));
        var conv = ((Json.Str)created["convId"].Case!).Value;

        var clock = Stopwatch.StartNew();
        var latencies = new ConcurrentBag<double>();
        long emitted = 0;
        using var sub = receiver.Recorded.Subscribe(r =>
        {
            if (r.Event is not Event.MessageReceived m || m.Packet.ConvId != conv) return;
            Interlocked.Increment(ref emitted);
            if (m.Packet.Message["sentAt"].Case is Json.Number t && t.Value > 0) latencies.Add(clock.Elapsed.TotalMilliseconds - (double)t.Value / 1000);
        });
        Json.Obj Body(double sentAtMs) => Json.Object(("convId", conv), ("type", 1L),
            ("message", Json.Object(("content", "live ingest"), ("sentAt", (long)(sentAtMs * 1000)))));

        // Phase 1: as fast as the senders are acknowledged.
        async Task<long> Flood(TimeSpan length)
        {
            long sent = 0;
            var stop = clock.Elapsed + length;
            await Task.WhenAll(peers.Select(p => Task.Run(async () =>
            {
                while (clock.Elapsed < stop)
                    if ((await p.RequestAsync(Service.ChatMessage, Body(0)))["r"] == Some<Json>(0L)) Interlocked.Increment(ref sent);
            })));
            return sent;
        }
        await Flood(TimeSpan.FromSeconds(1)); // warm-up
        await Drain(() => Interlocked.Read(ref emitted), long.MaxValue, TimeSpan.FromSeconds(2));
        var before = Interlocked.Read(ref emitted);
        var started = clock.Elapsed;
        var floodSent = await Flood(duration);
        await Drain(() => Interlocked.Read(ref emitted) - before, floodSent, TimeSpan.FromSeconds(10));
        var sustained = (Interlocked.Read(ref emitted) - before) / (clock.Elapsed - started).TotalSeconds;

        // Phase 2: paced at half the sustained rate, spread over the senders; the client's own histogram gives receive→durable.
        latencies.Clear();
        var received = new ConcurrentBag<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        var appends = new ConcurrentBag<double>();
        var batches = new ConcurrentBag<long>();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == EventSourced.Adapters.Telemetry.Name
                && instrument.Name is "stringee.client.receive.duration" or "stringee.eventlog.append.duration" or "stringee.eventlog.commit.batch_size")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<double>((instrument, seconds, _, _) =>
            (instrument.Name == "stringee.client.receive.duration" ? received : appends).Add(seconds * 1000));
        listener.SetMeasurementEventCallback<long>((_, events, _, _) => { if (events > 0) batches.Add(events); });
        listener.Start();
        var rate = sustained / 2;
        var total = (long)(rate * duration.TotalSeconds);
        before = Interlocked.Read(ref emitted);
        started = clock.Elapsed;
        var inFlight = new List<Task>();
        for (long i = 0; i < total; i++)
        {
            var due = started.TotalMilliseconds + i * 1000.0 / rate;
            while (clock.Elapsed.TotalMilliseconds < due)
            {
                var wait = due - clock.Elapsed.TotalMilliseconds;
                if (wait > 2) await Task.Delay(1); else Thread.SpinWait(50);
            }
            inFlight.Add(peers[(int)(i % senders)].RequestAsync(Service.ChatMessage, Body(clock.Elapsed.TotalMilliseconds)));
        }
        await Task.WhenAll(inFlight);
        await Drain(() => Interlocked.Read(ref emitted) - before, total, TimeSpan.FromSeconds(10));
        var paced = (Interlocked.Read(ref emitted) - before) / (clock.Elapsed - started).TotalSeconds;
        var lost = total - (Interlocked.Read(ref emitted) - before);
        foreach (var p in peers) await p.DisposeAsync();
        listener.Dispose();
        static double Pct(List<double> sorted, double q) => sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, sorted.Count * q)];
        var sends = latencies.Order().ToList();
        var receives = received.Order().ToList();
        var batchSizes = batches.Select(b => (double)b).Order().ToList();
        return new Result(sustained, paced, Pct(receives, 0.5), Pct(receives, 0.99), Pct(sends, 0.5), Pct(sends, 0.99), lost,
            Pct(appends.Order().ToList(), 0.5), Pct(batchSizes, 0.5));
    }

    static async Task Drain(Func<long> count, long expected, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        var last = -1L;
        while (deadline.Elapsed < timeout)
        {
            var now = count();
            if (now >= expected || (expected == long.MaxValue && now == last)) return;
            last = now;
            await Task.Delay(100);
        }
    }

    /// <summary>The ceiling: one INSERT of a ~300-byte row per transaction (autocommit, fsync on), for the duration.</summary>
    public static async Task<double> InsertPerTransactionAsync(string connectionString, string schema, TimeSpan duration)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync();
        await using (var create = new NpgsqlCommand($"create schema if not exists {schema}; create table {schema}.one_by_one (id bigserial primary key, stream text, data jsonb)", conn))
            await create.ExecuteNonQueryAsync();
        await using var insert = new NpgsqlCommand($"insert into {schema}.one_by_one (stream, data) values ($1, $2::jsonb)", conn);
        insert.Parameters.Add(new NpgsqlParameter { Value = "receiver/conversation/c1" });
        insert.Parameters.Add(new NpgsqlParameter { Value = "{\"convId\":\"c1\",\"msgId\":\"m1\",\"from\":\"sender1\",\"seq\":1,\"type\":1,\"message\":{\"content\":\"" + new string('x', 200) + "\"}}" });
        await insert.PrepareAsync();
        var clock = Stopwatch.StartNew();
        long n = 0;
        while (clock.Elapsed < duration)
        {
            await insert.ExecuteNonQueryAsync();
            n++;
        }
        return n / clock.Elapsed.TotalSeconds;
    }
}
