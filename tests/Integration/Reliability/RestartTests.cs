using System.Diagnostics;
using EventSourced.Tests.Integration.Storage;
using Npgsql;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>The shipped server records in PostgreSQL: killed with SIGKILL and started again, it has every acknowledged message, and no id is ever handed out twice.</summary>
public sealed class RestartTests
{
    sealed class ServerProcess : IAsyncDisposable
    {
        readonly Process process;
        public int Port { get; }
        public string Url => $"ws://127.0.0.1:{Port}";

        ServerProcess(Process p, int port)
        {
            process = p;
            Port = port;
        }

        public static async Task<ServerProcess> StartAsync(params string[] args)
        {
            var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), "server", "--port", "0", .. args])
                { RedirectStandardOutput = true, RedirectStandardError = true };
            var p = Process.Start(psi)!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (true)
            {
                var line = await p.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException($"server ended: {await p.StandardError.ReadToEndAsync()}");
                var m = System.Text.RegularExpressions.Regex.Match(line, @"listening on ws://127\.0\.0\.1:(\d+)");
                if (m.Success)
                {
                    _ = p.StandardOutput.ReadToEndAsync();
                    _ = p.StandardError.ReadToEndAsync();
                    return new ServerProcess(p, int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
                }
            }
        }

        public async Task KillAsync()
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        public async ValueTask DisposeAsync()
        {
            if (!process.HasExited) await KillAsync();
            process.Dispose();
        }
    }

    static async Task<WireClient> Login(string url, string user)
    {
        var c = await WireClient.ConnectAsync(url);
        var r = await c.AuthenAsync(TokenIssuer.Issue(ServerConfig.Default.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, user));
        Assert.Equal(0L, r.Int("r"));
        return c;
    }

    [Fact]
    public async Task A_server_killed_with_sigkill_restarts_from_postgres_with_every_acknowledged_message_and_fresh_ids()
    {
        var shared = (await Postgres.Instance).ConnectionString;
        var database = Postgres.Schema();
        await using (var conn = new NpgsqlConnection(shared))
        {
            await conn.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {database}", conn);
            await create.ExecuteNonQueryAsync();
        }
        // --pg with Database= is honoured: this server records in a database of its own.
        var pg = new NpgsqlConnectionStringBuilder(shared) { Database = database }.ConnectionString;
        string a = U("a"), b = U("b");
        string conv;
        var acknowledged = new List<(string Id, long Seq)>();
        await using (var first = await ServerProcess.StartAsync("--pg", pg))
        {
            await using var alice = await Login(first.Url, a);
            conv = (await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(b))), ("isGroup", true)))).Str("convId");
            for (var i = 0; i < 20; i++)
            {
                var r = await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", $"m{i}")))));
                if (r.Int("r") == 0) acknowledged.Add((r.Str("msgId"), r.Int("seq")));
            }
            await first.KillAsync();
        }
        Assert.Equal(20, acknowledged.Count);
        await using var second = await ServerProcess.StartAsync("--pg", pg);
        await using var again = await Login(second.Url, a);
        var loaded = await again.RequestAsync(Service.ChatMessagesLoad, Json.Object(("convId", conv), ("seqGreater", 0L), ("seqSmaller", 1000L), ("limit", 100L), ("sort", "ASC")));
        var back = loaded.Objs("msgs").Filter(m => m.Int("type") == 1).Map(m => (m.Str("id"), m.Int("seq"))).ToList();
        Assert.Equal(acknowledged, back);
        var next = await again.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", "after")))));
        Assert.DoesNotContain(next.Str("msgId"), acknowledged.Select(x => x.Id));
        Assert.Equal(acknowledged[^1].Seq + 1, next.Int("seq"));
        var other = (await again.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>(U("c")))), ("isGroup", true)))).Str("convId");
        Assert.NotEqual(conv, other);
    }

    [Fact]
    public async Task Ids_never_repeat_across_restarts_even_on_a_log_that_does_not_survive_them()
    {
        var ids = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        for (var run = 0; run < 3; run++)
        {
            await using var server = await StringeeServer.StartAsync(TestConfig(Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}")));
            await using var alice = await WireClient.LoginAsync(server, "alice");
            var created = await alice.RequestAsync(Service.ChatCreateConversation, Json.Object(("participants", new Json.Arr(Seq1<Json>("bob"))), ("isGroup", true)));
            var sent = await alice.RequestAsync(Service.ChatMessage, Json.Object(("convId", created.Str("convId")), ("type", 1L), ("message", Json.Object(("content", "x")))));
            Assert.True(ids.Add(created.Str("convId")), $"conversation id {created.Str("convId")} handed out twice");
            Assert.True(ids.Add(sent.Str("msgId")), $"message id {sent.Str("msgId")} handed out twice");
        }
    }
}
