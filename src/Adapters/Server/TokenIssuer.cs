using System.Security.Cryptography;
using System.Text;
using EventSourced.Domain.Server;

namespace EventSourced.Adapters.Server;

/// <summary>Signs and verifies Stringee access tokens (HS256) with the configured keys.</summary>
public static class TokenIssuer
{
    /// <summary>HMAC-SHA256 of a text with a secret.</summary>
    public static byte[] Hmac(string secret, string text) => HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(text));

    /// <summary>A signed token: a client token for a user, or a REST token.</summary>
    public static string Issue(ApiKey key, long nowSeconds, long ttlSeconds, Option<string> userId, bool rest = false, Option<string> serviceId = default)
    {
        var input = Tokens.SigningInput(key, nowSeconds, ttlSeconds, userId, rest, serviceId);
        return $"{input}.{Jwt.Base64Url(Hmac(key.Secret, input))}";
    }

    /// <summary>Verifies a token against a configuration.</summary>
    public static Either<int, Claims> Verify(ServerConfig config, Option<string> token, long nowSeconds) =>
        Tokens.Verify(token, nowSeconds, config.Key, Hmac, id => config.Projects.Any(p => p.Id == id));
}
