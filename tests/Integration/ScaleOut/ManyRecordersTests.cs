using EventSourced.Adapters.Server;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using EventSourced.Tests.Integration.Storage;
using Npgsql;

namespace EventSourced.Tests.Integration.ScaleOut;

/// <summary>
/// A recording lab on one PostgreSQL: three <c>record</c> processes (two of them the same agent on two devices, so two
/// processes write the same streams) and two <c>analytics</c> processes. The active daemon is killed; the standby takes
/// over; the analytics tables equal the views; every stream's versions, the positions, the tree and the rows stay exact.
/// </summary>
public sealed class ManyRecordersTests
{
    static readonly TimeSpan Within = TimeSpan.FromSeconds(60);

    static async Task<string> FreshDatabaseAsync()
    {
        var shared = (await Postgres.Instance).ConnectionString;
        var name = $"lab_{Guid.NewGuid():N}"[..20];
        await using (var admin = new NpgsqlConnection(shared))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"create database {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(shared) { Database = name }.ConnectionString;
    }

    // How many text messages each user's recording holds (a user recorded on two devices holds each one twice).
    static async Task<Dictionary<string, long>> ReceivedByUserAsync(string cs, string conv)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            "select user_id, count(*) from client_log.recorded where event_type = 'client.message-received.v1' and event->'packet'->>'convId' = @conv "
            + "and (event->'packet'->>'type')::int = 1 group by 1", conn);
        cmd.Parameters.AddWithValue("conv", conv);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await cmd.ExecuteReaderAsync();
        while (await reader.ReadAsync()) counts[reader.GetString(0)] = reader.GetInt64(1);
        return counts;
    }

    static async Task WaitForReceivedAsync(string cs, string conv, Dictionary<string, long> expected)
    {
        var deadline = DateTime.UtcNow + Within;
        Dictionary<string, long> now;
        while (true)
        {
            now = await ReceivedByUserAsync(cs, conv);
            if (expected.All(kv => now.GetValueOrDefault(kv.Key) >= kv.Value) || DateTime.UtcNow > deadline) break;
            await Task.Delay(200);
        }
        Assert.Equal(expected.OrderBy(kv => kv.Key).ToList(), now.OrderBy(kv => kv.Key).ToList());
    }

    static async Task<string> SendAsync(WireClient from, string conv, int count, string tag)
    {
        var last = "";
        for (var i = 0; i < count; i++)
        {
            var r = await from.RequestAsync(Service.ChatMessage, Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", $"{tag} {i}")))));
            Assert.Equal(0L, r.Int("r"));
            last = r.Str("msgId");
        }
        return last;
    }

    [Fact]
    public async Task Three_recorders_and_two_daemons_on_one_database_keep_every_stream_exact_and_the_analytics_survive_the_active_daemon_dying()
    {
        var cs = await FreshDatabaseAsync();
        var outbox = Path.Combine(Path.GetTempPath(), $"stringee-es-outbox-{Guid.NewGuid():N}");
        await using var server = await StringeeServer.StartAsync(ServerConfig.Default with { Outbox = outbox });
        string agent1 = "agent-one", agent2 = "agent-two";

        var recorders = new List<CliProcess>();
        var daemons = new List<CliProcess>();
        async Task<CliProcess> RecordAsync(string name, string user)
        {
            var p = CliProcess.Start(name, "record", "--server", server.Url, "--user", user, "--pg", cs);
            recorders.Add(p);
            await p.WaitForAsync("recording", Within);
            return p;
        }
        try
        {
            // The first recorder applies the schema; the others find it (they would also wait for it, by its advisory lock).
            var first = await RecordAsync("recorder 1", agent1);
            await RecordAsync("recorder 3", agent2);
            daemons.Add(CliProcess.Start("daemon A", "analytics", "--pg", cs));
            daemons.Add(CliProcess.Start("daemon B", "analytics", "--pg", cs));

            await using var customer = await WireClient.LoginAsync(server, "customer");
            await using var second = await WireClient.LoginAsync(server, agent2);
            var conv = (await customer.RequestAsync(Service.ChatCreateConversation,
                Json.Object(("participants", new Json.Arr(Seq<Json>(agent1, agent2))), ("isGroup", true), ("name", "lab")))).Str("convId");
            var opening = await SendAsync(customer, conv, 20, "before");
            await WaitForReceivedAsync(cs, conv, new() { [agent1] = 20, [agent2] = 20 });

            // agent-one's second device starts recording late: what it remembers of agent-one lacks what the first device
            // recorded, so each of its transactions must catch up from the log before it writes agent-one's rows.
            await RecordAsync("recorder 2", agent1);
            // Two senders at once: the three recorders append to the shared database concurrently, two of them to the same streams.
            await Task.WhenAll(SendAsync(customer, conv, 20, "customer"), SendAsync(second, conv, 20, "agent"));
            Assert.True((await customer.RequestAsync(Service.ChatPinMessage, Json.Object(("convId", conv), ("msgId", opening), ("isPin", true)))).Bool("isPin"));
            await customer.RequestAsync(Service.ChatEditMessage, Json.Object(("convId", conv), ("msgId", opening), ("newContent", Json.Object(("content", "edited")))));
            // agent-one is now recorded by two processes (every message twice); agent-two by one (its own sends come back to it too).
            await WaitForReceivedAsync(cs, conv, new() { [agent1] = 20 + 2 * 40, [agent2] = 60 });

            // One daemon is active, one stands by; the active one dies without a word (SIGKILL): its connection and lock go with it.
            var deadline = DateTime.UtcNow + Within;
            CliProcess? active = null;
            while (active is null && DateTime.UtcNow < deadline)
            {
                active = daemons.FirstOrDefault(d => d.Output.Contains("active:", StringComparison.Ordinal));
                await Task.Delay(200);
            }
            Assert.True(active is not null, $"no daemon became active:\n{string.Join("\n", daemons.Select(d => d.Output))}");
            var standby = daemons.Single(d => d != active);
            Assert.DoesNotContain("active:", standby.Output, StringComparison.Ordinal);
            await active.KillAsync();
            await standby.WaitForAsync("active:", Within);

            // The first device dies too: agent-one's last rows are written by the late one alone.
            await first.KillAsync();
            await SendAsync(customer, conv, 30, "after");
            await WaitForReceivedAsync(cs, conv, new() { [agent1] = 20 + 2 * 40 + 30, [agent2] = 90 });

            await using var log = new MartenClientLog(cs, "client_log", applySchema: false);
            await log.InitializeAsync();
            Assert.True(await log.WaitForAnalyticsAsync(Within), "the standby did not bring the analytics tables up to date");
            await AnalyticsTests.AssertTablesEqualViewsAsync(cs, "client_log");
            Assert.Equal(90, await AnalyticsTests.CountAsync(cs, $"select count(*) from client_log.analytics_messages where conv_id = '{conv}' and msg_type = 1"));

            // Every stream's versions run 1..n with no gap or repeat, and its stream row says n; the tree holds every event once.
            Assert.Equal(0, await AnalyticsTests.CountAsync(cs,
                "select count(*) from (select stream_id, count(*) n, min(version) lo, max(version) hi from client_log.mt_events where type <> 'tombstone' group by 1) e "
                + "left join client_log.mt_streams s on s.id = e.stream_id where e.lo <> 1 or e.hi <> e.n or s.version is distinct from e.hi"));
            var events = await AnalyticsTests.CountAsync(cs, "select count(*) from client_log.mt_events where type <> 'tombstone'");
            Assert.Equal(events, await AnalyticsTests.CountAsync(cs, "select size from client_log.evidence_frontier where id = 1"));
            var verified = await log.VerifyAsync();
            Assert.True(verified.Ok, string.Join("\n", verified.Findings));

            // The rows of the agent two processes recorded are the fold of everything both wrote, in the log's order.
            var all = new List<Recorded>();
            await foreach (var r in log.ReadAllAsync()) all.Add(r);
            foreach (var user in new[] { agent1, agent2 })
                await ClientLogs.AssertRowsEqualFoldAsync(log, user, all.Where(r => Recording.UserOfStream(r.Meta.Stream) == Some(user)).Select(r => r.Event));
        }
        finally
        {
            foreach (var p in recorders.Concat(daemons)) await p.DisposeAsync();
            if (Directory.Exists(outbox)) Directory.Delete(outbox, true);
        }
    }
}
