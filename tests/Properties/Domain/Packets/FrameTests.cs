using System.Text;

namespace EventSourced.Tests.Properties.Domain.Packets;

public sealed class FrameTests
{
    static Gen<Packet> Packets =>
        from service in Gen.Choose(short.MinValue, short.MaxValue)
        from body in Generators.JsonObject(3)
        select new Packet((short)service, body);

    [Property(MaxTest = 300)]
    public Property The_text_form_round_trips() =>
        Prop.ForAll(Packets.ToArbitrary(), p => Frame.DecodeText(Frame.EncodeText(p)) == Right<FrameError, Packet>(p));

    [Property(MaxTest = 300)]
    public Property The_binary_form_round_trips() =>
        Prop.ForAll(Packets.ToArbitrary(), p => Frame.DecodeBinary(Frame.EncodeBinary(p)) == Right<FrameError, Packet>(p));

    [Property(MaxTest = 1000)]
    public Property Decoding_arbitrary_bytes_never_throws(byte[] bytes) =>
        (Frame.DecodeText(bytes).IsLeft | Frame.DecodeText(bytes).IsRight
         & (Frame.DecodeBinary(bytes).IsLeft | Frame.DecodeBinary(bytes).IsRight)).ToProperty();

    [Property(MaxTest = 500)]
    public Property Decoding_a_valid_header_with_arbitrary_payload_never_throws(short service, byte[] payload)
    {
        var frame = new byte[8 + payload.Length];
        frame[0] = (byte)'S';
        frame[1] = (byte)'T';
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(2), payload.Length);
        System.Buffers.Binary.BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), service);
        payload.CopyTo(frame, 8);
        var decoded = Frame.DecodeBinary(frame);
        return (decoded.IsLeft || decoded.Map(p => p.Service == service).IfLeft(false)).ToProperty();
    }

    [Fact]
    public void A_binary_frame_cut_short_says_how_much_is_missing()
    {
        var frame = Frame.EncodeBinary(new Packet(Service.ChatMessage, Json.Object(("convId", "c1"))));
        var error = Frame.DecodeBinary(frame.AsSpan(0, frame.Length - 3)).LeftToSeq().Head;
        Assert.Equal(new FrameError.Truncated(frame.Length - 3, frame.Length), error);
    }

    [Fact]
    public void A_binary_header_shorter_than_eight_bytes_is_truncated() =>
        Assert.IsType<FrameError.Truncated>(Frame.DecodeBinary("ST"u8).LeftToSeq().Head);

    [Fact]
    public void A_binary_frame_without_the_magic_is_refused() =>
        Assert.Equal(new FrameError.BadMagic((byte)'B', (byte)'C'), Frame.DecodeBinary("BC\0\0\0\0\0\u0001"u8).LeftToSeq().Head);

    [Fact]
    public void An_oversized_text_frame_is_refused_before_parsing()
    {
        var big = Encoding.UTF8.GetBytes("{\"service\":42,\"body\":{\"x\":\"" + new string('x', 2000) + "\"}}");
        Assert.Equal(new FrameError.Oversized(big.Length, 1000), Frame.DecodeText(big, 1000).LeftToSeq().Head);
    }

    [Fact]
    public void An_oversized_binary_length_is_refused_without_waiting_for_the_bytes()
    {
        var header = new byte[] { (byte)'S', (byte)'T', 0x7F, 0xFF, 0xFF, 0xFF, 0, 42 };
        Assert.IsType<FrameError.Oversized>(Frame.DecodeBinary(header).LeftToSeq().Head);
        Assert.Equal(8L + int.MaxValue, Frame.BinaryFrameLength(header));
    }

    [Fact]
    public void A_zero_length_binary_body_is_an_empty_object() =>
        Assert.Equal(new Packet(Service.Ping, Json.Obj.Empty), Frame.DecodeBinary(Frame.EncodeBinary(new Packet(Service.Ping, Json.Obj.Empty)).AsSpan(0, 8).ToArray()
            .Select((b, i) => i is >= 2 and <= 5 ? (byte)0 : b).ToArray()));

    [Theory]
    [InlineData("{\"body\":{}}", "frame has no 'service'")]
    [InlineData("{\"service\":\"42\",\"body\":{}}", "'service' must be a 16-bit integer, got \"42\"")]
    [InlineData("{\"service\":4.5}", "'service' must be a 16-bit integer, got 4.5")]
    [InlineData("{\"service\":42,\"body\":[1]}", "'body' must be an object, got a array")]
    [InlineData("[1,2]", "frame is a JSON array, expected an object")]
    public void A_text_frame_that_is_not_a_packet_says_why(string text, string reason) =>
        Assert.Equal(reason, Frame.DecodeText(Encoding.UTF8.GetBytes(text)).LeftToSeq().Head.Reason);

    [Fact]
    public void A_missing_or_null_body_is_an_empty_object()
    {
        Assert.Equal(new Packet(Service.Ping, Json.Obj.Empty), Frame.DecodeText("{\"service\":1}"u8));
        Assert.Equal(new Packet(Service.Ping, Json.Obj.Empty), Frame.DecodeText("{\"service\":1,\"body\":null}"u8));
    }
}
