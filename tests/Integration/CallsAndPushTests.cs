using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

public sealed class CallsAndPushTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Starting_a_call_rings_the_callee_with_33_or_129()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        await using var bob = await f.Login(b);
        var call = await alice.RequestAsync(Service.CallStart, Json.Object(("fromNumber", a), ("toNumber", b), ("video", true), ("custom", "ctx")));
        var ring = await bob.WaitForAsync(Service.CallStartFromServer);
        Assert.Equal((call.Str("callId"), a, true, "ctx"), (ring.Str("callId"), ring.Str("fromNumber"), ring.Bool("video"), ring.Str("customDataFromYourServer")));
        await alice.RequestAsync(Service.CallStart, Json.Object(("fromNumber", a), ("toNumber", b), ("video", false), ("call2", true)));
        Assert.False((await bob.WaitForAsync(Service.VideoRoomCallInvite)).Bool("video"));
    }

    [Fact]
    public async Task A_message_for_a_user_with_no_live_session_and_a_push_token_becomes_a_push_record()
    {
        string a = U("a"), b = U("b");
        await using (var bobOnce = await f.Login(b))
            Assert.Equal(0L, (await bobOnce.RequestAsync(Service.PushDeviceTokenRegister, Json.Object(("deviceType", 2L), ("deviceToken", "fcm-" + b), ("packageName", "app")))).Int("r"));
        for (var i = 0; i < 60 && await f.Server.Hub.IsOnlineAsync(b); i++) await Task.Delay(50);
        Assert.False(await f.Server.Hub.IsOnlineAsync(b));
        await using var alice = await f.Login(a);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true), ("distinct", false)))).Str("convId");
        await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "wake up")))));
        // The reply is queued before the fan-out finishes writing push records: wait for the record, boundedly.
        var dir = Path.Combine(f.Outbox, "push");
        bool Found() => Directory.Exists(dir) && Directory.GetFiles(dir, $"*{b}*").Select(File.ReadAllText)
            .Any(r => r.Contains("wake up", StringComparison.Ordinal) && r.Contains("fcm-" + b, StringComparison.Ordinal));
        for (var i = 0; i < 60 && !Found(); i++) await Task.Delay(50);
        Assert.True(Found());
    }
}
