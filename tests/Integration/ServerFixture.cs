namespace EventSourced.Tests.Integration;

/// <summary>A real server on 127.0.0.1 with short timeouts, one per test class; users are unique per test.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public StringeeServer Server { get; private set; } = null!;
    public string Outbox { get; } = Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}");

    public static ServerConfig TestConfig(string outbox) => ServerConfig.Default with
    {
        PingIntervalMs = 1_000,
        LivenessGraceMs = 1_500,
        MaxFrameBytes = 64 * 1024,
        SendQueueCapacity = 256,
        Outbox = outbox,
        Projects =
        [
            new ProjectConfig(1, "test", [new KeyConfig("SK.test", "test-secret")],
                [new WidgetConfig("widget-test", "Test support", ["q-fast", "q-empty"])],
                [
                    new QueueConfig("q-fast", "Fast", ["agentA", "agentB"], AgentTimeoutMs: 3_000, QueueTimeoutMs: 20_000),
                    new QueueConfig("q-empty", "Nobody home", ["agentZ"], AgentTimeoutMs: 500, QueueTimeoutMs: 1_200),
                ]),
        ],
    };

    public async Task InitializeAsync() => Server = await StringeeServer.StartAsync(TestConfig(Outbox));

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        if (Directory.Exists(Outbox)) Directory.Delete(Outbox, true);
    }

    public Task<WireClient> Login(string user) => WireClient.LoginAsync(Server, user);

    public string Token(string user, long ttl = 3600) => TokenIssuer.Issue(Server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), ttl, user);

    /// <summary>A user id unique to the calling test.</summary>
    public static string U(string name) => $"{name}-{Guid.NewGuid().ToString("N")[..6]}";
}
