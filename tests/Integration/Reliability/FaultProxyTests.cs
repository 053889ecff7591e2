using EventSourced.Adapters.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>A recording client behind a proxy that drops, duplicates, reorders, delays and cuts: it ends with every acknowledged message exactly once, in seq order.</summary>
public sealed class FaultProxyTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Theory]
    [InlineData(0.0, 0.3, 3, 0)]
    [InlineData(0.05, 0.1, 1, 0)]
    [InlineData(0.02, 0.05, 2, 60)]
    public async Task Every_acknowledged_message_arrives_exactly_once_in_seq_order(double drop, double duplicate, int reorder, int cutEvery)
    {
        await using var proxy = await FaultProxy.StartAsync(f.Server.Url, new Faults(drop, duplicate, 0, reorder, cutEvery, Seed: 7));
        string a = U("alice"), b = U("bob");
        await using var alice = new StringeeClient(Clients.Options(f.Server) with { Servers = Seq1(new Uri(proxy.Url)), RequestTimeout = TimeSpan.FromSeconds(2) });
        var connected = await alice.ConnectAsync(f.Token(a));
        // With drops the AUTHEN answer itself may be lost: the client retries by itself.
        if (connected.IsFail) await alice.Until(m => m.Session.ProjectId.IsSome, seconds: 20);
        await using var bob = await f.Login(b);
        var conv = (await bob.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(a))), ("isGroup", true)))).Str("convId");
        var acknowledged = new List<string>();
        for (var i = 0; i < 120; i++)
        {
            var r = await bob.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", $"m{i}")))));
            if (r.Int("r") == 0) acknowledged.Add(r.Str("msgId"));
        }
        // A reconnect makes the client catch up whatever the proxy dropped.
        await Task.Delay(500);
        alice.DropConnection();
        var held = await alice.Until(m => Timeline.View(m.Timeline, conv).Count(x => x.Type == 1) >= acknowledged.Count, seconds: 40);
        var texts = Timeline.View(held.Timeline, conv).Filter(x => x.Type == 1);
        Assert.Equal(acknowledged, texts.Map(x => x.Id).ToList());
        Assert.Equal(texts.Map(x => x.Seq).OrderBy(x => x).ToList(), texts.Map(x => x.Seq).ToList());
    }
}
