using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Evidence;
using EventSourced.Adapters.Storage.Marten;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>
/// Tamper evidence on a real PostgreSQL: a clean log verifies; each kind of tampering done with plain SQL,
/// as a database administrator could, is detected and the event named.
/// </summary>
public sealed class EvidenceTests
{
    static readonly string KeyFile = Path.Combine(Path.GetTempPath(), $"stringee-es-test-key-{Guid.NewGuid():N}.pem");
    static readonly Lazy<TreeHeadSigner> Signer = new(() => TreeHeadSigner.Create(KeyFile).Match(s => s, e => throw new InvalidOperationException(e.Message)));

    internal static Recorded Message(string user, string conv, long seq, string text) =>
        Recording.Local(user, new Event.MessageReceived(new MessageNotice(conv, $"msg-{seq}", "bob", 1_000 + seq, seq, 1, Json.Object(("content", text)), None, None, None, None, None, None)), 1_000 + seq);

    // A log of 3 users' recordings of two conversations, 60 events, tree heads every 16.
    static async Task<(MartenClientLog Log, string Schema, string Cs)> Recorded()
    {
        var pg = await Postgres.Instance;
        var schema = Postgres.Schema();
        var log = new MartenClientLog(pg.ConnectionString, schema, Signer.Value, treeHeadEvery: 16);
        await log.InitializeAsync();
        foreach (var seq in Enumerable.Range(1, 10))
            foreach (var user in new[] { "alice", "bob", "carol" })
                foreach (var conv in new[] { "c1", "c/2" })
                    Assert.True((await log.AppendAsync(Recording.ConversationStream(user, conv), ExpectedVersion.Any, [Message(user, conv, seq, $"hello {seq}")])).IsSucc);
        await log.SignTreeHeadAsync();
        return (log, schema, pg.ConnectionString);
    }

    static async Task Sql(string cs, string sql)
    {
        await using var conn = new Npgsql.NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task An_untouched_log_verifies_whole_per_conversation_and_per_user()
    {
        var (log, _, _) = await Recorded();
        await using var _log = log;
        var all = await log.VerifyAsync();
        Assert.True(all.Ok, string.Join("\n", all.Findings));
        Assert.Equal(60, all.Leaves);
        Assert.Equal(60, all.Checked);
        Assert.Equal(0, all.Unsigned);
        Assert.True(all.Heads.Count >= 4);
        var conv = await log.VerifyAsync(new VerifyScope.Conversation("c/2"));
        Assert.True(conv.Ok, string.Join("\n", conv.Findings));
        Assert.Equal(30, conv.Checked);
        var user = await log.VerifyAsync(new VerifyScope.User("bob"));
        Assert.Equal(20, user.Checked);
    }

    [Fact]
    public async Task A_changed_row_is_named()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        var target = (await All(log))[24];
        await Sql(cs, $"update {schema}.mt_events set data = jsonb_set(data, '{{Data}}', to_jsonb(replace(data->>'Data', ':v1:', ':v1:9'))) where seq_id = {target.Meta.Position}");
        var v = await log.VerifyAsync();
        Assert.False(v.Ok);
        var first = (Finding)v.First;
        Assert.Equal("altered", first.Kind);
        Assert.Equal(target.Meta.Position, first.Position);
        Assert.Equal(target.Meta.Stream, first.Stream);
        Assert.Contains(v.Findings, f => f.Kind == "mismatch");
        // The conversation it belongs to fails too; the other one still verifies.
        var conv = target.Meta.Stream.EndsWith("c1", StringComparison.Ordinal) ? "c1" : "c/2";
        Assert.Contains((await log.VerifyAsync(new VerifyScope.Conversation(conv))).Findings, f => f.Kind == "altered");
        Assert.DoesNotContain((await log.VerifyAsync(new VerifyScope.Conversation(conv == "c1" ? "c/2" : "c1"))).Findings, f => f.Kind == "altered");
    }

    [Fact]
    public async Task A_changed_envelope_field_is_named()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        var target = (await All(log))[3];
        await Sql(cs, $"update {schema}.mt_events set data = jsonb_set(data, '{{ReceivedAt}}', '1') where seq_id = {target.Meta.Position}");
        Assert.Equal(("altered", target.Meta.Position), ((Finding)(await log.VerifyAsync()).First) is var f ? (f.Kind, f.Position) : default);
    }

    [Fact]
    public async Task A_deleted_row_is_named()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        var target = (await All(log))[40];
        await Sql(cs, $"delete from {schema}.mt_events where seq_id = {target.Meta.Position}");
        var first = (Finding)(await log.VerifyAsync()).First;
        Assert.Equal(("removed", target.Meta.Position), (first.Kind, first.Position));
    }

    [Fact]
    public async Task A_deleted_row_and_its_leaf_are_found_by_the_chain_and_the_tree()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        var target = (await All(log))[40];
        await Sql(cs, $"delete from {schema}.mt_events where seq_id = {target.Meta.Position}; delete from {schema}.evidence_leaves where seq_id = {target.Meta.Position}");
        var v = await log.VerifyAsync();
        Assert.Contains(v.Findings, f => f.Kind == "removed" && f.Stream == target.Meta.Stream);
        Assert.Contains(v.Findings, f => f.Kind == "mismatch");
    }

    [Fact]
    public async Task Two_swapped_rows_are_named()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        var events = await All(log);
        var (a, b) = (events[10].Meta.Position, events[30].Meta.Position);
        await Sql(cs, $"""
            update {schema}.mt_events e set data = o.data from {schema}.mt_events o
            where (e.seq_id, o.seq_id) in (({a}, {b}), ({b}, {a}))
            """);
        var v = await log.VerifyAsync();
        Assert.Equal(a, ((Finding)v.First).Position);
        Assert.Contains(v.Findings, f => f.Position == b);
    }

    [Fact]
    public async Task An_inserted_row_is_named()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        await Sql(cs, $"""
            insert into {schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived)
            select nextval('{schema}.mt_events_sequence'), gen_random_uuid(), stream_id, 99, data, type, timestamp, tenant_id, mt_dotnet_type, false
            from {schema}.mt_events order by seq_id limit 1
            """);
        var v = await log.VerifyAsync();
        var first = v.Findings.Filter(f => f.Kind == "inserted").Head;
        Assert.Equal(99, first.Version);
    }

    [Fact]
    public async Task A_forged_tree_head_is_named()
    {
        var (log, schema, cs) = await Recorded();
        await using var _log = log;
        // Rewrite an event and its leaf, rebuild the chain from there, and move the latest head's root to match: only the signature stands in the way.
        await Sql(cs, $"update {schema}.evidence_tree_heads set root_hash = sha256(root_hash) where tree_size = (select max(tree_size) from {schema}.evidence_tree_heads)");
        var v = await log.VerifyAsync();
        Assert.Contains(v.Findings, f => f.Kind == "forged");
        var other = TreeHeadSigner.Create(Path.Combine(Path.GetTempPath(), $"stringee-es-other-key-{Guid.NewGuid():N}.pem")).Match(s => s, e => throw new InvalidOperationException(e.Message));
        Assert.False(other.Verify(v.Heads.Last));
    }

    [Fact]
    public async Task A_log_reopened_and_appended_to_still_verifies_and_imports_are_chained()
    {
        var (log, schema, cs) = await Recorded();
        await log.DisposeAsync();
        await using var again = new MartenClientLog(cs, schema, Signer.Value, treeHeadEvery: 16);
        await again.InitializeAsync();
        Assert.True((await again.AppendAsync(Recording.ConversationStream("alice", "c1"), ExpectedVersion.Any, [Message("alice", "c1", 11, "more")])).IsSucc);
        Assert.True((await again.ImportAsync(Enumerable.Range(12, 40).Select(i => Message("dave", "c1", i, "imported") with
            { Meta = Message("dave", "c1", i, "imported").Meta with { Stream = Recording.ConversationStream("dave", "c1") } }), chunkSize: 15)).IsSucc);
        var v = await again.VerifyAsync();
        Assert.True(v.Ok, string.Join("\n", v.Findings));
        Assert.Equal(101, v.Leaves);
    }

    internal static async Task<List<Recorded>> All(MartenClientLog log)
    {
        var all = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync()) all.Add(r);
        return all;
    }

    [Fact]
    public async Task The_application_role_appends_and_reads_but_cannot_change_or_remove_the_record()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        var name = $"roles_{Guid.NewGuid():N}"[..24];
        await Sql(pg, $"create database {name}");
        var opened = await Database.OpenAsync(new Npgsql.NpgsqlConnectionStringBuilder(pg) { Database = name }.ConnectionString, null);
        await using var db = opened.Match(d => d, e => throw new InvalidOperationException(e.Message));
        Assert.True(db.AppRole.IsSome);
        Assert.NotEqual(new Npgsql.NpgsqlConnectionStringBuilder(db.OwnerConnectionString).Username, new Npgsql.NpgsqlConnectionStringBuilder(db.ConnectionString).Username);
        await using (var log = await db.ClientLogAsync())
        {
            Assert.True((await log.AppendAsync(Recording.ConversationStream("alice", "c1"), ExpectedVersion.Any, [Message("alice", "c1", 1, "hello")])).IsSucc);
            Assert.True((await log.VerifyAsync()).Ok);
            await log.SignTreeHeadAsync();
        }
        await using (var server = await db.ServerLogAsync()) { }
        await using (var compliance = await db.ComplianceLogAsync()) { }
        foreach (var statement in new[]
        {
            "update client_log.mt_events set data = data",
            "delete from client_log.mt_events",
            "truncate client_log.mt_events",
            "delete from client_log.evidence_leaves",
            "update client_log.evidence_leaves set leaf_hash = leaf_hash",
            "update client_log.evidence_tree_heads set root_hash = root_hash",
            "delete from client_log.evidence_tree_heads",
            "insert into client_log.evidence_purged select seq_id, leaf_index, 0, 'x' from client_log.evidence_leaves",
            "delete from server_log.mt_events",
            "update compliance_log.mt_events set data = data",
            "drop table client_log.mt_events",
            // The application makes keys and reads them; only the owner erases one.
            "update erasure.subject_keys set key = null, erased_at = now()",
            "delete from erasure.subject_keys",
            "truncate erasure.subject_keys",
        })
        {
            var refused = await Assert.ThrowsAsync<Npgsql.PostgresException>(() => Sql(db.ConnectionString, statement));
            Assert.True(refused.SqlState is "42501", $"{statement}: {refused.SqlState} {refused.MessageText}");
        }
        // The owner still can (purge and erase run as the owner).
        await Sql(db.OwnerConnectionString, "update client_log.mt_events set data = data where false");
        await Sql(db.OwnerConnectionString, "update erasure.subject_keys set key = key where false");
    }
}
