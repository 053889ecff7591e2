using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>Live chat: REST profile, visitor token, ticket; routing to agents with both timeouts, transfer, end, rating, transcript.</summary>
public sealed class LiveChatTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    async Task<Json.Obj> Get(string pathAndQuery) =>
        (Json.Obj)Json.Parse(await Http.GetStringAsync($"http://127.0.0.1:{f.Server.Port}{pathAndQuery}"));

    [Fact]
    public async Task The_chat_profile_lists_the_widgets_queues()
    {
        var profile = await Get("/v1/chatcustomer/getsettingandqueues?key=widget-test");
        Assert.Equal(0L, profile.Int("r"));
        Assert.Equal(Seq("q-fast", "q-empty"), profile.Objs("queues").Map(q => q.Str("id")));
        Assert.Equal(1L, (await Get("/v1/chatcustomer/getsettingandqueues?key=nope")).Int("r"));
    }

    [Fact]
    public async Task A_ticket_lands_in_the_outbox()
    {
        var email = $"{U("cust")}@example.test";
        Assert.Equal(0L, (await Get($"/v1/chatcustomer/generateticket?key=widget-test&username=Cus&email={email}&note=call%20me")).Int("r"));
        Assert.Contains(Directory.GetFiles(Path.Combine(f.Outbox, "tickets")), p => File.ReadAllText(p).Contains(email, StringComparison.Ordinal));
        Assert.Equal(2L, (await Get("/v1/chatcustomer/generateticket?key=widget-test&username=Cus")).Int("r"));
    }

    async Task<WireClient> Visitor(string name)
    {
        var tokenReply = await Get($"/v1/chatcustomer?key=widget-test&username={name}&email={name}@example.test&userId={U(name)}");
        Assert.Equal(0L, tokenReply.Int("r"));
        var c = await WireClient.ConnectAsync(f.Server.Url);
        Assert.Equal(0L, (await c.AuthenAsync(tokenReply.Str("access_token"))).Int("r"));
        return c;
    }

    [Fact]
    public async Task A_chat_is_routed_times_out_at_one_agent_is_accepted_by_the_next_transferred_and_ended()
    {
        await using var agentA = await f.Login("agentA");
        await using var agentB = await f.Login("agentB");
        await using var customer = await Visitor("cust");
        var created = await customer.RequestAsync(Service.ChatCreateConversation,
            Json.Object(("participants", new Json.Arr(Seq<Json>())), ("isGroup", true), ("distinct", false), ("name", "q-fast"), ("channelType", 1L)));
        var conv = created.Str("convId");

        var offerA = await agentA.WaitForAsync(Service.ChatRouteToAgent, m => m.Str("convId") == conv);
        Assert.Equal("cust", offerA.Str("customerName"));
        Assert.Single((await agentA.RequestAsync(Service.ChatRequestLoad, Json.Obj.Empty)).Objs("chatRequests").Filter(r => r.Str("convId") == conv));
        await agentA.WaitForAsync(Service.TimeoutRouteToAgent, m => m.Str("convId") == conv, TimeSpan.FromSeconds(8));
        await agentB.WaitForAsync(Service.ChatRouteToAgent, m => m.Str("convId") == conv, TimeSpan.FromSeconds(8));
        var late = await agentA.RequestAsync(Service.ChatAgentResponse, Json.Object(("convId", conv), ("answer", true)));
        Assert.Equal(14L, late.Int("r"));
        var accepted = await agentB.RequestAsync(Service.ChatAgentResponse, Json.Object(("convId", conv), ("answer", true), ("channelType", 1L)));
        Assert.True(accepted.Bool("answer"));
        await customer.WaitForAsync(Service.ChatMessageFromServer, m => m.Str("convId") == conv && m.Int("type") == 100);

        await customer.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "my order is late")))));
        await agentB.WaitForAsync(Service.ChatMessageFromServer, m => m.Str("convId") == conv && m.Int("type") == 1);

        Assert.Equal(0L, (await agentB.RequestAsync(Service.ChatTransferToAnotherAgent, Json.Object(("convId", conv), ("toUserId", "agentA"), ("customerId", "x"), ("customerName", "cust")))).Int("r"));
        var transfer = await agentA.WaitForAsync(Service.ChatTransferRequestFromAnotherAgent, m => m.Str("convId") == conv);
        Assert.Equal("agentB", transfer.Str("from"));
        Assert.Equal(0L, (await agentA.RequestAsync(Service.ChatConfirmTransferRequest, Json.Object(("convId", conv), ("answer", true)))).Int("r"));
        Assert.Equal(Seq("agentA", created.Objs("participants").Head.Str("user")).OrderBy(x => x), f.Server.Hub.State.Conversations[conv].Members.Keys.OrderBy(x => x));

        Assert.Equal(0L, (await customer.RequestAsync(Service.RateChat, Json.Object(("convId", conv), ("rating", 1L), ("comment", "quick")))).Int("r"));
        var ended = await agentA.RequestAsync(Service.EndChat, Json.Object(("convId", conv)));
        Assert.Equal("agentA", ended.Str("endedby"));
        Assert.Equal("agentA", (await customer.WaitForAsync(Service.ChatConversationEndedNotification)).Str("endedby"));
        Assert.Equal(11L, (await customer.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "hello?")))))).Int("r"));

        Assert.Equal(0L, (await customer.RequestAsync(Service.SendEmailTranscript, Json.Object(("convId", conv), ("email", "cust@example.test"), ("domain", "shop.example")))).Int("r"));
        var eml = File.ReadAllText(Directory.GetFiles(Path.Combine(f.Outbox, "transcripts"), $"*{conv}-*.eml").Single());
        Assert.Contains("To: cust@example.test", eml, StringComparison.Ordinal);
        Assert.Contains("cust: my order is late", eml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chat_nobody_takes_times_out_in_the_queue()
    {
        await using var customer = await Visitor("waiting");
        var conv = (await customer.RequestAsync(Service.ChatCreateConversation,
            Json.Object(("participants", new Json.Arr(Seq<Json>())), ("isGroup", true), ("distinct", false), ("name", "q-empty")))).Str("convId");
        var timeout = await customer.WaitForAsync(Service.TimeoutRouteToQueue, m => m.Str("convId") == conv, TimeSpan.FromSeconds(4));
        Assert.Equal("waiting", timeout.Str("customerName"));
    }

    [Fact]
    public async Task An_unknown_queue_is_refused()
    {
        await using var customer = await Visitor("lost");
        var r = await customer.RequestAsync(Service.ChatCreateConversation,
            Json.Object(("participants", new Json.Arr(Seq<Json>())), ("isGroup", true), ("distinct", false), ("name", "no-such-queue"), ("channelType", 1L)));
        Assert.Equal((13L, "Queue 'no-such-queue' not found"), (r.Int("r"), r.Str("message")));
    }
}
