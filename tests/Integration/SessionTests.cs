using EventSourced.Adapters.Storage.InMemory;
using EventSourced.Domain.Server;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

public sealed class SessionTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_server_pings_and_a_client_that_answers_stays()
    {
        await using var c = await f.Login(U("p"));
        await c.WaitForAsync(Service.Ping, within: TimeSpan.FromSeconds(3));
        await Task.Delay(2_800);
        Assert.True(c.IsOpen);
    }

    [Fact]
    public async Task A_connection_silent_past_the_ping_window_is_closed_with_a_reason()
    {
        await using var c = await f.Login(U("silent"));
        c.AnswerPings = false;
        Assert.True(await c.ClosedAsync(TimeSpan.FromSeconds(6)));
        Assert.Equal("no packet within the ping window", c.CloseReason);
    }

    [Fact]
    public async Task Other_sessions_of_a_user_hear_of_each_other()
    {
        var u = U("multi");
        await using var first = await f.Login(u);
        var second = await f.Login(u);
        var connected = await first.WaitForAsync(Service.OtherDeviceAuthen);
        Assert.Equal("connected", connected.Str("status"));
        await second.DisposeAsync();
        Assert.Equal("disconnected", (await first.WaitForAsync(Service.OtherDeviceAuthen)).Str("status"));
    }

    [Fact]
    public async Task A_restarted_server_rebuilds_everything_from_its_log()
    {
        var log = new InMemoryEventLog<ServerRecorded>();
        string a = U("a"), b = U("b");
        string conv;
        await using (var first = await StringeeServer.StartAsync(TestConfig(f.Outbox), log: log))
        {
            await using var alice = await WireClient.LoginAsync(first, a);
            conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true), ("distinct", false)))).Str("convId");
            var msg = (await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "before restart")))))).Str("msgId");
            await alice.RequestAsync(Service.ChatEditMessage, Json.Object(("convId", conv), ("msgId", msg), ("newContent", Json.Object(("content", "edited")))));
        }
        await using var second = await StringeeServer.StartAsync(TestConfig(f.Outbox), log: log);
        await using var bob = await WireClient.LoginAsync(second, b);
        var msgs = await bob.RequestAsync(Service.ChatMessagesLoad, Json.Object(("convId", conv), ("seqGreater", 0L), ("seqSmaller", 100L), ("limit", 10L), ("sort", "ASC")));
        Assert.Equal(Seq(7L, 1L), msgs.Objs("msgs").Map(m => m.Int("type")));
        Assert.Equal("edited", msgs.Objs("msgs")[1].Obj("content").Str("content"));
        var next = await bob.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "after")))));
        Assert.Equal(3L, next.Int("seq"));
        Assert.NotEqual(msgs.Objs("msgs")[1].Str("id"), next.Str("msgId"));
    }
}
