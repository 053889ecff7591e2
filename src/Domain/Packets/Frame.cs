using System.Buffers.Binary;
using System.Text;

namespace EventSourced.Domain.Packets;

/// <summary>A packet as it travels: a service number and a JSON object body.</summary>
/// <param name="Service">The service number; may be one this build does not know (kept as a number).</param>
/// <param name="Body">The JSON body (an empty object when the frame had none).</param>
public sealed record Packet(short Service, Json.Obj Body)
{
    /// <summary>A packet of a known service.</summary>
    public Packet(Service service, Json.Obj body) : this((short)service, body) { }

    /// <summary>The service, if this build knows the number.</summary>
    public Option<Service> Known => Enum.IsDefined(typeof(Service), Service) ? Some((Service)Service) : None;

    /// <summary>The <c>requestId</c> of the body, when it is an integer.</summary>
    public Option<long> RequestId => Body["requestId"].Bind(j => j is Json.Number n && n.Value == decimal.Truncate(n.Value)
        && n.Value is >= long.MinValue and <= long.MaxValue ? Some((long)n.Value) : None);
}

/// <summary>Why a frame could not be read as a packet. The raw bytes always travel with it.</summary>
public abstract record FrameError
{
    private FrameError() { }
    /// <summary>A human-readable reason.</summary>
    public abstract string Reason { get; }

    /// <summary>The text was not JSON.</summary>
    public sealed record MalformedJson(string Detail) : FrameError { public override string Reason => Detail; }
    /// <summary>The frame was JSON but not <c>{"service":N,"body":{...}}</c>.</summary>
    public sealed record BadEnvelope(string Detail) : FrameError { public override string Reason => Detail; }
    /// <summary>The frame was larger than the limit.</summary>
    public sealed record Oversized(long Length, int Limit) : FrameError
    { public override string Reason => $"frame of {Length} bytes exceeds the limit of {Limit} bytes"; }
    /// <summary>A binary frame ended before its declared length.</summary>
    public sealed record Truncated(int Have, long Need) : FrameError
    { public override string Reason => $"binary frame truncated: {Have} of {Need} bytes"; }
    /// <summary>A binary frame did not start with the "ST" magic.</summary>
    public sealed record BadMagic(byte First, byte Second) : FrameError
    { public override string Reason => $"binary frame magic is 0x{First:X2}{Second:X2}, expected 'ST' (0x5354)"; }
}

/// <summary>
/// The two wire forms of a packet (protocol §3): the WebSocket text form
/// <c>{"service":N,"body":{...}}</c> and the native binary form
/// <c>"ST" + int32 BE body length + int16 BE service + UTF-8 JSON body</c>.
/// Pure and total: decoding never throws, whatever the bytes.
/// </summary>
public static class Frame
{
    /// <summary>Default largest frame accepted (1 MiB).</summary>
    public const int DefaultMaxBytes = 1 << 20;

    /// <summary>Length of the binary header: magic (2) + length (4) + service (2).</summary>
    public const int BinaryHeaderLength = 8;

    /// <summary>Encodes the WebSocket text form.</summary>
    public static byte[] EncodeText(Packet p) =>
        Json.Object(("service", new Json.Number(p.Service)), ("body", p.Body)).ToUtf8();

    /// <summary>Decodes the WebSocket text form.</summary>
    public static Either<FrameError, Packet> DecodeText(ReadOnlySpan<byte> utf8, int maxBytes = DefaultMaxBytes)
    {
        if (utf8.Length > maxBytes) return new FrameError.Oversized(utf8.Length, maxBytes);
        var parsed = Json.Parse(utf8);
        if (parsed.IsLeft) return new FrameError.MalformedJson(parsed.LeftToSeq().Head);
        return (Json)parsed switch
        {
            Json.Obj o => Envelope(o),
            var other => new FrameError.BadEnvelope($"frame is a JSON {other.Kind}, expected an object"),
        };
    }

    static Either<FrameError, Packet> Envelope(Json.Obj o)
    {
        var service = o["service"];
        if (service.IsNone) return new FrameError.BadEnvelope("frame has no 'service'");
        if ((Json)service is not Json.Number n || n.Value != decimal.Truncate(n.Value) || n.Value is < short.MinValue or > short.MaxValue)
            return new FrameError.BadEnvelope($"'service' must be a 16-bit integer, got {(Json)service}");
        return o["body"].Match<Either<FrameError, Packet>>(
            None: () => new Packet((short)n.Value, Json.Obj.Empty),
            Some: b => b switch
            {
                Json.Obj body => new Packet((short)n.Value, body),
                Json.Null => new Packet((short)n.Value, Json.Obj.Empty),
                _ => new FrameError.BadEnvelope($"'body' must be an object, got a {b.Kind}"),
            });
    }

    /// <summary>Encodes the native binary form.</summary>
    public static byte[] EncodeBinary(Packet p)
    {
        var body = p.Body.ToUtf8();
        var frame = new byte[BinaryHeaderLength + body.Length];
        frame[0] = (byte)'S';
        frame[1] = (byte)'T';
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(2), body.Length);
        BinaryPrimitives.WriteInt16BigEndian(frame.AsSpan(6), p.Service);
        body.CopyTo(frame.AsSpan(BinaryHeaderLength));
        return frame;
    }

    /// <summary>
    /// How many bytes the binary frame at the start of <paramref name="buffer"/> needs in all,
    /// once its header is there (a stream reader waits for that many); None while fewer than 8 bytes are buffered.
    /// </summary>
    public static Option<long> BinaryFrameLength(ReadOnlySpan<byte> buffer) =>
        buffer.Length < BinaryHeaderLength ? None
            : Some(BinaryHeaderLength + (long)(uint)BinaryPrimitives.ReadInt32BigEndian(buffer[2..]));

    /// <summary>Decodes exactly one native binary frame.</summary>
    public static Either<FrameError, Packet> DecodeBinary(ReadOnlySpan<byte> frame, int maxBytes = DefaultMaxBytes)
    {
        if (frame.Length < BinaryHeaderLength) return new FrameError.Truncated(frame.Length, BinaryHeaderLength);
        if (frame[0] != (byte)'S' || frame[1] != (byte)'T') return new FrameError.BadMagic(frame[0], frame[1]);
        var length = BinaryPrimitives.ReadInt32BigEndian(frame[2..]);
        if (length < 0) return new FrameError.BadEnvelope($"negative body length {length}");
        if (length > maxBytes) return new FrameError.Oversized(length, maxBytes);
        var need = BinaryHeaderLength + (long)length;
        if (frame.Length < need) return new FrameError.Truncated(frame.Length, need);
        if (frame.Length > need) return new FrameError.BadEnvelope($"{frame.Length - need} bytes after the declared body");
        var service = BinaryPrimitives.ReadInt16BigEndian(frame[6..]);
        if (length == 0) return new Packet(service, Json.Obj.Empty);
        var parsed = Json.Parse(frame[BinaryHeaderLength..]);
        if (parsed.IsLeft) return new FrameError.MalformedJson(parsed.LeftToSeq().Head);
        return (Json)parsed switch
        {
            Json.Obj body => new Packet(service, body),
            var other => new FrameError.BadEnvelope($"body is a JSON {other.Kind}, expected an object"),
        };
    }

    /// <summary>UTF-8 bytes of a string (for callers that hold text frames as strings).</summary>
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
