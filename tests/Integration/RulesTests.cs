using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>Every rule of the server, each refused with r != 0 and a clear message, and nothing stored changed.</summary>
public sealed class RulesTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    async Task<(WireClient Alice, WireClient Bob, WireClient Eve, string Conv, string Msg)> Setup()
    {
        string a = U("a"), b = U("b");
        var alice = await f.Login(a);
        var bob = await f.Login(b);
        var eve = await f.Login(U("eve"));
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true), ("distinct", false)))).Str("convId");
        var msg = (await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "alice's")))))).Str("msgId");
        return (alice, bob, eve, conv, msg);
    }

    [Fact]
    public async Task Only_participants_read_or_change_a_conversation()
    {
        var (alice, bob, eve, conv, msg) = await Setup();
        await using var _ = alice; await using var __ = bob; await using var ___ = eve;
        foreach (var (service, body) in new (Service, Json.Obj)[]
        {
            (Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "x"))))),
            (Service.ChatMessagesLoad, Json.Object(("convId", conv), ("seqGreater", 0L), ("seqSmaller", 100L), ("limit", 10L), ("sort", "ASC"))),
            (Service.ChatUpdateConversation, Json.Object(("convId", conv), ("groupName", "mine now"))),
            (Service.ChatPinMessage, Json.Object(("convId", conv), ("msgId", msg), ("isPin", true))),
            (Service.ChatAddParticipant, Json.Object(("convId", conv), ("userIds", new Json.Arr(Seq1<Json>("eve"))))),
        })
        {
            var r = await eve.RequestAsync(service, body);
            Assert.Equal((4L, "You are not a participant of this conversation"), (r.Int("r"), r.Str("message")));
        }
        Assert.Empty((await eve.RequestAsync(Service.ChatGetConversationsInfo, Json.Object(("convIds", conv)))).Objs("listConvs"));
        var unknown = await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", "conv-nope"), ("type", 1L), ("message", Json.Object(("content", "x")))));
        Assert.Equal(3L, unknown.Int("r"));
    }

    [Fact]
    public async Task Only_the_sender_edits_and_a_revoked_message_cannot_be_edited()
    {
        var (alice, bob, eve, conv, msg) = await Setup();
        await using var _ = alice; await using var __ = bob; await using var ___ = eve;
        var byBob = await bob.RequestAsync(Service.ChatEditMessage, Json.Object(("convId", conv), ("msgId", msg), ("newContent", Json.Object(("content", "bob was here")))));
        Assert.Equal((6L, "Only the sender can edit a message"), (byBob.Int("r"), byBob.Str("message")));
        await alice.RequestAsync(Service.ChatRevokeMessage, Json.Object(("convId", conv), ("msgIds", new Json.Arr(Seq1<Json>(msg)))));
        var late = await alice.RequestAsync(Service.ChatEditMessage, Json.Object(("convId", conv), ("msgId", msg), ("newContent", Json.Object(("content", "too late")))));
        Assert.Equal(7L, late.Int("r"));
        var pin = await alice.RequestAsync(Service.ChatPinMessage, Json.Object(("convId", conv), ("msgId", msg), ("isPin", true)));
        Assert.Equal(7L, pin.Int("r"));
        Assert.Equal("alice's", f.Server.Hub.State.Message(msg).Map(m => Domain.Client.Chat.TextOf(m.Content)).IfNone(""));
    }

    [Fact]
    public async Task Only_the_sender_or_an_admin_revokes()
    {
        var (alice, bob, eve, conv, msg) = await Setup();
        await using var _ = alice; await using var __ = bob; await using var ___ = eve;
        var bobs = (await bob.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "bob's")))))).Str("msgId");
        var byMember = await bob.RequestAsync(Service.ChatRevokeMessage, Json.Object(("convId", conv), ("msgIds", new Json.Arr(Seq1<Json>(msg)))));
        Assert.Equal(8L, byMember.Int("r"));
        Assert.False(f.Server.Hub.State.Message(msg).Map(m => m.Revoked).IfNone(true));
        var byAdmin = await alice.RequestAsync(Service.ChatRevokeMessage, Json.Object(("convId", conv), ("msgIds", new Json.Arr(Seq1<Json>(bobs)))));
        Assert.Equal(0L, byAdmin.Int("r"));
        Assert.Equal(5L, (await alice.RequestAsync(Service.ChatRevokeMessage, Json.Object(("convId", conv), ("msgIds", new Json.Arr(Seq1<Json>("msg-none")))))).Int("r"));
    }

    [Fact]
    public async Task Only_admins_remove_others_and_anyone_may_leave()
    {
        var (alice, bob, eve, conv, _) = await Setup();
        await using var a = alice; await using var b = bob; await using var e = eve;
        var r = await bob.RequestAsync(Service.ChatRemoveParticipant, Json.Object(("convId", conv), ("userIds", new Json.Arr(Seq1<Json>(f.Server.Hub.State.Conversations[conv].Creator)))));
        Assert.Equal(10L, r.Int("r"));
        var leave = await bob.RequestAsync(Service.ChatRemoveParticipant, Json.Object(("convId", conv), ("userIds", new Json.Arr(Seq1<Json>(f.Server.Hub.State.Conversations[conv].Members.Keys.Find(k => k != f.Server.Hub.State.Conversations[conv].Creator).IfNone(""))))));
        Assert.Equal(0L, leave.Int("r"));
    }

    [Fact]
    public async Task A_request_missing_a_field_is_refused_naming_it()
    {
        await using var alice = await f.Login(U("a"));
        var r = await alice.RequestAsync(Service.ChatMessage, Json.Object(("type", 1L), ("message", Json.Object(("content", "x")))));
        Assert.Equal((1L, "invalid request: missing field 'convId'"), (r.Int("r"), r.Str("message")));
    }
}
