using System.Reactive.Linq;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Projections;
using EventSourced.Domain.Server;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>PostgreSQL stopped (immediate mode, as a crash) under the server and under a recording client: nothing acknowledged is lost, every loop lives on.</summary>
public sealed class StorageOutageTests
{
    static async Task<Json.Obj> Until(Func<Task<Json.Obj>> attempt, Func<Json.Obj, bool> done, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var r = await attempt();
            if (done(r) || DateTime.UtcNow > deadline) return r;
            await Task.Delay(300);
        }
    }

    [Fact]
    public async Task The_server_answers_19_while_its_storage_is_down_keeps_its_clock_and_recovers()
    {
        await using var pg = await PrivateCluster.StartAsync();
        var log = new MartenEventLog<ServerRecorded>(pg.ConnectionString, "server_log", new ServerRecords());
        await log.InitializeAsync();
        var outbox = Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}");
        await using var server = await StringeeServer.StartAsync(TestConfig(outbox), 0, log);
        string a = U("a"), b = U("b");
        await using var alice = await WireClient.LoginAsync(server, a);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true)))).Str("convId");
        Json.Obj Send(string text) => Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", text))));

        (await pg.Postgres.StopAsync(crash: true)).Match(_ => { }, e => throw new InvalidOperationException(e.Message));
        var down = await alice.RequestAsync(Service.ChatMessage, Send("while down"));
        Assert.Equal(19L, down.Int("r"));
        var ticks = server.Ticks;
        await alice.WaitForAsync(Service.Ping, within: TimeSpan.FromSeconds(4));
        // The loop ticks every 100 ms: within 3 s of a failed append it must have ticked well past five times (a ping
        // can come sooner than half a second after the failure, so the count is waited for, boundedly).
        for (var i = 0; i < 30 && server.Ticks <= ticks + 5; i++) await Task.Delay(100);
        Assert.True(server.Ticks > ticks + 5, "the server's time loop must go on while storage is down");

        (await pg.Postgres.StartAgainAsync()).Match(_ => { }, e => throw new InvalidOperationException(e.Message));
        var up = await Until(() => alice.RequestAsync(Service.ChatMessage, Send("after")), r => r.Int("r") == 0);
        Assert.Equal(0L, up.Int("r"));
        Assert.Equal(1L, server.Hub.State.Conversations[conv].Messages.Values.Count(m => m.Type == 1));

        // Routing, a step of the clock that appends, works again: a chat is offered to an agent.
        await using var agent = await WireClient.LoginAsync(server, "agentA");
        await using var customer = await WireClient.LoginAsync(server, U("cust"));
        var chat = (await customer.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq<Json>())), ("isGroup", true), ("distinct", false), ("name", "q-fast")))).Str("convId");
        await agent.WaitForAsync(Service.ChatRouteToAgent, m => m.Str("convId") == chat, TimeSpan.FromSeconds(5));
        Assert.True(server.Hub.FailedAppends >= 1);
        await log.DisposeAsync();
        if (Directory.Exists(outbox)) Directory.Delete(outbox, true);
    }

    [Fact]
    public async Task A_recording_client_whose_database_goes_down_loses_nothing_the_server_acknowledged()
    {
        await using var pg = await PrivateCluster.StartAsync();
        await using var clientLog = new MartenClientLog(pg.ConnectionString, "client_log");
        await clientLog.InitializeAsync();
        var outbox = Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}");
        await using var server = await StringeeServer.StartAsync(TestConfig(outbox));
        string a = U("alice"), b = U("bob");
        await using var alice = new StringeeClient(Clients.Options(server) with { Log = clientLog });
        var faults = new List<RecordingFault>();
        using var watching = alice.OnRecordingFault.Subscribe(x => { lock (faults) faults.Add(x); });
        Assert.True((await alice.ConnectAsync(TokenIssuer.Issue(server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, a))).IsSucc);
        await using var bob = await WireClient.LoginAsync(server, b);
        var conv = (await bob.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(a))), ("isGroup", true)))).Str("convId");

        var acknowledged = new List<string>();
        var sending = Task.Run(async () =>
        {
            for (var i = 0; i < 300; i++)
            {
                var r = await bob.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", $"m{i}")))));
                if (r.Int("r") == 0) acknowledged.Add(r.Str("msgId"));
                await Task.Delay(20);
            }
        });
        await Task.Delay(1_000);
        (await pg.Postgres.StopAsync(crash: true)).Match(_ => { }, e => throw new InvalidOperationException(e.Message));
        await Task.Delay(3_000);
        (await pg.Postgres.StartAgainAsync()).Match(_ => { }, e => throw new InvalidOperationException(e.Message));
        await sending;
        Assert.Equal(300, acknowledged.Count);

        var held = await alice.Until(m => Timeline.View(m.Timeline, conv).Count(x => x.Type == 1) >= 300, seconds: 60);
        var texts = Timeline.View(held.Timeline, conv).Filter(x => x.Type == 1);
        Assert.Equal(acknowledged, texts.Map(x => x.Id).ToList());
        Assert.Equal(texts.Map(x => x.Seq).OrderBy(x => x).ToList(), texts.Map(x => x.Seq).ToList());
        lock (faults)
        {
            Assert.Contains(faults, x => x.Kind == RecordingFaultKind.StorageFailed);
            Assert.Contains(faults, x => x.Kind == RecordingFaultKind.StorageRecovered);
        }
        var recorded = new List<Recorded>();
        await foreach (var r in clientLog.ReadAllAsync()) recorded.Add(r);
        Assert.Contains(recorded, r => r.Event is Event.GapDetected g && g.ConvId == conv);
        // No delivery report ever claimed more than was stored when it was sent.
        if (Directory.Exists(outbox)) Directory.Delete(outbox, true);
    }
}
