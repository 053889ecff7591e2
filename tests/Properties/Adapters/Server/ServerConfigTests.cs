using System.Text.Json;
using EventSourced.Adapters.Server;

namespace EventSourced.Tests.Properties.Adapters.Server;

/// <summary>The configuration file as <c>stringee-es config</c> prints it and <c>--config</c> reads it (generated JSON code).</summary>
public sealed class ServerConfigTests
{
    [Fact]
    public void The_printed_configuration_holds_the_settings_only_and_reads_back_the_same()
    {
        var json = (ServerConfig.Default with { PingIntervalMs = 1_234, MaxConnections = 7, AllowedOrigins = ["https://a.example"] }).ToJson();
        using var doc = JsonDocument.Parse(json);
        var keys = doc.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        // Settings, never what is derived from them (the rules, the default key and whether the built-in secret is used).
        string[] expected = ["allowedHosts", "allowedOrigins", "authenTimeoutMs", "livenessGraceMs", "maxConnections", "maxFrameBytes",
            "maxMessageBytes", "maxParticipants", "maxReplyBytes", "maxSessionsPerUser", "maxUnauthenticatedPackets", "outbox", "pingIntervalMs",
            "projects", "restCallsPerMinute", "sendQueueBytes", "sendQueueCapacity", "userBurst", "userRequestsPerSecond"];
        Assert.Equal(expected, keys);

        var path = Path.Combine(Path.GetTempPath(), $"config-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, json);
            var read = ServerConfig.Load(path).Match(x => x, e => throw new InvalidOperationException(e.Message));
            Assert.Equal(1_234, read.PingIntervalMs);
            Assert.Equal(7, read.MaxConnections);
            Assert.Equal(["https://a.example"], read.AllowedOrigins);
            Assert.Equal(json, read.ToJson());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_file_without_projects_is_refused_with_its_name()
    {
        var path = Path.Combine(Path.GetTempPath(), $"config-{Guid.NewGuid():N}.json");
        try
        {
            File.WriteAllText(path, """{ "projects": [] }""");
            Assert.Equal($"{path}: no projects configured", ServerConfig.Load(path).Match(_ => "", e => e.Message));
            File.WriteAllText(path, """{ "projects": [ """);
            Assert.StartsWith($"{path}: ", ServerConfig.Load(path).Match(_ => "", e => e.Message));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
