using System.Security.Cryptography;
using System.Text;
using EventSourced.Domain.Server;

namespace EventSourced.Tests.Properties.Domain.Server;

public sealed class TokensTests
{
    static readonly ApiKey Key = new("SK.k", "secret", 1);
    static byte[] Hmac(string secret, string text) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text));
    static string Issue(long now, long ttl, string user) => Tokens.SigningInput(Key, now, ttl, user, false, None) is var i ? $"{i}.{Jwt.Base64Url(Hmac(Key.Secret, i))}" : "";
    static Either<int, Claims> Verify(string token, long now) => Tokens.Verify(token, now, sid => sid == Key.Sid ? Some(Key) : None, Hmac, id => id == 1);

    [Property(MaxTest = 200)]
    public Property An_issued_token_verifies_until_it_expires(PositiveInt ttl, NonEmptyString user) =>
        (Inputs.IdProblem(user.Get).IsSome
         || (Verify(Issue(1_000, ttl.Get, user.Get), 1_000).Map(c => c.UserId) == Right<int, string>(user.Get)
             && Verify(Issue(1_000, ttl.Get, user.Get), 1_000 + ttl.Get) == Left<int, Claims>(6))).ToProperty();

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("bob\r\nX-Injected: 1")]
    [InlineData("tab\there")]
    public void A_token_whose_userId_is_blank_or_has_control_characters_is_an_invalid_payload(string user) =>
        Assert.Equal(Left<int, Claims>(AuthenCodes.InvalidPayload), Verify(Issue(1_000, 60, user), 1_000));

    [Fact]
    public void A_token_for_a_user_id_longer_than_255_characters_is_an_invalid_payload() =>
        Assert.Equal(Left<int, Claims>(AuthenCodes.InvalidPayload), Verify(Issue(1_000, 60, new string('u', 256)), 1_000));

    [Fact]
    public void A_token_not_valid_before_a_time_beyond_the_clock_skew_is_refused_until_then()
    {
        var header = Jwt.Base64Url(Tokens.Header.ToUtf8());
        var payload = Jwt.Base64Url(Json.Object(("jti", "j"), ("iss", Key.Sid), ("exp", 10_000L), ("nbf", 5_000L), ("userId", "u")).ToUtf8());
        var token = $"{header}.{payload}.{Jwt.Base64Url(Hmac(Key.Secret, $"{header}.{payload}"))}";
        Assert.Equal(Left<int, Claims>(AuthenCodes.Expired), Verify(token, 1_000));
        Assert.True(Verify(token, 4_950).IsRight, "a minute of clock skew is tolerated");
    }

    [Property(MaxTest = 200)]
    public Property Any_change_to_the_signature_is_code_10(NonNegativeInt at)
    {
        var token = Issue(1_000, 60, "u");
        var sig = (byte[])Jwt.Base64Url(token[(token.LastIndexOf('.') + 1)..]);
        sig[at.Get % sig.Length] ^= 0x01;
        return (Verify($"{token[..(token.LastIndexOf('.') + 1)]}{Jwt.Base64Url(sig)}", 1_000) == Left<int, Claims>(10)).ToProperty();
    }

    [Property(MaxTest = 300)]
    public Property Verifying_any_text_never_throws_and_gives_a_known_code(string? text) =>
        Verify(text ?? "", 1_000).Match(_ => true, code => code is 1 or 2 or 3 or 4 or 5 or 6 or 7 or 8 or 10).ToProperty();
}
