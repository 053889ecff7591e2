using EventSourced.Adapters.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>A send whose answer is lost is reported as an unknown outcome (-4), not a failure, and is delivered exactly once.</summary>
public sealed class UnknownOutcomeTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_send_whose_answer_is_lost_is_minus_4_and_lands_exactly_once_after_the_reconnect()
    {
        await using var proxy = await FaultProxy.StartAsync(f.Server.Url, new Faults());
        string a = U("alice"), b = U("bob");
        await using var alice = new StringeeClient(Clients.Options(f.Server) with { Servers = Seq1(new Uri(proxy.Url)), RequestTimeout = TimeSpan.FromSeconds(1) });
        (await alice.ConnectAsync(f.Token(a))).Ok();
        var conv = (await alice.CreateConversationAsync(Seq1(b), new ConversationOptions("room", true, false, None, None))).Ok();
        proxy.DropWhen = frame => frame.Contains("\"service\":42}", StringComparison.Ordinal) || frame.Contains("\"service\":42,", StringComparison.Ordinal);
        var sent = await alice.SendTextAsync(conv.Id, "exactly once");
        Assert.Equal(-4, sent.Match(_ => 0, e => e.Code));
        Assert.Single(f.Server.Hub.State.Conversations[conv.Id].Messages.Values, m => Chat.TextOf(m.Content) == "exactly once");
        proxy.DropWhen = null;
        alice.DropConnection();
        await alice.Until(m => Timeline.View(m.Timeline, conv.Id).Exists(x => Chat.TextOf(x.Content) == "exactly once") && Timeline.Outbox(m.Timeline).IsEmpty, seconds: 20);
        Assert.Single(f.Server.Hub.State.Conversations[conv.Id].Messages.Values, m => Chat.TextOf(m.Content) == "exactly once");
        Assert.Single(Timeline.View(alice.Current.Timeline, conv.Id), x => Chat.TextOf(x.Content) == "exactly once");
    }
}
