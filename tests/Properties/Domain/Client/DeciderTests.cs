namespace EventSourced.Tests.Properties.Domain.Client;

using C = EventSourced.Domain.Client.Command;

public sealed class DeciderTests
{
    static readonly Context Ctx = new(RequestId: 11, Now: 1_000, LocalId: "local-1");

    static ClientState Given(params Event[] events) => Decider.Fold(toSeq(events));

    // Events folded on from a state, through a correlation stage of their own (the commands they answer are among them).
    static ClientState Then(ClientState s, Seq<Event> events) => Correlation.Run(Correlation.State.Empty, events).Facts.Fold(s, Decider.Apply);
    static ClientState Then(ClientState s, Event e) => Then(s, Seq1(e));

    static Event ConnectedAs(string user) =>
        new Event.Connected(new AuthenResult(0, 1L, None, user, None, 1L, 2L, 60_000L, None, None, false, None, None), false);

    static Event Message(string conv, string id, long seq, string from, string text = "hi") =>
        new Event.MessageReceived(new MessageNotice(conv, id, from, 100 + seq, seq, 1, Json.Object(("content", text)), None, None, None, None, None, None));

    static ClientState Chatting => Given(
        ConnectedAs("alice"),
        new Event.ConversationCreated(new CreateConversationResult(0, 1L, "c1", new ConversationInfo("c1", "team", true, false, "alice", 1, 1, None, 0, 1L, None, None,
            None, None, 0, None, None, None, None, None, None, None, None, None,
            Seq(new Participant("alice", None, None, "admin", None, None), new Participant("bob", None, None, "member", None, None))), None)),
        Message("c1", "m1", 2, "alice", "mine"),
        Message("c1", "m2", 3, "bob", "theirs"));

    public static TheoryData<Command> OnlineCommands() => new()
    {
        new C.RegisterPush("tok", true, false), new C.UnregisterPush("tok"), new C.SendCustomMessage("bob", "{}"),
        new C.CreateConversation(Seq1("bob"), ConversationOptions.Default), new C.GetConversationById("c1"),
        new C.GetLocalConversations("alice", 10), new C.GetLastConversations(10), new C.GetConversationsAfter(0, 10),
        new C.GetConversationsBefore(0, 10), new C.DeleteConversation("c1"), new C.AddParticipants("c1", Seq1("bob")),
        new C.RemoveParticipants("c1", Seq1("bob")), new C.UpdateConversation("c1", "n", None), new C.MarkConversationAsRead("c1"),
        new C.GetConversationWithUser("bob"), new C.GetUnreadConversationCount(), new C.SendBeginTyping("c1"), new C.SendEndTyping("c1"),
        new C.SendMessage("c1", 1, Json.Object(("content", "x"))), new C.DeleteMessage("c1", "m1"), new C.GetLocalMessages("c1", 5),
        new C.GetLastMessages("c1", 5), new C.GetMessagesAfter("c1", 1, 5), new C.GetMessagesBefore("c1", 9, 5),
        new C.UpdateUserInfo("A", None, None), new C.CreateLiveChatConversation("q1", None),
        new C.AcceptChatRequest(new ChatRequestRef("c1", "cu", "Cu", 1, false)), new C.RejectChatRequest(new ChatRequestRef("c1", "cu", "Cu", 1, true)),
        new C.SendChatTranscript("a@b.c", "c1", "d"), new C.EndChat("c1"), new C.PinMessage("c1", "m1", true), new C.EditMessage("c1", "m1", "x"),
        new C.RevokeMessage("c1", "m1"),
    };

    [Theory]
    [MemberData(nameof(OnlineCommands))]
    public void Without_a_session_every_server_command_is_refused_with_code_minus_1(Command command) =>
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.NotConnected), Decider.Decide(ClientState.Initial, command, Ctx));

    [Theory]
    [InlineData("updateConversation")]
    [InlineData("deleteConversation")]
    [InlineData("markConversationAsRead")]
    [InlineData("sendBeginTyping")]
    [InlineData("getLastMessages")]
    public void An_empty_conversation_id_is_refused_with_the_seeds_message(string function)
    {
        Command c = function switch
        {
            "updateConversation" => new C.UpdateConversation("", "n", None),
            "deleteConversation" => new C.DeleteConversation(""),
            "markConversationAsRead" => new C.MarkConversationAsRead(""),
            "sendBeginTyping" => new C.SendBeginTyping(" "),
            _ => new C.GetLastMessages("", 3),
        };
        Assert.Equal(Left<Rejection, Seq<Event>>(new Rejection(-2, "Conversation ID can not be null")), Decider.Decide(Chatting, c, Ctx));
    }

    [Fact]
    public void Local_conversations_of_no_user_are_refused_with_the_seeds_message() =>
        Assert.Equal(Left<Rejection, Seq<Event>>(new Rejection(-2, "User id can not be null")), Decider.Decide(Chatting, new C.GetLocalConversations("", 5), Ctx));

    [Fact]
    public void An_empty_push_token_is_refused_with_the_seeds_message() =>
        Assert.Equal(Left<Rejection, Seq<Event>>(new Rejection(-2, "Data is empty.")), Decider.Decide(Chatting, new C.RegisterPush("", true, false), Ctx));

    [Fact]
    public void Sending_records_the_exact_request_with_the_given_request_id_and_local_id()
    {
        var events = Decider.Decide(Chatting, new C.SendMessage("c1", 1, Json.Object(("content", "yo"))), Ctx);
        Assert.Equal(Right<Rejection, Seq<Event>>(Seq1<Event>(new Event.MessageSendRequested(new SendMessage(11L, "c1", 1, Json.Object(("content", "yo")), "local-1")))), events);
    }

    [Fact]
    public void Sending_while_a_dropped_connection_is_being_restored_goes_to_the_outbox()
    {
        var reconnecting = Then(Chatting, new Event.Disconnected("socket closed", IsReconnecting: true));
        Assert.True(Decider.Decide(reconnecting, new C.SendMessage("c1", 1, Json.Object(("content", "later"))), Ctx).IsRight);
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.NotConnected), Decider.Decide(reconnecting, new C.PinMessage("c1", "m1", true), Ctx));
    }

    [Fact]
    public void After_the_user_disconnects_sending_is_refused()
    {
        var stopped = Then(Chatting, new Event.DisconnectRequested());
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.NotConnected), Decider.Decide(stopped, new C.SendMessage("c1", 1, Json.Obj.Empty), Ctx));
    }

    [Fact]
    public void Editing_someone_elses_message_is_refused() =>
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.Invalid("Only the sender can edit a message")), Decider.Decide(Chatting, new C.EditMessage("c1", "m2", "x"), Ctx));

    [Fact]
    public void Editing_a_revoked_message_is_refused()
    {
        var s = Then(Chatting, new Event.MessagesRevoked(new RevokeNotice("c1", Seq1("m1"))));
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.Invalid("Can not edit a revoked message")), Decider.Decide(s, new C.EditMessage("c1", "m1", "x"), Ctx));
    }

    [Fact]
    public void Editing_a_deleted_message_is_refused()
    {
        var s = Then(Chatting, new Event.MessagesDeleted(new DeleteMessagesResult(0, 5L, "c1", Seq1("m1"))));
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.Invalid("Can not edit a deleted message")), Decider.Decide(s, new C.EditMessage("c1", "m1", "x"), Ctx));
    }

    [Fact]
    public void Editing_an_unknown_message_is_not_found() =>
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.NotFound("No message found.")), Decider.Decide(Chatting, new C.EditMessage("c1", "zz", "x"), Ctx));

    [Fact]
    public void An_admin_may_revoke_someone_elses_message_a_member_may_not()
    {
        Assert.True(Decider.Decide(Chatting, new C.RevokeMessage("c1", "m2"), Ctx).IsRight);
        var bob = Then(Chatting, ConnectedAs("bob"));
        Assert.Equal(Left<Rejection, Seq<Event>>(Rejection.Invalid("Only the sender or an admin can revoke a message")),
            Decider.Decide(bob, new C.RevokeMessage("c1", "m1"), Ctx));
    }

    [Fact]
    public void Connect_records_the_token_id_and_user_but_never_the_token()
    {
        var header = Jwt.Base64Url(Jwt.Utf8("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"stringee-api;v=1\"}"));
        var claims = Jwt.Base64Url(Jwt.Utf8("{\"jti\":\"SK1-1\",\"iss\":\"SK1\",\"exp\":99,\"userId\":\"alice\"}"));
        var events = Decider.Decide(ClientState.Initial, new C.Connect($"{header}.{claims}.c2lnbmF0dXJl"), Ctx);
        Assert.Equal(Right<Rejection, Seq<Event>>(Seq1<Event>(new Event.ConnectRequested("SK1-1", "alice", 99L))), events);
    }

    // The server's confirmation of a command, as a Stringee server sends it.
    static Seq<Event> Confirmation(Event e) => e switch
    {
        Event.MessagePinRequested p => Seq1<Event>(new Event.MessagePinChanged(new PinNotice(p.Request.ConvId, p.Request.MsgId, p.Request.IsPin))),
        Event.MessageEditRequested m => Seq1<Event>(new Event.MessageEdited(new EditNotice(m.Request.ConvId, m.Request.MsgId, m.Request.NewContent))),
        Event.MessageRevokeRequested r => Seq1<Event>(new Event.MessagesRevoked(new RevokeNotice(r.Request.ConvId, r.Request.MsgIds))),
        Event.MessageDeleteRequested d => Seq1<Event>(new Event.MessagesDeleted(new DeleteMessagesResult(0, d.Request.RequestId, d.Request.ConvId, d.Request.MessageIds))),
        Event.PushRegisterRequested p => Seq1<Event>(new Event.RequestAcknowledged(39, new Ack(0, p.Request.RequestId, None))),
        Event.ConnectRequested => Seq1(ConnectedAs("alice")),
        _ => Seq<Event>(),
    };

    static Gen<Command> Idempotent =>
        from id in Gen.Elements("m1", "m2", "m3")
        from pin in Gen.Elements(true, false)
        from text in Gen.Elements("mine", "new text", "other")
        from c in Gen.Elements<Command>(new C.PinMessage("c1", id, pin), new C.EditMessage("c1", "m1", text), new C.RevokeMessage("c1", "m1"),
            new C.DeleteMessage("c1", id), new C.MarkConversationAsRead("c1"), new C.RegisterPush("token", true, false), new C.Connect("x.y.z"))
        select c;

    [Property(MaxTest = 300)]
    public Property Deciding_again_after_the_confirmation_yields_nothing() =>
        Prop.ForAll(Idempotent.ToArbitrary(), command =>
        {
            var state = Then(Chatting, Message("c1", "m3", 4, "alice"));
            return Decider.Decide(state, command, Ctx).Match(
                Right: events =>
                {
                    var after = Then(state, events + events.Bind(Confirmation));
                    return Decider.Decide(after, command, Ctx with { RequestId = 12 }).Match(again => again.IsEmpty, _ => true);
                },
                Left: _ => true);
        });

    [Property(MaxTest = 200, Arbitrary = [typeof(Arbitraries)])]
    public Property Deciding_never_throws_from_any_reachable_state(Seq<Event> history) =>
        Prop.ForAll(Generators.For<Command>().ToArbitrary(), command =>
            Decider.Decide(Decider.Fold(history), command, Ctx).IsLeft
            || Decider.Decide(Decider.Fold(history), command, Ctx).IsRight);

    [Property(MaxTest = 200)]
    public Property Every_event_a_command_yields_that_goes_to_the_server_carries_the_context_request_id() =>
        Prop.ForAll(Generators.For<Command>().ToArbitrary(), command =>
            Decider.Decide(Chatting, command, Ctx).Match(
                Right: events => events.ForAll(e => Recording.Request(e).IsNone || Recording.RequestIdOf(e) == Some(11L)),
                Left: r => r.Code is -1 or -2 or -3));
}
