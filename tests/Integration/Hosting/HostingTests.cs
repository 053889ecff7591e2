using System.Diagnostics;
using EventSourced.Adapters;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Tests.Integration.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace EventSourced.Tests.Integration.Hosting;

// The meters are process-wide: this class runs alone, so the counts it reads are its own.
[CollectionDefinition(nameof(TelemetryCollection), DisableParallelization = true)]
public sealed class TelemetryCollection;

/// <summary>The client, its Marten log and the server as a .NET host composes them, and what they report to OpenTelemetry.</summary>
[Collection(nameof(TelemetryCollection))]
public sealed class HostingTests
{
    static readonly ActivitySource TestSource = new("StringeeEs.Tests");

    [Fact]
    public async Task A_host_runs_the_server_and_a_client_recording_in_the_applications_data_source_and_OpenTelemetry_collects_their_metrics_and_spans()
    {
        var pg = await Postgres.Instance;
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(pg.ConnectionString);
        var schema = Postgres.Schema();
        var metrics = new List<Metric>();
        var spans = new List<Activity>();
        using var meterProvider = Sdk.CreateMeterProviderBuilder().AddMeter(Telemetry.Name).AddInMemoryExporter(metrics).Build();
        using var tracerProvider = Sdk.CreateTracerProviderBuilder().AddSource(Telemetry.Name, TestSource.Name).AddInMemoryExporter(spans).Build();

        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Stringee:RequestTimeout"] = "00:00:05",
            ["Stringee:ConnectTimeout"] = "00:00:05",
            ["Stringee:DeviceId"] = "hosting-test",
        });
        builder.Services.AddSingleton(dataSource);
        var port = FreePort();
        builder.Configuration["Stringee:Servers:0"] = $"ws://127.0.0.1:{port}";
        builder.Services.AddStringeeServer(o => o.Port = port);
        builder.Services.AddStringeeMartenLog(o => o.Schema = schema);
        builder.Services.AddStringeeClient(builder.Configuration.GetSection(StringeeClientOptions.Section));
        using var host = builder.Build();
        await host.StartAsync();
        var server = host.Services.GetRequiredService<StringeeServerService>().Server;
        Assert.Equal(port, server.Port);

        var alice = host.Services.GetRequiredService<StringeeClient>();
        Assert.Equal("hosting-test", host.Services.GetRequiredService<IOptions<StringeeClientOptions>>().Value.DeviceId);
        var log = host.Services.GetRequiredService<MartenClientLog>();
        Assert.Same(dataSource, log.DataSource);
        Assert.Same(log, host.Services.GetRequiredService<IEventLog>());

        var token = TokenIssuer.Issue(server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, "alice");
        await using var bob = new StringeeClient(Clients.Options(server));
        using (var test = TestSource.StartActivity("chat"))
        {
            Assert.True((await alice.ConnectAsync(token)).IsSucc);
            Assert.True((await bob.ConnectAsync(TokenIssuer.Issue(server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, "bob"))).IsSucc);
            var conv = await alice.CreateConversationAsync(Seq1("bob"), new ConversationOptions("hosted", true, false, None, None)).OrThrowAsync();
            var received = bob.Timeline(conv.Id).First(t => t.Count(m => m.Type == 1) == 2, 10);
            var first = await alice.SendTextAsync(conv.Id, "one").OrThrowAsync();
            Assert.Equal("one", first.Text);
            await alice.SendTextAsync(conv.Id, "two").OrThrowAsync();
            Assert.Equal(["one", "two"], (await received).Filter(m => m.Type == 1).Select(m => m.Text).ToArray());
            // Refused requests: the throwing call carries the code, the client's own (negative) or the server's chat r.
            var local = await Assert.ThrowsAsync<StringeeException>(() => alice.DeleteMessageAsync(conv.Id, "no-such-message").OrThrowAsync());
            Assert.True(local.Code < 0, $"{local.Code}: {local.Message}");
            var refused = await Assert.ThrowsAsync<StringeeException>(() => bob.DeleteMessageAsync(conv.Id, first.Id).OrThrowAsync());
            Assert.True(refused.Code > 0, $"{refused.Code}: {refused.Message}");
        }
        await host.StopAsync();
        // The gauges are read while their clients live; then disposing the host disposes the client and drains the log, so no
        // append lands after the counters are read (cumulative, so the second collection has every total).
        meterProvider.ForceFlush();
        var gauges = metrics.Select(m => m.Name).ToList();
        metrics.Clear();
        await bob.DisposeAsync();
        await ((IAsyncDisposable)host).DisposeAsync();
        meterProvider.ForceFlush();
        tracerProvider.ForceFlush();

        long Sum(string name) => metrics.Where(m => m.Name == name).SelectMany(Points).Sum(p => p.Point.GetSumLong());
        Assert.Equal(2, Sum("stringee.chat.messages.sent"));
        Assert.True(Sum("stringee.chat.messages.received") >= 2, "bob received two messages");
        Assert.True(Sum("stringee.requests.rejected") >= 1);
        var appendsHere = metrics.Where(m => m.Name == "stringee.eventlog.appends").SelectMany(Points)
            .Where(p => Tag(p.Point, "db.namespace") == schema).Sum(p => p.Point.GetSumLong());
        var logged = await CountAsync(dataSource, schema);
        Assert.Equal(logged, appendsHere);
        Assert.Contains(metrics, m => m.Name == "stringee.eventlog.append.duration" && m.Unit == "s");
        Assert.Contains(metrics, m => m.Name == "stringee.eventlog.commit.batch_size");
        Assert.Contains("stringee.client.outbox.depth", gauges);
        Assert.Contains("stringee.client.send_queue.depth", gauges);

        var chat = spans.Single(s => s.OperationName == "chat");
        var inChat = spans.Where(s => s.TraceId == chat.TraceId).Select(s => s.OperationName).ToList();
        Assert.Contains("stringee.connect", inChat);
        Assert.Contains("stringee.replay", inChat);
        Assert.True(inChat.Count(n => n == "stringee.request") >= 5, string.Join(", ", inChat));
        Assert.Contains(spans, s => s.OperationName == "stringee.request" && s.Status == ActivityStatusCode.Error);
        Assert.Contains(spans, s => s.OperationName == "stringee.eventlog.append" && (string?)s.GetTagItem("db.namespace") == schema);
        // No span carries the token, whole or in part.
        var signature = token.Split('.')[2];
        Assert.DoesNotContain(spans.SelectMany(s => s.TagObjects), t => t.Value?.ToString()?.Contains(signature, StringComparison.Ordinal) == true);
    }

    [Fact]
    public void Client_options_from_configuration_are_validated_with_a_message_naming_the_bad_value()
    {
        var services = new ServiceCollection();
        services.AddStringeeClient(o => o.Servers = ["http://not-a-websocket", "wss://fine.example"]);
        using var provider = services.BuildServiceProvider();
        var failed = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<StringeeClient>());
        Assert.Contains("invalid Stringee client settings", failed.Message);
        Assert.Contains("http://not-a-websocket", string.Join("; ", new StringeeClientOptions { Servers = ["http://not-a-websocket"] }.Problems()));
        Assert.Throws<ArgumentNullException>(() => services.AddStringeeClient((Action<StringeeClientOptions>)null!));
        Assert.Throws<ArgumentNullException>(() => new StringeeClient(null!));
    }

    static int FreePort()
    {
        using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        probe.Start();
        return ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
    }

    static IEnumerable<(MetricPoint Point, Metric Metric)> Points(Metric m)
    {
        foreach (var p in m.GetMetricPoints()) yield return (p, m);
    }

    static string? Tag(MetricPoint p, string key)
    {
        foreach (var t in p.Tags) if (t.Key == key) return t.Value?.ToString();
        return null;
    }

    static async Task<long> CountAsync(Npgsql.NpgsqlDataSource dataSource, string schema)
    {
        await using var cmd = dataSource.CreateCommand($"select count(*) from {schema}.mt_events");
        return (long)(await cmd.ExecuteScalarAsync())!;
    }
}
