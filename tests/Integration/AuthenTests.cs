using System.Diagnostics;
using EventSourced.Domain.Server;

namespace EventSourced.Tests.Integration;

public sealed class AuthenTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static string B64(string json) => Jwt.Base64Url(Jwt.Utf8(json));
    static readonly string Header = B64("{\"typ\":\"JWT\",\"alg\":\"HS256\",\"cty\":\"stringee-api;v=1\"}");

    string Signed(string header, string payload, string secret = "test-secret")
    {
        var input = $"{header}.{payload}";
        return $"{input}.{Jwt.Base64Url(TokenIssuer.Hmac(secret, input))}";
    }

    long Future => DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600;

    async Task<Json.Obj> Authen(string token)
    {
        await using var c = await WireClient.ConnectAsync(f.Server.Url);
        return await c.AuthenAsync(token);
    }

    [Fact]
    public async Task A_valid_token_authenticates_with_the_response_fields_of_the_spec()
    {
        await using var c = await WireClient.ConnectAsync(f.Server.Url);
        var r = await c.AuthenAsync(f.Token("alice"));
        Assert.Equal((0L, "alice", 1L), (r.Int("r"), r.Str("userId"), r.Int("projectId")));
        Assert.True(r.Int("connectionId") > 0);
        Assert.Equal(1_000L, r.Int("ping_after_ms"));
        Assert.Single(r.Objs("clients"));
        Assert.False(r.Bool("chatAgent"));
    }

    [Fact]
    public async Task Every_token_error_has_its_stringee_code()
    {
        Assert.Equal(1L, (await Authen("")).Int("r"));
        Assert.Equal(2L, (await Authen("abc.def.ghi")).Int("r"));
        Assert.Equal(3L, (await Authen("not-a-jwt")).Int("r"));
        Assert.Equal(4L, (await Authen(Signed(B64("{\"alg\":\"HS512\"}"), B64($"{{\"iss\":\"SK.test\",\"exp\":{Future},\"userId\":\"u\"}}")))).Int("r"));
        Assert.Equal(5L, (await Authen(Signed(Header, B64($"{{\"iss\":\"SK.nope\",\"exp\":{Future},\"userId\":\"u\"}}")))).Int("r"));
        Assert.Equal(6L, (await Authen(Signed(Header, B64("{\"iss\":\"SK.test\",\"exp\":1000,\"userId\":\"u\"}")))).Int("r"));
        Assert.Equal(7L, (await Authen(Signed(Header, B64($"{{\"iss\":\"SK.test\",\"exp\":{Future}}}")))).Int("r"));
        Assert.Equal(10L, (await Authen(Signed(Header, B64($"{{\"iss\":\"SK.test\",\"exp\":{Future},\"userId\":\"u\"}}"), "wrong-secret"))).Int("r"));
        Assert.Equal("Access token expired or invalid", (await Authen(Signed(Header, B64("{\"iss\":\"SK.test\",\"exp\":1000,\"userId\":\"u\"}")))).Str("message"));
    }

    [Fact]
    public async Task Project_not_found_is_code_8()
    {
        var config = ServerFixture.TestConfig(f.Outbox) with { };
        var keyOfMissingProject = new ApiKey("SK.test", "test-secret", 99);
        var claims = Tokens.Verify(Some(TokenIssuer.Issue(keyOfMissingProject, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 60, "u")),
            DateTimeOffset.UtcNow.ToUnixTimeSeconds(), _ => keyOfMissingProject, TokenIssuer.Hmac, id => config.Projects.Any(p => p.Id == id));
        Assert.Equal(Left<int, Claims>(8), claims);
    }

    [Fact]
    public async Task Nothing_but_authen_is_served_before_authentication_and_a_persistent_offender_is_closed()
    {
        await using var c = await WireClient.ConnectAsync(f.Server.Url);
        var r = await c.RequestAsync(Service.ChatMessage, Json.Object(("convId", "x"), ("type", 1L), ("message", Json.Object(("content", "hi")))));
        Assert.Equal(16L, r.Int("r"));
        for (var i = 0; i < 4; i++) await c.SendAsync(new Packet(Service.ChatConversationLoad, Json.Object(("requestId", 100L + i))));
        Assert.True(await c.ClosedAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal("too many packets before AUTHEN", c.CloseReason);
    }

    [Fact]
    public async Task A_rest_token_cannot_open_a_client_session_but_finds_the_server_address()
    {
        var rest = TokenIssuer.Issue(f.Server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 60, None, rest: true);
        Assert.Equal(7L, (await Authen(rest)).Int("r"));
        using var http = new HttpClient();
        var body = (Json.Obj)Json.Parse(await http.GetStringAsync($"http://127.0.0.1:{f.Server.Port}/v2/getStringeeServerAddress?access_token={rest}"));
        Assert.Equal(0L, body.Int("r"));
        Assert.Equal(f.Server.Port, body.Obj("data").Obj("stringeeServerAddrs").Objs("web").Head.Int("port"));
    }

    [Fact]
    public async Task The_token_command_prints_a_token_the_server_accepts()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "stringee-es.dll");
        var config = Path.Combine(Path.GetTempPath(), $"stringee-es-config-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(config, f.Server.Config.ToJson());
        try
        {
            var psi = new ProcessStartInfo("dotnet", ["exec", dll, "token", "--user", "carol", "--ttl", "120", "--config", config])
                { RedirectStandardOutput = true, RedirectStandardError = true };
            using var p = Process.Start(psi)!;
            var token = (await p.StandardOutput.ReadToEndAsync()).Trim();
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, p.ExitCode);
            var parts = (JwtParts)Jwt.Read(token);
            Assert.Equal(Some<Json>("stringee-api;v=1"), parts.Header["cty"]);
            Assert.Equal(Some("SK.test"), parts.Text("iss"));
            Assert.StartsWith("SK.test-", parts.TokenId, StringComparison.Ordinal);
            var r = await Authen(token);
            Assert.Equal((0L, "carol"), (r.Int("r"), r.Str("userId")));
        }
        finally
        {
            File.Delete(config);
        }
    }

    [Fact]
    public async Task The_token_command_refuses_a_client_token_without_a_user()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "stringee-es.dll");
        using var p = Process.Start(new ProcessStartInfo("dotnet", ["exec", dll, "token"]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        var err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("--user is required", err, StringComparison.Ordinal);
    }
}
