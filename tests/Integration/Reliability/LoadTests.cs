using System.Diagnostics;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>
/// Many sessions on loopback at once, bounded in count and time: nothing lost, nothing duplicated,
/// the server's memory under a stated bound. CI runs 200 sessions for 8 s; STRINGEE_ES_LONG=1 runs 60 s.
/// </summary>
public sealed class LoadTests
{
    const long MemoryBoundBytes = 600L << 20;

    [Fact]
    public async Task Two_hundred_sessions_lose_and_duplicate_nothing_and_memory_stays_bounded()
    {
        var seconds = Environment.GetEnvironmentVariable("STRINGEE_ES_LONG") == "1" ? 60 : 8;
        var outbox = Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}");
        await using var server = await StringeeServer.StartAsync(TestConfig(outbox) with { PingIntervalMs = 5_000, LivenessGraceMs = 10_000 });
        var pairs = new List<(WireClient Sender, WireClient Receiver, string Conv)>();
        for (var i = 0; i < 100; i++)
        {
            string s = U($"s{i}"), r = U($"r{i}");
            var sender = await WireClient.LoginAsync(server, s);
            var receiver = await WireClient.LoginAsync(server, r);
            var conv = (await sender.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(r))), ("isGroup", false)))).Str("convId");
            pairs.Add((sender, receiver, conv));
        }
        var acked = new long[pairs.Count];
        var until = Stopwatch.StartNew();
        await Task.WhenAll(pairs.Select((p, i) => Task.Run(async () =>
        {
            var n = 0;
            while (until.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var r = await p.Sender.RequestAsync(Service.ChatMessage, Json.Object(("convId", p.Conv), ("type", 1L), ("message", Json.Object(("content", $"n{n++}")))));
                if (r.Int("r") == 0) acked[i]++;
                await Task.Delay(50);
            }
        })));
        await Task.Delay(1_000);
        var delays = new List<long>();
        long lost = 0, duplicated = 0;
        for (var i = 0; i < pairs.Count; i++)
        {
            var notices = pairs[i].Receiver.Received().Where(x => x.Packet.Service == (short)Service.ChatMessageFromServer && x.Packet.Body.Int("type") == 1).ToList();
            var ids = notices.Select(x => x.Packet.Body.Str("msgId")).ToList();
            duplicated += ids.Count - ids.Distinct().Count();
            lost += acked[i] - ids.Distinct().Count();
            delays.AddRange(notices.Select(x => x.At - x.Packet.Body.Int("createdTime")));
        }
        GC.Collect();
        var memory = Process.GetCurrentProcess().WorkingSet64;
        delays.Sort();
        var p99 = delays.Count == 0 ? 0 : delays[(int)(delays.Count * 0.99)];
        Console.WriteLine($"load: 200 sessions, {seconds} s, {acked.Sum()} messages acknowledged, lost {lost}, duplicated {duplicated}, p99 delivery {p99} ms, working set {memory >> 20} MB");
        foreach (var p in pairs)
        {
            await p.Sender.DisposeAsync();
            await p.Receiver.DisposeAsync();
        }
        Assert.True(acked.Sum() > 1_000, $"only {acked.Sum()} messages were acknowledged");
        Assert.Equal((0L, 0L), (lost, duplicated));
        Assert.True(memory < MemoryBoundBytes, $"working set {memory >> 20} MB over the bound of {MemoryBoundBytes >> 20} MB");
        if (Directory.Exists(outbox)) Directory.Delete(outbox, true);
    }
}
