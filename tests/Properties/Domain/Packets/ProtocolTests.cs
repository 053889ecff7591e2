namespace EventSourced.Tests.Properties.Domain.Packets;

public sealed class ProtocolTests
{
    public static TheoryData<Service, Direction> Table() => EventSourced.Tests.Properties.Support.ProtocolTable.All();

    [Theory]
    [MemberData(nameof(Table))]
    public void Every_body_round_trips_through_both_wire_forms(Service service, Direction direction)
    {
        var type = (Type)Protocol.BodyType(service, direction);
        var property = Prop.ForAll(Generators.For(type).ToArbitrary(), body =>
        {
            var packet = Protocol.Encode(service, (Body)body);
            var viaText = Frame.DecodeText(Frame.EncodeText(packet)).Bind(p => Protocol.Decode(direction, p).MapLeft(e => (FrameError)new FrameError.BadEnvelope(e.Reason)));
            var viaBinary = Frame.DecodeBinary(Frame.EncodeBinary(packet)).Bind(p => Protocol.Decode(direction, p).MapLeft(e => (FrameError)new FrameError.BadEnvelope(e.Reason)));
            return viaText == Right<FrameError, Body>((Body)body) && viaBinary == Right<FrameError, Body>((Body)body);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(60), property);
    }

    [Property(MaxTest = 300)]
    public Property Decoding_any_body_on_any_service_never_throws() =>
        Prop.ForAll(Gen.Elements(Enum.GetValues<Service>()).ToArbitrary(), Generators.JsonObject(3).ToArbitrary(), Gen.Elements(Direction.ClientToServer, Direction.ServerToClient).ToArbitrary(),
            (s, body, d) => Protocol.Decode(d, new Packet(s, body)).IsLeft || Protocol.Decode(d, new Packet(s, body)).IsRight);

    [Fact]
    public void An_edit_accepts_new_content_as_a_json_string_as_the_web_sdk_sends_it()
    {
        var packet = Frame.DecodeText("""{"service":90,"body":{"requestId":7,"convId":"c","msgId":"m","newContent":"{\"content\":\"fixed\"}"}}"""u8);
        var edit = (EditMessage)packet.Bind(p => Protocol.Decode(Direction.ClientToServer, p).MapLeft(e => (FrameError)new FrameError.BadEnvelope(e.Reason))).IfLeft(() => throw new InvalidOperationException());
        Assert.Equal(Json.Object(("content", "fixed")), Chat.ContentOf(edit.NewContent));
    }

    [Fact]
    public void An_edit_accepts_new_content_as_an_object_as_the_android_sdk_sends_it()
    {
        var packet = new Packet(Service.ChatEditMessage, Json.Object(("requestId", 7L), ("convId", "c"), ("msgId", "m"), ("newContent", Json.Object(("content", "fixed")))));
        var edit = (EditMessage)Protocol.Decode(Direction.ClientToServer, packet).IfLeft(() => throw new InvalidOperationException());
        Assert.Equal(Json.Object(("content", "fixed")), Chat.ContentOf(edit.NewContent));
    }

    [Fact]
    public void A_missing_field_is_named()
    {
        var error = Protocol.Decode(Direction.ServerToClient, new Packet(Service.ChatMessageFromServer, Json.Object(("convId", "c")))).LeftToSeq().Head;
        Assert.Equal(new BodyError(45, "missing field 'msgId'"), error);
    }

    [Fact]
    public void A_wrongly_typed_field_is_named_with_its_path()
    {
        var body = Json.Object(("r", 0L), ("requestId", 1L), ("msgs", new Json.Arr(Seq1<Json>(Json.Object(("id", "m"), ("seq", "one"))))));
        var error = Protocol.Decode(Direction.ServerToClient, new Packet(Service.ChatMessagesLoad, body)).LeftToSeq().Head;
        Assert.Equal("field 'msgs[0].seq' must be an integer in [-9223372036854775808, 9223372036854775807], got string", error.Reason);
    }

    [Fact]
    public void A_response_with_a_non_zero_r_is_a_failure_whatever_fields_it_lacks()
    {
        var body = Json.Object(("r", 5L), ("requestId", 3L), ("message", "Conversation not found"));
        Assert.Equal(Right<BodyError, Body>(new Failure(5, 3L, "Conversation not found")), Protocol.Decode(Direction.ServerToClient, new Packet(Service.ChatMessage, body)));
    }

    [Fact]
    public void Create_conversation_with_r_2_is_the_existing_distinct_conversation_not_a_failure()
    {
        var body = Json.Object(("r", 2L), ("requestId", 3L), ("convId", "c9"));
        var decoded = Protocol.Decode(Direction.ServerToClient, new Packet(Service.ChatCreateConversation, body));
        Assert.Equal("c9", decoded.Map(b => ((CreateConversationResult)b).Conversation.ConvId));
    }

    [Fact]
    public void An_unknown_service_is_reported_as_such() =>
        Assert.Equal("unknown service 999", Protocol.Decode(Direction.ServerToClient, new Packet(999, Json.Obj.Empty)).LeftToSeq().Head.Reason);

    [Fact]
    public void Booleans_also_accept_zero_and_one_as_older_sdks_send_them()
    {
        var body = Json.Object(("requestId", 1L), ("convId", "c"), ("answer", 1L));
        Assert.Equal(Right<BodyError, Body>(new ConfirmTransfer(1L, "c", true)), Protocol.Decode(Direction.ClientToServer, new Packet(Service.ChatConfirmTransferRequest, body)));
    }

    [Fact]
    public void Every_service_of_the_chat_session_push_and_live_chat_table_is_mapped()
    {
        var mapped = Protocol.Table.Select(t => t.Service).ToHashSet();
        Assert.Equal(Enum.GetValues<Service>().ToHashSet(), mapped);
    }
}
