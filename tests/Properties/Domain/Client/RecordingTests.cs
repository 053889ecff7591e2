using System.Text;

namespace EventSourced.Tests.Properties.Domain.Client;

public sealed class RecordingTests
{
    static Seq<Recorded> Receive(string text, bool reconnecting = false) =>
        Recording.Receive("alice", Encoding.UTF8.GetBytes(text), FrameForm.Text, 1_000, reconnecting);

    [Property(MaxTest = 500)]
    public Property Receiving_arbitrary_bytes_records_at_least_one_event_with_those_exact_bytes(byte[] bytes, bool binary)
    {
        var recorded = Recording.Receive("alice", bytes, binary ? FrameForm.Binary : FrameForm.Text, 5, false);
        return (!recorded.IsEmpty && recorded.ForAll(r => r.Meta.Raw.Span.SequenceEqual(bytes) && r.Meta.Origin == Origin.Received)).ToProperty();
    }

    // Ids with slashes, percent signs and the key's own words: the ones that forged a recording before keys were encoded.
    static readonly Gen<string> HostileId = Gen.OneOf(
        ArbMap.Default.GeneratorFor<NonEmptyString>().Select(s => s.Get),
        Gen.Elements("alice", "alice/conversation/x", "alice/session", "a%2Fb", "%", "%25", "/", "conversation", "a/b/c", "..", "x%2", "nul\u0000", "%00", "\u0000/%00"));

    [Property(MaxTest = 500)]
    public Property A_stream_key_gives_back_exactly_the_user_it_was_made_for() =>
        Prop.ForAll(HostileId.ToArbitrary(), HostileId.ToArbitrary(), (user, conv) =>
            Recording.UserOfStream(Recording.ConversationStream(user, conv)) == Some(user)
            && Recording.UserOfStream(Recording.SessionStream(user)) == Some(user));

    [Property(MaxTest = 500)]
    public Property No_user_can_name_a_stream_inside_another_users_recording() =>
        Prop.ForAll(HostileId.ToArbitrary(), HostileId.ToArbitrary(), HostileId.ToArbitrary(), (user, other, conv) =>
            (user == other
             || (!Recording.ConversationStream(other, conv).StartsWith(Recording.UserPrefix(user), StringComparison.Ordinal)
                 && !Recording.SessionStream(other).StartsWith(Recording.UserPrefix(user), StringComparison.Ordinal))).ToProperty());

    [Property(MaxTest = 500)]
    public Property No_stream_key_holds_U0000_which_a_database_text_cannot() =>
        Prop.ForAll(HostileId.ToArbitrary(), HostileId.ToArbitrary(), (user, conv) =>
            (!Recording.ConversationStream(user, conv).Contains('\0') && !Recording.SessionStream(user).Contains('\0')).ToProperty());

    [Fact]
    public void A_user_named_like_a_path_into_alices_recording_gets_a_stream_of_its_own()
    {
        var forged = Recording.ConversationStream("alice/conversation/x", "c1");
        Assert.Equal("alice%2Fconversation%2Fx/conversation/c1", forged);
        Assert.Equal(Some("alice/conversation/x"), Recording.UserOfStream(forged));
        Assert.False(forged.StartsWith(Recording.UserPrefix("alice"), StringComparison.Ordinal));
    }

    [Fact]
    public void A_malformed_frame_is_recorded_with_its_reason_and_raw_bytes()
    {
        var r = Receive("{\"service\":45,").Single();
        Assert.IsType<Event.PacketMalformed>(r.Event);
        Assert.Equal("{\"service\":45,", Encoding.UTF8.GetString(r.Meta.Raw.Span));
        Assert.Equal("alice/session", r.Meta.Stream);
    }

    [Fact]
    public void A_body_missing_a_field_is_recorded_as_malformed_naming_the_field()
    {
        var e = Assert.IsType<Event.PacketMalformed>(Receive("{\"service\":45,\"body\":{\"convId\":\"c1\"}}").Single().Event);
        Assert.Equal((Some((short)45), "missing field 'msgId'"), (e.Service, e.Reason));
    }

    [Fact]
    public void An_unknown_service_is_recorded_with_its_body()
    {
        var e = Assert.IsType<Event.PacketUnknown>(Receive("{\"service\":4242,\"body\":{\"x\":1}}").Single().Event);
        Assert.Equal(4242, e.Service);
        Assert.Equal(Json.Object(("x", 1L)), e.Body);
    }

    [Fact]
    public void A_new_message_is_recorded_in_its_conversation_stream_with_both_clocks()
    {
        var r = Receive("""{"service":45,"body":{"convId":"c1","msgId":"m7","from":"bob","createdTime":1700000000123,"seq":7,"type":1,"message":{"content":"hi"}}}""").Single();
        var e = Assert.IsType<Event.MessageReceived>(r.Event);
        Assert.Equal("m7", e.Packet.MsgId);
        Assert.Equal("alice/conversation/c1", r.Meta.Stream);
        Assert.Equal(Some(7L), r.Meta.Seq);
        Assert.Equal(Some(1700000000123L), r.Meta.ServerTime);
        Assert.Equal(1_000, r.Meta.ReceivedAt);
        Assert.Equal(Some((short)45), r.Meta.Service);
    }

    [Fact]
    public void Authen_with_code_6_records_the_failure_and_the_token_request()
    {
        var events = Receive("{\"service\":2,\"body\":{\"r\":6,\"requestId\":1,\"message\":\"expired\"}}").Map(r => r.Event);
        Assert.Collection(events, e => Assert.IsType<Event.ConnectFailed>(e), e => Assert.IsType<Event.AccessTokenRequested>(e));
    }

    [Fact]
    public void Authen_success_records_a_connection_that_knows_whether_it_is_a_reconnect()
    {
        var e = Assert.IsType<Event.Connected>(Receive("{\"service\":2,\"body\":{\"r\":0,\"requestId\":1,\"userId\":\"alice\",\"projectId\":9}}", reconnecting: true).Single().Event);
        Assert.True(e.IsReconnecting);
        Assert.Equal(Some(9L), e.Result.ProjectId);
    }

    [Fact]
    public void The_requestId_of_a_response_travels_in_the_envelope()
    {
        var r = Receive("{\"service\":42,\"body\":{\"r\":0,\"requestId\":12,\"convId\":\"c\",\"msgId\":\"m\",\"seq\":3,\"created\":5}}").Single();
        Assert.Equal(Some(12L), r.Meta.RequestId);
        Assert.IsType<Event.MessageSent>(r.Event);
    }

    [Fact]
    public void Incoming_calls_one_and_two_are_told_apart_by_service()
    {
        const string body = "{\"callId\":\"k\",\"fromNumber\":\"bob\",\"toNumber\":\"alice\",\"video\":false}";
        Assert.IsType<Event.IncomingCallReceived>(Receive($"{{\"service\":33,\"body\":{body}}}").Single().Event);
        Assert.IsType<Event.IncomingCall2Received>(Receive($"{{\"service\":129,\"body\":{body}}}").Single().Event);
    }

    [Property(MaxTest = 300, Arbitrary = [typeof(Arbitraries)])]
    public Property Every_command_event_puts_on_the_wire_a_packet_that_decodes_to_its_request(Event e) =>
        Recording.Request(e).Match(
            Some: r => Protocol.Decode(Direction.ClientToServer, Recording.Outgoing(e).IfNone(() => throw new InvalidOperationException()))
                == Right<BodyError, Body>(r.Body),
            None: () => true).ToProperty();

    [Property(MaxTest = 300, Arbitrary = [typeof(Arbitraries)])]
    public Property Every_server_body_records_events_without_losing_the_body(Event e) =>
        (Laws.IsServerPacket(e) ? !Recording.StreamOf("u", e).StartsWith("u/", StringComparison.Ordinal) == false : true).ToProperty();

    [Fact]
    public void A_sent_command_records_the_exact_bytes_it_sends()
    {
        var e = new Event.MessageSendRequested(new SendMessage(4L, "c1", 1, Json.Object(("content", "hi")), "l1"));
        var (record, packet) = Recording.Send("alice", e, 77);
        Assert.Equal(Frame.EncodeText((Packet)packet), record.Meta.Raw.ToArray());
        Assert.Equal((Origin.Sent, Some(4L), "alice/conversation/c1"), (record.Meta.Origin, record.Meta.RequestId, record.Meta.Stream));
    }

    [Fact]
    public void A_redacted_token_keeps_header_and_claims_but_not_the_signature() =>
        Assert.Equal("aaa.bbb.", Jwt.Redact("aaa.bbb.ccc"));
}
