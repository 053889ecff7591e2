using EventSourced.Adapters.Client;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>Connections cut mid-stream: every client ends with every message exactly once, in seq order.</summary>
public sealed class ClientReconnectTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static Seq<(long Seq, string Text)> Messages(StringeeClient c, string conv) =>
        Timeline.View(c.Current.Timeline, conv).Filter(m => m.Type == 1).Map(m => (m.Seq, Chat.TextOf(m.Content)));

    async Task Converge(StringeeClient[] clients, string conv, int expected)
    {
        foreach (var c in clients) await c.Until(m => Timeline.View(m.Timeline, conv).Count(x => x.Type == 1) == expected && Timeline.Pending(m.Timeline, conv).IsEmpty, seconds: 15);
        var reference = Messages(clients[0], conv);
        Assert.Equal(expected, reference.Count);
        Assert.Equal(reference.Count, reference.Map(m => m.Text).Distinct().Count());
        Assert.Equal(reference, toSeq(reference.OrderBy(m => m.Seq)));
        foreach (var c in clients.Skip(1)) Assert.Equal(reference, Messages(c, conv));
    }

    [Fact]
    public async Task A_server_side_close_and_a_client_side_kill_lose_nothing_and_duplicate_nothing()
    {
        string a = U("a"), b = U("b"), c = U("c");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        await using var carol = await Clients.Connected(f, c);
        var conv = (await alice.CreateConversationAsync(Seq(b, c), new ConversationOptions("ops", true, false, None, None))).Ok().Id;
        var n = 0;
        for (var i = 0; i < 3; i++) (await alice.SendTextAsync(conv, $"before {n++}")).Ok();

        // The server closes bob's connection; while he is away others send, and he sends too (outbox).
        var bobBack = bob.OnConnect.First(x => x.IsReconnecting, seconds: 10);
        var bobGone = bob.OnDisConnect.First(x => x.IsReconnecting);
        await f.Server.Hub.DropUserAsync(b, "maintenance");
        await bobGone;
        var bobSends = Enumerable.Range(0, 3).Select(i => bob.SendTextAsync(conv, $"bob offline {i}")).ToList();
        for (var i = 0; i < 3; i++) (await alice.SendTextAsync(conv, $"during server close {n++}")).Ok();
        await bobBack;
        foreach (var s in bobSends) (await s).Ok();

        // carol's socket dies on her side; messages keep flowing meanwhile.
        var carolBack = carol.OnConnect.First(x => x.IsReconnecting, seconds: 10);
        carol.DropConnection();
        for (var i = 0; i < 3; i++) (await alice.SendTextAsync(conv, $"during client kill {n++}")).Ok();
        var carolSends = Enumerable.Range(0, 2).Select(i => carol.SendTextAsync(conv, $"carol offline {i}")).ToList();
        await carolBack;
        foreach (var s in carolSends) (await s).Ok();
        (await alice.SendTextAsync(conv, "after")).Ok();

        await Converge([alice, bob, carol], conv, 3 + 3 + 3 + 3 + 2 + 1);
        Assert.Equal(Seq("bob offline 0", "bob offline 1", "bob offline 2"), Messages(alice, conv).Map(m => m.Text).Filter(t => t.StartsWith("bob", StringComparison.Ordinal)));
        Assert.True(Coverage.Of(bob.Current.Coverage, conv).Gaps.IsEmpty);
    }
}
