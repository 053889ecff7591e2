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
    static async Task<long> CountAsync(string cs, string sql)
    {
        await using var conn = new NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        return (long)(await cmd.ExecuteScalarAsync())!;
    }

    // Rows of one query missing from the other, both ways.
    static Task<long> DifferenceAsync(string cs, string a, string b) =>
        CountAsync(cs, $"select count(*) from (({a} except all {b}) union all ({b} except all {a})) d");

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
        Assert.Equal(0, await DifferenceAsync(cs, $"select msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by from {schema}.messages",
            $"select msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by from {schema}.analytics_messages"));
        Assert.Equal(0, await DifferenceAsync(cs, $"select conv_id, msg_id, new_content, received_at, recorded_by from {schema}.edits",
            $"select conv_id, msg_id, new_content, received_at, recorded_by from {schema}.analytics_edits"));
        Assert.Equal(0, await DifferenceAsync(cs, $"select conv_id, msg_id, received_at, recorded_by from {schema}.revokes",
            $"select conv_id, msg_id, received_at, recorded_by from {schema}.analytics_revokes"));
        Assert.Equal(0, await DifferenceAsync(cs, $"select conv_id, msg_id, is_pin, received_at, recorded_by from {schema}.pins",
            $"select conv_id, msg_id, is_pin, received_at, recorded_by from {schema}.analytics_pins"));
        Assert.Equal(0, await DifferenceAsync(cs, $"select conv_id, customer, agent, created_at, accepted_at, ended_at, waiting_ms, handling_ms from {schema}.live_chat_requests",
            $"select conv_id, customer, agent, created_at, accepted_at, ended_at, waiting_ms, handling_ms from {schema}.analytics_live_chat where created_at is not null"));
        Assert.Equal(3, await CountAsync(cs, $"select count(*) from {schema}.analytics_participants where conv_id = 'c1'"));
    }
}
