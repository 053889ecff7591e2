using System.Net.WebSockets;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>Malformed frames, unknown services, oversized frames, floods: clear errors, a surviving server, nothing stored altered.</summary>
public sealed class BadInputTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_malformed_frame_gets_a_reason_and_the_connection_survives()
    {
        await using var c = await f.Login(U("m"));
        await c.SendRawAsync(Encoding.UTF8.GetBytes("{\"service\":42,"));
        var error = await c.WaitForAsync((Service)0);
        Assert.StartsWith("unreadable frame: malformed JSON", error.Str("message"), StringComparison.Ordinal);
        Assert.Equal(0L, (await c.RequestAsync(Service.ChatUnreadConversationCount, Json.Obj.Empty)).Int("r"));
    }

    [Fact]
    public async Task An_unknown_service_is_answered_as_such()
    {
        await using var c = await f.Login(U("u"));
        var r = await c.RequestAsync((Service)4242, Json.Obj.Empty);
        Assert.Equal((18L, "unknown service 4242"), (r.Int("r"), r.Str("message")));
    }

    [Fact]
    public async Task An_oversized_frame_closes_the_connection_with_1009_and_the_server_lives_on()
    {
        var c = await f.Login(U("big"));
        await c.SendRawAsync(Encoding.UTF8.GetBytes("{\"service\":42,\"body\":{\"x\":\"" + new string('x', 70_000) + "\"}}"));
        Assert.True(await c.ClosedAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(WebSocketCloseStatus.MessageTooBig, c.CloseStatus);
        await c.DisposeAsync();
        await using var next = await f.Login(U("after"));
        Assert.Equal(0L, (await next.RequestAsync(Service.ChatUnreadConversationCount, Json.Obj.Empty)).Int("r"));
    }

    [Fact]
    public async Task A_flood_of_requests_is_answered_in_order_without_losing_any()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true), ("distinct", false)))).Str("convId");
        var replies = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", $"n{i}")))))));
        Assert.Equal(Enumerable.Range(2, 200).Select(i => (long)i), replies.Select(r => r.Int("seq")).Order());
        Assert.Equal(201L, f.Server.Hub.State.Conversations[conv].LastSeq);
    }

    [Fact]
    public async Task Arbitrary_frames_never_bring_the_server_down_or_alter_what_is_stored()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true), ("distinct", false)))).Str("convId");
        var before = f.Server.Hub.State.Conversations[conv];
        await using var fuzzer = await f.Login(U("fuzz"));
        // Arbitrary bytes go as binary frames (read as native "ST" frames); text frames must be UTF-8 by the WebSocket rules.
        var binary = ArbMap.Default.GeneratorFor<byte[]>().Select(b => (Bytes: b, Type: WebSocketMessageType.Binary));
        var text = Gen.OneOf(
            ArbMap.Default.GeneratorFor<NonNull<string>>().Select(s => Encoding.UTF8.GetBytes(s.Get)),
            from service in Gen.Choose(-5, 300)
            from body in Gen.Elements("{}", "{\"convId\":1}", $"{{\"convId\":\"{conv}\",\"msgId\":[]}}", "null", "[]", "{\"requestId\":\"x\"}", $"{{\"convId\":\"{conv}\",\"type\":1,\"message\":{{}}}}")
            select Encoding.UTF8.GetBytes($"{{\"service\":{service},\"body\":{body}}}")).Select(b => (Bytes: b, Type: WebSocketMessageType.Text));
        foreach (var frame in Gen.OneOf(binary, text).Sample(200, 150)) await fuzzer.SendRawAsync(frame.Bytes, frame.Type);
        Assert.Equal(0L, (await fuzzer.RequestAsync(Service.ChatUnreadConversationCount, Json.Obj.Empty)).Int("r"));
        Assert.Equal(before, f.Server.Hub.State.Conversations[conv]);
        Assert.Equal(0L, (await alice.RequestAsync(Service.ChatUnreadConversationCount, Json.Obj.Empty)).Int("r"));
    }
}
