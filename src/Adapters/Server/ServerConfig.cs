using System.Text.Json;
using System.Text.Json.Serialization;
using EventSourced.Domain.Server;

namespace EventSourced.Adapters.Server;

/// <summary>An API key in the configuration file.</summary>
public sealed record KeyConfig(string Sid, string Secret);

/// <summary>A live-chat queue in the configuration file.</summary>
public sealed record QueueConfig(string Id, string Name, string[] Agents, long AgentTimeoutMs = 15_000, long QueueTimeoutMs = 120_000);

/// <summary>A live-chat widget (portal) in the configuration file.</summary>
public sealed record WidgetConfig(string Key, string Name, string[] Queues, string Language = "en");

/// <summary>A project in the configuration file.</summary>
public sealed record ProjectConfig(long Id, string Name, KeyConfig[] Keys, WidgetConfig[] Widgets, QueueConfig[] Queues);

/// <summary>
/// The local server's configuration: projects with their API keys, live-chat widgets and queues
/// (agents and timeouts), the ping interval, frame and queue limits, and the outbox folder where
/// transcripts (.eml), tickets and push records are written. Loaded from a JSON file; the
/// built-in default serves local use on loopback.
/// </summary>
public sealed record ServerConfig(ProjectConfig[] Projects, long PingIntervalMs = 30_000, long LivenessGraceMs = 15_000, int MaxFrameBytes = 1 << 20,
    int SendQueueCapacity = 1024, int MaxUnauthenticatedPackets = 5, string Outbox = "outbox")
{
    /// <summary>The secret of the built-in configuration: public, so a server using it binds to loopback only.</summary>
    public const string BuiltInSecret = "local-development-secret-not-for-production";

    /// <summary>Most bytes queued for one connection; a client that lets more pile up is dropped as a slow consumer.</summary>
    public int SendQueueBytes { get; init; } = 8 << 20;
    /// <summary>Most open WebSocket connections; one more is refused with HTTP 503.</summary>
    public int MaxConnections { get; init; } = 5_000;
    /// <summary>Most live sessions of one user.</summary>
    public int MaxSessionsPerUser { get; init; } = 20;
    /// <summary>How long a socket may stay open without a successful AUTHEN (PING or not).</summary>
    public long AuthenTimeoutMs { get; init; } = 10_000;
    /// <summary>Requests one user may make per second, sustained (a token bucket of <see cref="UserBurst"/>).</summary>
    public double UserRequestsPerSecond { get; init; } = 100;
    /// <summary>Requests one user may make at once before the rate applies.</summary>
    public int UserBurst { get; init; } = 400;
    /// <summary>Anonymous REST calls (visitor tokens, tickets, profiles) one address may make per minute.</summary>
    public int RestCallsPerMinute { get; init; } = 60;
    /// <summary>Most participants of a conversation.</summary>
    public int MaxParticipants { get; init; } = 500;
    /// <summary>Most bytes of one message's content.</summary>
    public int MaxMessageBytes { get; init; } = 64 * 1024;
    /// <summary>Most bytes of a listing's answer (conversations, messages); longer listings are cut and paged.</summary>
    public int MaxReplyBytes { get; init; } = 512 * 1024;
    /// <summary>Host names (besides loopback) that REST and WebSocket requests may name in <c>Host</c>.</summary>
    public string[] AllowedHosts { get; init; } = [];
    /// <summary>Web origins (besides loopback pages) that may open a WebSocket; a request without Origin (a native client) is allowed.</summary>
    public string[] AllowedOrigins { get; init; } = [];

    /// <summary>The built-in configuration: one project, one key, one widget with one queue of two agents. For loopback use only.</summary>
    public static ServerConfig Default => new(
    [
        new ProjectConfig(1, "local", [new KeyConfig("SK.local", BuiltInSecret)],
            [new WidgetConfig("widget-local", "Local support", ["support"])],
            [new QueueConfig("support", "Support", ["agent1", "agent2"])]),
    ]);

    /// <summary>Reads a configuration file (camelCase JSON, same shape as <see cref="Default"/>).</summary>
    public static Fin<ServerConfig> Load(string path)
    {
        try
        {
            var config = JsonSerializer.Deserialize(File.ReadAllText(path), ServerConfigJson.Default.ServerConfig);
            return config is null || config.Projects is null or { Length: 0 }
                ? Error.New($"{path}: no projects configured")
                : config;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return Error.New($"{path}: {ex.Message}");
        }
    }

    /// <summary>The configuration as JSON (what <c>--config</c> files look like).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ServerConfigJson.Default.ServerConfig);

    /// <summary>Looks an API key up by SID.</summary>
    public Option<ApiKey> Key(string sid) => Projects.SelectMany(p => p.Keys.Select(k => new ApiKey(k.Sid, k.Secret, p.Id)))
        .FirstOrDefault(k => k.Sid == sid) is { } key ? Some(key) : None;

    /// <summary>The first key of the first project (what <c>token</c> signs with by default).</summary>
    [JsonIgnore]
    public ApiKey DefaultKey => new(Projects[0].Keys[0].Sid, Projects[0].Keys[0].Secret, Projects[0].Id);

    /// <summary>The routing rules the server's decisions use.</summary>
    [JsonIgnore]
    public ServerRules Rules => new(Projects.SelectMany(p => p.Queues).Aggregate(Map<OrdStringOrdinal, string, QueueRules>(),
        (m, q) => m.AddOrUpdate(q.Id, new QueueRules(q.Id, q.Name, toSeq(q.Agents), q.AgentTimeoutMs, q.QueueTimeoutMs))))
    {
        MaxParticipants = MaxParticipants, MaxMessageBytes = MaxMessageBytes, MaxReplyBytes = Math.Min(MaxReplyBytes, MaxFrameBytes),
    };

    /// <summary>True when any key of the configuration is the public built-in one.</summary>
    [JsonIgnore]
    public bool UsesBuiltInSecret => Projects.Any(p => p.Keys.Any(k => k.Secret == BuiltInSecret));

    /// <summary>A widget by key, with its project.</summary>
    public Option<(ProjectConfig Project, WidgetConfig Widget)> Widget(string key) =>
        Projects.SelectMany(p => p.Widgets.Select(w => (p, w))).FirstOrDefault(x => x.w.Key == key) is { p: not null } found ? Some(found) : None;
}

/// <summary>The configuration file's JSON (camelCase, as the web defaults), read and written by generated code.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ServerConfig))]
internal sealed partial class ServerConfigJson : JsonSerializerContext;
