namespace EventSourced.Domain.Server;

/// <summary>An API key of a project: its SID (the token's <c>iss</c>) and secret.</summary>
public sealed record ApiKey(string Sid, string Secret, long ProjectId);

/// <summary>What a verified token says.</summary>
public sealed record Claims(string UserId, long ProjectId, string KeySid, long Expires, bool Rest, Option<string> ServiceId);

/// <summary>
/// Access-token rules (protocol §12), checked in Stringee's order with its AUTHEN codes. Pure: the
/// HMAC is a function passed in, the time is an input.
/// </summary>
public static class Tokens
{
    /// <summary>The JOSE header of every token this project issues.</summary>
    public static Json.Obj Header => Json.Object(("typ", "JWT"), ("alg", "HS256"), ("cty", "stringee-api;v=1"));

    /// <summary>Builds the signing input <c>header.payload</c> of a token.</summary>
    public static string SigningInput(ApiKey key, long nowSeconds, long ttlSeconds, Option<string> userId, bool rest, Option<string> serviceId)
    {
        var payload = Json.Object(("jti", $"{key.Sid}-{nowSeconds}"), ("iss", key.Sid), ("exp", nowSeconds + ttlSeconds));
        payload = userId.Match(u => payload.With("userId", u), () => payload);
        payload = rest ? payload.With("rest_api", true) : payload;
        payload = serviceId.Match(sv => payload.With("serviceId", sv), () => payload);
        return $"{Jwt.Base64Url(Header.ToUtf8())}.{Jwt.Base64Url(payload.ToUtf8())}";
    }

    /// <summary>Verifies a token: Right with its claims, or Left with the AUTHEN code (1 empty ... 10 bad signature).</summary>
    public static Either<int, Claims> Verify(Option<string> token, long nowSeconds, Func<string, Option<ApiKey>> keys, Func<string, string, byte[]> hmac,
        Func<long, bool> projectExists)
    {
        if (token.IsNone || string.IsNullOrWhiteSpace((string)token)) return AuthenCodes.Empty;
        var parts = Jwt.Read((string)token);
        if (parts.IsLeft) return ((string)token).Split('.').Length == 3 ? AuthenCodes.CannotDecode : AuthenCodes.InvalidFormat;
        var t = (JwtParts)parts;
        if (t.Header["alg"] != Some<Json>("HS256")) return AuthenCodes.NotHs256;
        var iss = t.Text("iss");
        if (iss.IsNone) return AuthenCodes.InvalidPayload;
        var key = keys((string)iss);
        if (key.IsNone) return AuthenCodes.KeyNotFound;
        var exp = t.Integer("exp");
        if (exp.IsNone) return AuthenCodes.InvalidPayload;
        if ((long)exp <= nowSeconds) return AuthenCodes.Expired;
        var rest = t.Payload["rest_api"] == Some<Json>(true);
        var user = t.Text("userId");
        if (!rest && user.Match(u => Inputs.IdProblem(u).IsSome, () => true)) return AuthenCodes.InvalidPayload;
        // A token that is not valid yet (nbf ahead of the server's clock by more than a minute of skew) is refused like an expired one.
        if (t.Integer("nbf").Exists(nbf => nbf > nowSeconds + 60)) return AuthenCodes.Expired;
        var k = (ApiKey)key;
        if (!projectExists(k.ProjectId)) return AuthenCodes.ProjectNotFound;
        var expected = hmac(k.Secret, t.SigningInput);
        if (!FixedTimeEquals(expected, t.Signature.ToArray())) return AuthenCodes.BadSignature;
        return new Claims(user.IfNone(""), k.ProjectId, k.Sid, (long)exp, rest, t.Text("serviceId"));
    }

    static bool FixedTimeEquals(byte[] a, byte[] b)
    {
        if (a.Length != b.Length) return false;
        var diff = 0;
        for (var i = 0; i < a.Length; i++) diff |= a[i] ^ b[i];
        return diff == 0;
    }
}
