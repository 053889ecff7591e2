using System.Net;
using System.Net.WebSockets;
using System.Text;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>Nobody gets in where they do not belong, and no request can lock another user out: each defect found by attacking the server, over the wire.</summary>
public sealed class AccessTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(5) };

    async Task<Json.Obj> Get(string pathAndQuery) =>
        (Json.Obj)Json.Parse(await Http.GetStringAsync($"http://127.0.0.1:{f.Server.Port}{pathAndQuery}"));

    [Fact]
    public async Task The_visitor_token_endpoint_never_signs_for_the_user_the_caller_names()
    {
        var victim = U("alice");
        await using (var alice = await f.Login(victim))
            Assert.Equal(0L, (await alice.RequestAsync(Service.UpdateUserInfo, Json.Object(("display_name", "Alice")))).Int("r"));
        foreach (var asked in new[] { victim, "agentA" })
        {
            var reply = await Get($"/v1/chatcustomer?key=widget-test&username=eve&userId={Uri.EscapeDataString(asked)}");
            Assert.Equal(0L, reply.Int("r"));
            var claims = (JwtParts)Jwt.Read(reply.Str("access_token"));
            var user = claims.Text("userId").IfNone("");
            Assert.NotEqual(asked, user);
            Assert.StartsWith("visitor-", user, StringComparison.Ordinal);
            await using var eve = await WireClient.ConnectAsync(f.Server.Url);
            Assert.Equal(user, (await eve.AuthenAsync(reply.Str("access_token"))).Str("userId"));
        }
        Assert.Equal(Some("Alice"), f.Server.Hub.State.Users[victim].DisplayName);
    }

    [Fact]
    public async Task Two_visitors_never_share_an_identity()
    {
        var a = (JwtParts)Jwt.Read((await Get("/v1/chatcustomer?key=widget-test&username=v")).Str("access_token"));
        var b = (JwtParts)Jwt.Read((await Get("/v1/chatcustomer?key=widget-test&username=v")).Str("access_token"));
        Assert.NotEqual(a.Text("userId"), b.Text("userId"));
    }

    [Fact]
    public async Task A_request_naming_a_foreign_host_is_refused_and_a_foreign_origin_cannot_open_a_socket()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"http://127.0.0.1:{f.Server.Port}/v1/chatcustomer/getsettingandqueues?key=widget-test");
        request.Headers.Host = "evil.example";
        Assert.Equal(HttpStatusCode.MisdirectedRequest, (await Http.SendAsync(request)).StatusCode);
        using var foreign = new ClientWebSocket();
        foreign.Options.SetRequestHeader("Origin", "https://evil.example");
        await Assert.ThrowsAnyAsync<WebSocketException>(() => foreign.ConnectAsync(new Uri(f.Server.Url), CancellationToken.None));
        using var local = new ClientWebSocket();
        local.Options.SetRequestHeader("Origin", "http://localhost:3000");
        await local.ConnectAsync(new Uri(f.Server.Url), CancellationToken.None);
        Assert.Equal(WebSocketState.Open, local.State);
    }

    [Fact]
    public async Task A_socket_that_only_pings_and_never_authenticates_is_closed()
    {
        var config = TestConfig(Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}")) with { AuthenTimeoutMs = 600, PingIntervalMs = 60_000 };
        await using var server = await StringeeServer.StartAsync(config);
        await using var lurker = await WireClient.ConnectAsync(server.Url);
        for (var i = 0; i < 8 && lurker.IsOpen; i++)
        {
            await lurker.SendAsync(new Packet(Service.Ping, Json.Obj.Empty));
            await Task.Delay(200);
        }
        Assert.True(await lurker.ClosedAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal("no AUTHEN within the time allowed", lurker.CloseReason);
    }

    [Fact]
    public async Task A_number_out_of_range_is_answered_with_the_requests_id()
    {
        await using var c = await f.Login(U("n"));
        await c.SendRawAsync(Encoding.UTF8.GetBytes("{\"service\":48,\"body\":{\"requestId\":777,\"lastUpdateGreater\":1e400,\"lastUpdateSmaller\":1,\"limit\":1}}"));
        var reply = await c.WaitForReplyAsync(Service.ChatConversationLoad, 777);
        Assert.Equal(1L, reply.Int("r"));
    }

    [Fact]
    public async Task A_transcript_with_header_breaking_text_is_refused_and_no_mail_is_written()
    {
        string a = U("a"), b = U("b");
        await using var alice = await f.Login(a);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true)))).Str("convId");
        var reply = await alice.RequestAsync(Service.SendEmailTranscript, Json.Object(("convId", conv), ("email", "x@example.test\r\nBcc: all@example.test"), ("domain", "shop.example")));
        Assert.Equal(1L, reply.Int("r"));
        var domain = await alice.RequestAsync(Service.SendEmailTranscript, Json.Object(("convId", conv), ("email", "x@example.test"), ("domain", "shop.example\r\nSubject: pwned")));
        Assert.Equal(1L, domain.Int("r"));
        var dir = Path.Combine(f.Outbox, "transcripts");
        Assert.False(Directory.Exists(dir) && Directory.GetFiles(dir, $"*{conv}-*").Length > 0);
    }

    [Fact]
    public async Task Forty_thousand_invented_participants_are_refused_and_the_victim_lists_normally()
    {
        string victim = U("victim"), attacker = U("mallory");
        await using var server = await StringeeServer.StartAsync(TestConfig(Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}")) with { MaxFrameBytes = 1 << 20 });
        await using var mallory = await WireClient.LoginAsync(server, attacker);
        var invented = new Json.Arr(toSeq(Enumerable.Range(0, 40_000).Select(i => (Json)$"x{i}")).Add(victim));
        var reply = await mallory.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", invented), ("isGroup", true)));
        Assert.Equal(21L, reply.Int("r"));
        await using var v = await WireClient.LoginAsync(server, victim);
        var listed = await v.RequestAsync(Service.ChatConversationLoad, Json.Object(("lastUpdateGreater", 0L), ("lastUpdateSmaller", 9007199254740991L), ("limit", 50L)));
        Assert.Equal(0L, listed.Int("r"));
        Assert.Empty(listed.Objs("listConvs"));
    }

    [Fact]
    public async Task An_offline_member_with_a_255_character_id_gets_a_push_record_and_the_group_still_gets_the_message()
    {
        string a = U("a"), c = U("c"), longId = new string('L', 200) + "/../" + U("x") + new string('z', 40);
        await using (var member = await f.Login(longId))
            Assert.Equal(0L, (await member.RequestAsync(Service.PushDeviceTokenRegister, Json.Object(("deviceToken", "tok-1"), ("deviceType", 1L), ("isProduction", true)))).Int("r"));
        await using var alice = await f.Login(a);
        await using var carol = await f.Login(c);
        var conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq<Json>(longId, c))), ("isGroup", true)))).Str("convId");
        var sent = await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "to all")))));
        Assert.Equal(0L, sent.Int("r"));
        await carol.WaitForAsync(Service.ChatMessageFromServer, m => m.Str("convId") == conv && m.Int("type") == 1);
        var push = Directory.GetFiles(Path.Combine(f.Outbox, "push")).Select(File.ReadAllText).Where(t => t.Contains("tok-1", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(push);
        Assert.All(Directory.GetFiles(Path.Combine(f.Outbox, "push")), p => Assert.True(Path.GetFileName(p).Length < 120));
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Directory.GetFiles(Path.Combine(f.Outbox, "push"))[0]));
    }

    [Fact]
    public async Task Anonymous_rest_calls_are_throttled_and_bad_input_is_a_clear_error_not_a_500()
    {
        var config = TestConfig(Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}")) with { RestCallsPerMinute = 5 };
        await using var server = await StringeeServer.StartAsync(config);
        var email = Uri.EscapeDataString(new string('e', 300) + "@example.test");
        using var bad = await Http.GetAsync($"http://127.0.0.1:{server.Port}/v1/chatcustomer/generateticket?key=widget-test&username=x&email={email}");
        Assert.Equal(HttpStatusCode.OK, bad.StatusCode);
        Assert.Equal(2L, ((Json.Obj)Json.Parse(await bad.Content.ReadAsStringAsync())).Int("r"));
        Assert.DoesNotContain(server.Hub.State.Users.Values, _ => true);
        var codes = new List<HttpStatusCode>();
        for (var i = 0; i < 8; i++) codes.Add((await Http.GetAsync($"http://127.0.0.1:{server.Port}/v1/chatcustomer?key=widget-test&username=v")).StatusCode);
        Assert.Contains(HttpStatusCode.TooManyRequests, codes);
    }

    [Fact]
    public async Task A_blank_user_id_cannot_open_a_session()
    {
        await using var c = await WireClient.ConnectAsync(f.Server.Url);
        var token = TokenIssuer.Issue(f.Server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 60, "   ");
        Assert.Equal(7L, (await c.AuthenAsync(token)).Int("r"));
    }

    [Fact]
    public async Task A_server_with_the_public_built_in_secret_refuses_to_listen_beyond_loopback() =>
        await Assert.ThrowsAsync<ArgumentException>(() => StringeeServer.StartAsync(ServerConfig.Default, 0, bind: IPAddress.Any));
}
