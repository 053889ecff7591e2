using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Tests.Properties.Projections;
using EventSourced.Tests.Properties.Support;
using FsCheck.Fluent;
using Npgsql;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>The async daemon keeps the analytics tables equal to the always-current views.</summary>
public sealed class AnalyticsTests
{
    internal static async Task<long> CountAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    // Rows of one query missing from the other, both ways: none, or a failure that shows them (which side, which rows).
    static async Task AssertSameRowsAsync(string cs, string view, string table)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(
            $"select side, row_to_json(d)::text from ((select 'view only' side, * from (({view}) except all ({table})) v) union all (select 'table only', * from (({table}) except all ({view})) t)) d limit 20", conn);
        var rows = new List<string>();
        await using (var reader = await cmd.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add($"{reader.GetString(0)}: {reader.GetString(1)}");
        Assert.True(rows.Count == 0, $"the table differs from its view:\n{string.Join("\n", rows)}");
    }

    [Fact]
    public async Task The_daemon_tables_equal_the_views_over_generated_sequences_appended_while_it_runs()
    {
        var pg = await Postgres.Instance;
        var schema = Postgres.Schema();
        await using var log = new MartenClientLog(pg.ConnectionString, schema);
        await log.InitializeAsync();
        var batches = Generators.Mixed.Sample(20, 6).ToList();
        await log.StartAnalyticsAsync();
        for (var i = 0; i < batches.Count; i++)
            foreach (var e in (i % 2 == 0 ? Scenario.Canonical : Seq<Event>()) + batches[i])
            {
                var r = Recording.Local($"u{i % 3}", e, 1_000 + i);
                Assert.True((await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r])).IsSucc);
            }
        Assert.True(await log.WaitForAnalyticsAsync(TimeSpan.FromSeconds(60)));

        var cs = pg.ConnectionString;
        Assert.True(await CountAsync(cs, $"select count(*) from {schema}.analytics_messages") > 0);
        Assert.True(await CountAsync(cs, $"select count(*) from {schema}.analytics_edits") > 0);
        await AssertTablesEqualViewsAsync(cs, schema);
        Assert.Equal(3, await CountAsync(cs, $"select count(*) from {schema}.analytics_participants where conv_id = 'c1'"));
    }

    [Fact]
    public async Task The_logs_of_one_database_elect_their_daemons_apart_and_a_second_process_of_one_log_stands_by()
    {
        // Each log's schema has its own hot/cold lock (Marten derives it from the schema-qualified shard name): were it one per
        // database, one log's daemon would keep every other log of the database from ever running its analytics.
        var pg = await Postgres.Instance;
        string a = Postgres.Schema(), b = Postgres.Schema();
        await using var first = new MartenClientLog(pg.ConnectionString, a);
        await using var other = new MartenClientLog(pg.ConnectionString, b);
        await using var standby = new MartenClientLog(pg.ConnectionString, a);
        foreach (var log in new[] { first, other, standby }) await log.InitializeAsync();
        await first.StartAnalyticsAsync();
        await other.StartAnalyticsAsync();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!(await first.RunsAnalyticsAsync() && await other.RunsAnalyticsAsync()) && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(await first.RunsAnalyticsAsync(), $"schema {a} never ran its analytics");
        Assert.True(await other.RunsAnalyticsAsync(), $"schema {b} never ran its analytics while {a} ran its own");
        await standby.StartAnalyticsAsync();
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.False(await standby.RunsAnalyticsAsync(), "two processes ran one log's analytics at once");
        // Stopped cleanly, the active one lets go of the lock, and the standby takes over.
        await first.DisposeAsync();
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (!await standby.RunsAnalyticsAsync() && DateTime.UtcNow < deadline) await Task.Delay(200);
        Assert.True(await standby.RunsAnalyticsAsync(), "the standby did not take over");
    }

    /// <summary>Each analytics table the daemon keeps holds exactly the rows of the view computed from the events.</summary>
    internal static async Task AssertTablesEqualViewsAsync(string cs, string schema)
    {
        await AssertSameRowsAsync(cs, $"select msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by from {schema}.messages",
            $"select msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by from {schema}.analytics_messages");
        await AssertSameRowsAsync(cs, $"select conv_id, msg_id, new_content, received_at, recorded_by from {schema}.edits",
            $"select conv_id, msg_id, new_content, received_at, recorded_by from {schema}.analytics_edits");
        await AssertSameRowsAsync(cs, $"select conv_id, msg_id, received_at, recorded_by from {schema}.revokes",
            $"select conv_id, msg_id, received_at, recorded_by from {schema}.analytics_revokes");
        await AssertSameRowsAsync(cs, $"select conv_id, msg_id, is_pin, received_at, recorded_by from {schema}.pins",
            $"select conv_id, msg_id, is_pin, received_at, recorded_by from {schema}.analytics_pins");
        await AssertSameRowsAsync(cs, $"select conv_id, customer, agent, created_at, accepted_at, ended_at, waiting_ms, handling_ms from {schema}.live_chat_requests",
            $"select conv_id, customer, agent, created_at, accepted_at, ended_at, waiting_ms, handling_ms from {schema}.analytics_live_chat where created_at is not null");
    }
}
