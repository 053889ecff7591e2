using System.Text;

namespace EventSourced.Domain;

/// <summary>The readable parts of a Stringee access token (protocol §12): header and payload claims.</summary>
/// <param name="Header">The JOSE header.</param>
/// <param name="Payload">The claims.</param>
/// <param name="SigningInput">The <c>header.payload</c> text that the signature covers.</param>
/// <param name="Signature">The decoded signature bytes.</param>
public sealed record JwtParts(Json.Obj Header, Json.Obj Payload, string SigningInput, Seq<byte> Signature)
{
    /// <summary>A string claim.</summary>
    public Option<string> Text(string claim) => Payload[claim].Bind(j => j is Json.Str s ? Some(s.Value) : None);
    /// <summary>An integer claim.</summary>
    public Option<long> Integer(string claim) => Payload[claim].Bind(j =>
        j is Json.Number n && n.Value == decimal.Truncate(n.Value) && n.Value is >= long.MinValue and <= long.MaxValue ? Some((long)n.Value) : None);
    /// <summary>The token id (<c>jti</c>), or "" when absent.</summary>
    public string TokenId => Text("jti").IfNone("");
}

/// <summary>Pure reading of JWTs: no verification here (the server does that with its secrets).</summary>
public static class Jwt
{
    /// <summary>Splits and decodes a compact JWT. Left says what is wrong (the AUTHEN code 2 or 3 cases).</summary>
    public static Either<string, JwtParts> Read(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3) return "a JWT has three dot-separated parts";
        var header = Base64Url(parts[0]).Bind(b => Json.Parse(b));
        var payload = Base64Url(parts[1]).Bind(b => Json.Parse(b));
        var signature = Base64Url(parts[2]);
        if (header.IsLeft || payload.IsLeft || signature.IsLeft) return "token parts are not base64url JSON";
        if ((Json)header is not Json.Obj h || (Json)payload is not Json.Obj p) return "token header and payload must be JSON objects";
        return new JwtParts(h, p, $"{parts[0]}.{parts[1]}", toSeq((byte[])signature));
    }

    /// <summary>The token without its signature: what the event log keeps, so a recorded token cannot be replayed.</summary>
    public static string Redact(string token)
    {
        var last = token.LastIndexOf('.');
        return last < 0 ? "" : token[..(last + 1)];
    }

    /// <summary>base64url without padding, as JWTs use it.</summary>
    public static string Base64Url(ReadOnlySpan<byte> bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Decodes base64url (padding optional).</summary>
    public static Either<string, byte[]> Base64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        s = (s.Length % 4) switch { 2 => s + "==", 3 => s + "=", 0 => s, _ => "!" };
        var buffer = new byte[s.Length];
        return Convert.TryFromBase64String(s, buffer, out var n) ? buffer[..n] : "not base64url";
    }

    /// <summary>UTF-8 bytes of a string.</summary>
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}
