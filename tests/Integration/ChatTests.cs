using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

public sealed class ChatTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static Json.Obj Create(bool group, bool distinct, params string[] users) =>
        Json.Object(("participants", new Json.Arr(toSeq(users.Select(u => (Json)u)))), ("isGroup", group), ("distinct", distinct), ("name", "room"));

    static Json.Obj Text(string conv, string text) => Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", text))), ("localDbId", "l-" + text));

    [Fact]
    public async Task Create_send_fan_out_and_read_reports()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        await using var bob = await f.Login(b);
        var created = await alice.RequestAsync(Service.ChatCreateConversation, Create(false, true, b));
        Assert.Equal(0L, created.Int("r"));
        var conv = created.Str("convId");
        Assert.Equal(conv, created.Str("group"));
        Assert.Equal((1L, 7L), (created.Obj("lastMsg").Int("seq"), created.Obj("lastMsg").Int("type")));
        var creation = await bob.WaitForAsync(Service.ChatMessageFromServer, m => m.Str("convId") == conv);
        Assert.Equal(7L, creation.Int("type"));

        var sent = await alice.RequestAsync(Service.ChatMessage, Text(conv, "hello"));
        Assert.Equal((0L, 2L, "l-hello"), (sent.Int("r"), sent.Int("seq"), sent.Str("localDbId")));
        Assert.True(sent.Int("created") > 0);
        var got = await bob.WaitForAsync(Service.ChatMessageFromServer, m => m.Str("msgId") == sent.Str("msgId"));
        Assert.Equal((a, 2L, "hello"), (got.Str("from"), got.Int("seq"), got.Obj("message").Str("content")));

        Assert.Equal(0L, (await bob.RequestAsync(Service.ChatMessageReport, Json.Object(("convId", conv), ("lastMsgSeq", 2L), ("status", 1L)))).Int("r"));
        var delivered = await alice.WaitForAsync(Service.ChatMessageReportFromServer);
        Assert.Equal((b, 2L, 1L), (delivered.Str("from"), delivered.Int("lastMsgSeq"), delivered.Int("status")));
        await bob.RequestAsync(Service.ChatMessageReport, Json.Object(("convId", conv), ("lastMsgSeq", 2L), ("status", 2L)));
        Assert.Equal(2L, (await alice.WaitForAsync(Service.ChatMessageReportFromServer)).Int("status"));
        var again = await alice.RequestAsync(Service.ChatCreateConversation, Create(false, true, b));
        Assert.Equal((2L, conv), (again.Int("r"), again.Str("convId")));
    }

    [Fact]
    public async Task A_message_reaches_every_session_of_the_recipient_and_the_senders_other_devices()
    {
        string a = U("a"), b = U("b");
        await using var alice1 = await f.Login(a);
        await using var alice2 = await f.Login(a);
        await alice1.WaitForAsync(Service.OtherDeviceAuthen, n => n.Str("status") == "connected");
        await using var bob1 = await f.Login(b);
        await using var bob2 = await f.Login(b);
        var conv = (await alice1.RequestAsync(Service.ChatCreateConversation, Create(true, false, b))).Str("convId");
        var sent = await alice1.RequestAsync(Service.ChatMessage, Text(conv, "everywhere"));
        foreach (var c in new[] { alice2, bob1, bob2 })
            Assert.Equal(sent.Str("msgId"), (await c.WaitForAsync(Service.ChatMessageFromServer, m => m.Int("seq") == 2)).Str("msgId"));
        Assert.True(await alice1.NothingAsync(Service.ChatMessageFromServer));
    }

    [Fact]
    public async Task Listing_loading_and_lookups()
    {
        string a = U("a"), b = U("b"), c = U("c");
        await using var alice = await f.Login(a);
        var one = (await alice.RequestAsync(Service.ChatCreateConversation, Create(false, true, b))).Str("convId");
        var two = (await alice.RequestAsync(Service.ChatCreateConversation, Create(true, false, b, c))).Str("convId");
        for (var i = 0; i < 5; i++) await alice.RequestAsync(Service.ChatMessage, Text(one, $"m{i}"));
        await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", one), ("type", 2L), ("message", Json.Object(("photo", Json.Object(("filePath", "http://x/p.png")))))));

        var list = await alice.RequestAsync(Service.ChatConversationLoad, Json.Object(("lastUpdateGreater", 0L), ("lastUpdateSmaller", 9007199254740991L), ("limit", 10L)));
        Assert.Equal(Seq(one, two), list.Objs("listConvs").Map(x => x.Str("convId")));
        Assert.Single((await alice.RequestAsync(Service.ChatConversationLoad, Json.Object(("lastUpdateGreater", 0L), ("lastUpdateSmaller", 9007199254740991L), ("limit", 1L)))).Objs("listConvs"));
        Assert.Equal(Seq1(two), (await alice.RequestAsync(Service.ChatGetConversationsInfo, Json.Object(("convIds", $"{two}, nope")))).Objs("listConvs").Map(x => x.Str("convId")));
        Assert.Equal(Seq1(one), (await alice.RequestAsync(Service.ChatConversationForUsers, Json.Object(("participants", new Json.Arr(Seq<Json>(b, a)))))).Objs("conversations").Map(x => x.Str("convId")));

        var asc = await alice.RequestAsync(Service.ChatMessagesLoad, Json.Object(("convId", one), ("seqGreater", 2L), ("seqSmaller", 9007199254740991L), ("limit", 3L), ("sort", "ASC")));
        Assert.Equal(Seq(3L, 4L, 5L), asc.Objs("msgs").Map(m => m.Int("seq")));
        var desc = await alice.RequestAsync(Service.ChatMessagesLoad, Json.Object(("convId", one), ("seqGreater", 0L), ("seqSmaller", 7L), ("limit", 2L), ("sort", "DESC")));
        Assert.Equal(Seq(6L, 5L), desc.Objs("msgs").Map(m => m.Int("seq")));
        var ids = desc.Objs("msgs").Map(m => m.Str("id"));
        Assert.Equal(ids.Rev(), (await alice.RequestAsync(Service.GetMessagesInfo, Json.Object(("convId", one), ("msgIds", string.Join(",", ids.Rev()))))).Objs("listMsgs").Map(m => m.Str("id")));
        var photos = await alice.RequestAsync(Service.ChatConversationAttachment, Json.Object(("convId", one), ("msgType", 2L), ("start", 0L), ("limit", 10L)));
        Assert.Equal(Seq1(7L), photos.Objs("msgs").Map(m => m.Int("seq")));
    }

    [Fact]
    public async Task Update_delete_clear_unread_and_users()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        await using var bob = await f.Login(b);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Create(true, false, b))).Str("convId");
        Assert.Equal(0L, (await alice.RequestAsync(Service.ChatUpdateConversation, Json.Object(("convId", conv), ("groupName", "renamed")))).Int("r"));
        Assert.Equal(8L, (await bob.WaitForAsync(Service.ChatMessageFromServer, m => m.Int("type") == 8)).Int("type"));
        await alice.RequestAsync(Service.ChatMessage, Text(conv, "unread-1"));
        await alice.RequestAsync(Service.ChatMessage, Text(conv, "unread-2"));
        Assert.Equal(1L, (await bob.RequestAsync(Service.ChatUnreadConversationCount, Json.Obj.Empty)).Int("count"));
        Assert.Equal("renamed", (await bob.RequestAsync(Service.ChatGetConversationsInfo, Json.Object(("convIds", conv)))).Objs("listConvs").Head.Str("convName"));

        Assert.Equal(0L, (await bob.RequestAsync(Service.ChatConversationClearHistory, Json.Object(("convId", conv), ("seq", 3L)))).Int("r"));
        var after = await bob.RequestAsync(Service.ChatMessagesLoad, Json.Object(("convId", conv), ("seqGreater", 0L), ("seqSmaller", 100L), ("limit", 50L), ("sort", "ASC")));
        Assert.Equal(Seq1(4L), after.Objs("msgs").Map(m => m.Int("seq")));

        Assert.Equal(conv, (await bob.RequestAsync(Service.ChatDeleteConversation, Json.Object(("convId", conv), ("seq", 4L)))).Str("convId"));
        Assert.Empty((await bob.RequestAsync(Service.ChatConversationLoad, Json.Object(("lastUpdateGreater", 0L), ("lastUpdateSmaller", 9007199254740991L), ("limit", 10L)))).Objs("listConvs"));

        await bob.RequestAsync(Service.UpdateUserInfo, Json.Object(("display_name", "Bob B."), ("email", "bob@example.test")));
        var users = await alice.RequestAsync(Service.ChatGetUsersInfo, Json.Object(("userIds", $"{b}, {a}")));
        Assert.Equal(("Bob B.", "bob@example.test"), (users.Objs("users").Head.Str("displayName"), users.Objs("users").Head.Str("email")));
        Assert.Equal(b, (await alice.WaitForAsync(Service.UpdateUserInfoNotification)).Str("userId"));
    }

    [Fact]
    public async Task Participants_roles_and_their_notifications()
    {
        string a = U("a"), b = U("b"), c = U("c");
        await using var alice = await f.Login(a);
        await using var bob = await f.Login(b);
        await using var carol = await f.Login(c);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Create(true, false, b))).Str("convId");
        var added = await alice.RequestAsync(Service.ChatAddParticipant, Json.Object(("convId", conv), ("userIds", new Json.Arr(Seq1<Json>(c)))));
        Assert.Equal(Seq1(c), added.Objs("added").Map(p => p.Str("user")));
        Assert.Equal(conv, (await bob.WaitForAsync(Service.ChatAddParticipantFromServer)).Str("convId"));
        Assert.Equal(100L, (await carol.WaitForAsync(Service.ChatMessageFromServer, m => m.Int("type") == 100)).Int("type"));

        Assert.Equal(10L, (await bob.RequestAsync(Service.ChatSetRole, Json.Object(("convId", conv), ("userId", c), ("role", "admin")))).Int("r"));
        Assert.Equal(0L, (await alice.RequestAsync(Service.ChatSetRole, Json.Object(("convId", conv), ("userId", b), ("role", "admin")))).Int("r"));
        Assert.Equal(0L, (await bob.RequestAsync(Service.ChatRemoveParticipant, Json.Object(("convId", conv), ("userIds", new Json.Arr(Seq1<Json>(c)))))).Int("r"));
        var removed = await carol.WaitForAsync(Service.ChatRemoveParticipantFromServer);
        Assert.Equal((conv, b, $"{{\"user\":\"{c}\"}}"), (removed.Str("groupId"), removed.Str("removedBy"), removed.Str("removedInfo")));
        Assert.Equal(4L, (await carol.RequestAsync(Service.ChatMessage, Text(conv, "still here?"))).Int("r"));
    }

    [Fact]
    public async Task Pin_edit_revoke_typing_delete_and_custom_messages()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        await using var bob = await f.Login(b);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Create(true, false, b))).Str("convId");
        var msg = (await alice.RequestAsync(Service.ChatMessage, Text(conv, "original"))).Str("msgId");

        Assert.True((await alice.RequestAsync(Service.ChatPinMessage, Json.Object(("convId", conv), ("msgId", msg), ("isPin", true)))).Bool("isPin"));
        Assert.Equal(msg, (await bob.WaitForAsync(Service.ChatPinMessageFromServer)).Str("msgId"));
        Assert.Equal(msg, (await bob.RequestAsync(Service.ChatGetConversationsInfo, Json.Object(("convIds", conv)))).Objs("listConvs").Head.Str("pinMsgId"));

        await alice.RequestAsync(Service.ChatEditMessage, Json.Object(("convId", conv), ("msgId", msg), ("newContent", "{\"content\":\"web form\"}")));
        var edit1 = await bob.WaitForAsync(Service.ChatEditMessageFromServer);
        Assert.Equal("web form", Domain.Client.Chat.TextOf(Domain.Client.Chat.ContentOf(new Json.Str(edit1.Str("newContent")))));
        await alice.RequestAsync(Service.ChatEditMessage, Json.Object(("convId", conv), ("msgId", msg), ("newContent", Json.Object(("content", "android form")))));
        await bob.WaitForAsync(Service.ChatEditMessageFromServer);
        var loaded = await bob.RequestAsync(Service.GetMessagesInfo, Json.Object(("convId", conv), ("msgIds", msg)));
        Assert.Equal(("android form", 2L), (loaded.Objs("listMsgs").Head.Obj("content").Str("content"), loaded.Objs("listMsgs").Head.Int("edited")));

        await bob.RequestAsync(Service.ChatUserBeginTyping, Json.Object(("convId", conv), ("userId", b)));
        Assert.Equal(b, (await alice.WaitForAsync(Service.ChatUserBeginTypingNotification)).Str("userId"));
        await bob.RequestAsync(Service.ChatUserEndTyping, Json.Object(("convId", conv), ("userId", b)));
        Assert.Equal(conv, (await alice.WaitForAsync(Service.ChatUserEndTypingNotification)).Str("convId"));

        var revoked = await alice.RequestAsync(Service.ChatRevokeMessage, Json.Object(("convId", conv), ("msgIds", new Json.Arr(Seq1<Json>(msg)))));
        Assert.Equal(0L, revoked.Int("r"));
        Assert.Equal(Some<Json>(new Json.Arr(Seq1<Json>(msg))), (await bob.WaitForAsync(Service.ChatRevokeMessageFromServer))["msgIds"]);
        var afterRevoke = (await bob.RequestAsync(Service.GetMessagesInfo, Json.Object(("convId", conv), ("msgIds", msg)))).Objs("listMsgs").Head;
        Assert.Equal((1L, 0), (afterRevoke.Int("revoked"), afterRevoke.Obj("content").Fields.Count));

        var other = (await alice.RequestAsync(Service.ChatMessage, Text(conv, "to delete"))).Str("msgId");
        Assert.Equal(0L, (await alice.RequestAsync(Service.ChatDeleteMessage, Json.Object(("convId", conv), ("messageIds", new Json.Arr(Seq1<Json>(other)))))).Int("r"));
        Assert.Empty((await bob.RequestAsync(Service.GetMessagesInfo, Json.Object(("convId", conv), ("msgIds", other)))).Objs("listMsgs").Filter(m => m.Int("deletedStatus") == 0));

        await alice.RequestAsync(Service.CustomMessage, Json.Object(("toUser", b), ("message", Json.Object(("hello", "there")))));
        var custom = await bob.WaitForAsync(Service.CustomMessageFromServer);
        Assert.Equal((a, "there"), (custom.Str("fromUser"), custom.Obj("message").Str("hello")));
        Assert.Equal(0L, (await alice.RequestAsync(Service.ChatBlockUser, Json.Object(("userId", b)))).Int("r"));
    }

    [Fact]
    public async Task Messages_across_conversations_by_time_and_the_plain_acknowledgements()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        var one = (await alice.RequestAsync(Service.ChatCreateConversation, Create(true, false, b))).Str("convId");
        var two = (await alice.RequestAsync(Service.ChatCreateConversation, Create(true, false, b))).Str("convId");
        await alice.RequestAsync(Service.ChatMessage, Text(one, "x"));
        await alice.RequestAsync(Service.ChatMessage, Text(two, "y"));
        var all = await alice.RequestAsync(Service.ChatLoadAllMessagesForConversations,
            Json.Object(("convIds", $"{one},{two}"), ("createdGreater", 0L), ("createdSmaller", 9007199254740991L), ("sort", "ASC"), ("limit", 10L)));
        Assert.Equal(4, all.Objs("msgs").Count);
        foreach (var (service, body) in new (Service, Json.Obj)[]
        {
            (Service.ChatContinue, Json.Object(("convId", one))), (Service.ChatJoinOaConversation, Json.Object(("convId", one))),
            (Service.ChatAgentResolveConversation, Json.Object(("convId", one), ("resolved", true))), (Service.GetChatServices, Json.Obj.Empty),
            (Service.ViewChat, Json.Object(("convId", one))), (Service.ChangeAttribute, Json.Object(("attribute", "status"), ("value", "away"))),
            (Service.PushDeviceTokenUnregister, Json.Object(("deviceToken", "none"))),
        })
            Assert.Equal(0L, (await alice.RequestAsync(service, body)).Int("r"));
    }
}
