using EventSourced.Adapters.Client;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>Two customers, two agents: the live-chat functions and events of the seed through StringeeClient.</summary>
public sealed class ClientLiveChatTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    async Task<StringeeClient> Customer(string name)
    {
        var c = new StringeeClient(Clients.Options(f.Server));
        var profile = (await c.GetChatProfileAsync("widget-test")).Ok();
        Assert.Equal(Seq("q-fast", "q-empty"), profile.Queues.IfNone(Seq<QueueInfo>()).Map(q => q.Id));
        var token = (await c.GetLiveChatTokenAsync("widget-test", name, $"{name}@example.test")).Ok();
        (await c.ConnectAsync(token)).Ok();
        return c;
    }

    [Fact]
    public async Task Routing_reject_accept_transfer_transcript_end_and_both_timeouts()
    {
        await using var agentA = await Clients.Connected(f, "agentA");
        await using var agentB = await Clients.Connected(f, "agentB");
        await using var alice = await Customer("alice");
        await using var carol = await Customer("carol");

        // alice's chat: offered to agentA, who rejects; agentB accepts.
        var offerA = agentA.OnReceiveChatRequest.First(r => r.CustomerName == "alice");
        var offerB = agentB.OnReceiveChatRequest.First(r => r.CustomerName == "alice");
        var chat = (await alice.CreateLiveChatConversationAsync("q-fast")).Ok();
        Assert.Equal(1, chat.ChannelType);
        var request = await offerA;
        Assert.Equal(chat.Id, request.ConvId);
        (await agentA.RejectChatRequestAsync(request)).Ok();
        (await agentB.AcceptChatRequestAsync(await offerB)).Ok();
        Assert.Equal(LiveChat.Status.Accepted, agentB.Current.LiveChat.ByConv[chat.Id].Status);
        await alice.Until(m => Timeline.View(m.Timeline, chat.Id).Exists(x => x.Type == 100));
        (await alice.SendTextAsync(chat.Id, "where is my order?")).Ok();
        await agentB.Until(m => Timeline.View(m.Timeline, chat.Id).Exists(x => Chat.TextOf(x.Content) == "where is my order?"));

        // transfer to agentA, who accepts it as a transfer request.
        var transfer = agentA.OnReceiveTransferChatRequest.First(r => r.ConvId == chat.Id);
        (await agentB.TransferChatAsync(chat.Id, "agentA", request.CustomerId, "alice")).Ok();
        var t = await transfer;
        Assert.True(t.IsTransfer);
        (await agentA.AcceptChatRequestAsync(t)).Ok();
        (await alice.SendChatTranscriptAsync("alice@example.test", chat.Id, "shop.example")).Ok();
        var ended = alice.OnConversationEnded.First(e => e.ConvId == chat.Id);
        (await agentA.EndChatAsync(chat.Id)).Ok();
        Assert.Equal("agentA", (await ended).EndedBy);
        await alice.Until(m => m.Conversations.ById.Find(chat.Id).Exists(c => c.Ended));
        Assert.Single(Directory.GetFiles(Path.Combine(f.Outbox, "transcripts"), $"*{chat.Id}-*.eml"));

        // carol's chat: agentA lets the offer time out (onTimeoutAnswerChat) before agentB takes it.
        var timedOut = agentA.OnTimeoutAnswerChat.First(r => r.CustomerName == "carol", seconds: 10);
        var second = (await carol.CreateLiveChatConversationAsync("q-fast")).Ok();
        Assert.Equal(second.Id, (await timedOut).ConvId);

        // a queue nobody serves: the customer hears onTimeoutInQueue.
        await using var dave = await Customer("dave");
        var inQueue = dave.OnTimeoutInQueue.First(_ => true, seconds: 6);
        var lonely = (await dave.CreateLiveChatConversationAsync("q-empty")).Ok();
        Assert.Equal(lonely.Id, (await inQueue).ConvId);

        (await alice.CreateLiveChatTicketAsync("widget-test", "alice", "alice@example.test", "call me back")).Ok();
        Assert.Equal((-2, "Widget key can not be null"), (await alice.GetChatProfileAsync("")).Match(_ => (0, ""), e => (e.Code, e.Message)));
    }
}
