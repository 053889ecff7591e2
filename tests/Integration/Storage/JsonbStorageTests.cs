using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Evidence;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Tests.Properties.Support;
using FsCheck.Fluent;
using Npgsql;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>
/// Events stored as jsonb objects on a real PostgreSQL: what PostgreSQL keeps reads back as the text the leaf hash covers,
/// and a log written with every event as text (the format before) migrates in place with its evidence unchanged.
/// </summary>
public sealed class JsonbStorageTests
{
    static readonly string KeyFile = Path.Combine(Path.GetTempPath(), $"stringee-es-test-key-{Guid.NewGuid():N}.pem");
    static readonly Lazy<TreeHeadSigner> Signer = new(() => TreeHeadSigner.Create(KeyFile).Match(s => s, e => throw new InvalidOperationException(e.Message)));

    static async Task<NpgsqlConnection> OpenAsync()
    {
        var conn = new NpgsqlConnection((await Postgres.Instance).ConnectionString);
        await conn.OpenAsync();
        return conn;
    }

    static async Task<long> CountAsync(NpgsqlConnection conn, string sql)
    {
        await using var cmd = new NpgsqlCommand(sql, conn);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    // jsonb keeps its own key order and number text and refuses U+0000: every value, written by the log's serializer and
    // read back from PostgreSQL, must give the canonical text it was written from, and be an object exactly when it can be.
    [Fact]
    public async Task Every_value_reads_back_from_jsonb_as_the_text_its_leaf_covers()
    {
        var schema = Postgres.Schema();
        await using var log = await ClientLogs.OpenAsync(schema);
        await using var conn = await OpenAsync();
        await using (var create = new NpgsqlCommand($"create table {schema}.shapes (id int primary key, data jsonb not null)", conn)) await create.ExecuteNonQueryAsync();
        var texts = Generators.AwkwardJson(4).Sample(400, 4).Select(v => Json.Object(("packet", v)).ToJsonString()).ToList();
        var records = texts.Select(t => new StoredRecord { Type = "t", Data = t }).ToList();
        for (var i = 0; i < records.Count; i++)
        {
            await using var insert = new NpgsqlCommand($"insert into {schema}.shapes values (@id, @data::jsonb)", conn);
            insert.Parameters.AddWithValue("id", i);
            insert.Parameters.AddWithValue("data", log.Serializer.ToJson(records[i]));
            await insert.ExecuteNonQueryAsync();
        }
        await using var select = new NpgsqlCommand($"select id, jsonb_typeof(data->'Data'), data from {schema}.shapes order by id", conn);
        await using var reader = await select.ExecuteReaderAsync();
        int objects = 0, strings = 0;
        while (await reader.ReadAsync())
        {
            var i = reader.GetInt32(0);
            var back = StoredRecord.FromRow(reader, 2);
            Assert.Equal(texts[i], back.Data);
            Assert.Equal(records[i].StoredAsObject ? "object" : "string", reader.GetString(1));
            if (records[i].StoredAsObject) objects++;
            else strings++;
        }
        Assert.True(objects > 100 && strings > 10, $"{objects} objects, {strings} strings");
    }

    static string Shown(Recorded r) => r.Event switch
    {
        Event.MessageReceived m => m.Packet.Message["content"].Map(c => ((Json.Str)c).Value).IfNone(""),
        Event.Disconnected d => d.Reason,
        _ => "",
    };

    [Fact]
    public async Task A_log_stored_as_text_migrates_to_objects_with_the_same_leaves_heads_and_events()
    {
        var pg = await Postgres.Instance;
        var schema = Postgres.Schema();
        await using var log = new MartenClientLog(pg.ConnectionString, schema, Signer.Value, treeHeadEvery: 8);
        await log.InitializeAsync();
        // Message contents are personal (sealed in the row, so a U+0000 in one is inside its token); one event's reason holds
        // U+0000 in plain text, which jsonb cannot hold in an object.
        var texts = Enumerable.Range(1, 30).Select(i => i == 16 ? "nul\u0000reason" : $"hello {i} \"ü\" \n\u0000").ToList();
        for (var i = 0; i < texts.Count; i++)
        {
            var user = i % 2 == 0 ? "alice" : "bob";
            var record = i == 16 ? Recording.Local(user, new Event.Disconnected(texts[i], false), 2_000) : EvidenceTests.Message(user, "c/1", i + 1, texts[i]);
            var appended = await log.AppendAsync(Recording.ConversationStream(user, "c/1"), ExpectedVersion.Any, [record]);
            Assert.True(appended.IsSucc, appended.Match(_ => "", e => e.Message));
        }
        await log.SignTreeHeadAsync();
        await using var conn = await OpenAsync();
        Assert.Equal(29, await CountAsync(conn, $"select count(*) from {schema}.mt_events where jsonb_typeof(data->'Data') = 'object'"));
        var live = await EvidenceTests.All(log);
        Assert.Equal(texts, live.Select(Shown));

        // The format before: every event's text in a string, byte for byte what its leaf covers.
        var rows = new List<(long Id, string Text)>();
        await using (var read = new NpgsqlCommand($"select seq_id, data from {schema}.mt_events order by seq_id", conn))
        await using (var reader = await read.ExecuteReaderAsync())
            while (await reader.ReadAsync()) rows.Add((reader.GetInt64(0), StoredRecord.FromRow(reader, 1).Data));
        foreach (var (id, text) in rows)
        {
            await using var back = new NpgsqlCommand($"update {schema}.mt_events set data = jsonb_set(data, '{{Data}}', to_jsonb(@text::text)) where seq_id = @id", conn);
            back.Parameters.AddWithValue("text", text);
            back.Parameters.AddWithValue("id", id);
            await back.ExecuteNonQueryAsync();
        }
        Assert.Equal(30, await CountAsync(conn, $"select count(*) from {schema}.mt_events where jsonb_typeof(data->'Data') = 'string'"));
        var before = await log.VerifyAsync();
        Assert.True(before.Ok, string.Join("\n", before.Findings));
        Assert.Equal(live, await EvidenceTests.All(log));
        // The analytics views read both shapes, and a message with U+0000 no longer breaks a query over them.
        Assert.Equal(30, await CountAsync(conn, $"select count(*) from {schema}.recorded where jsonb_typeof(event) = 'object'"));

        var migrated = await log.MigrateStorageAsync(batchSize: 7);
        Assert.Equal(new MigrationResult(29, 1), migrated);
        Assert.Equal(29, await CountAsync(conn, $"select count(*) from {schema}.mt_events where jsonb_typeof(data->'Data') = 'object'"));
        var after = await log.VerifyAsync();
        Assert.True(after.Ok, string.Join("\n", after.Findings));
        Assert.Equal(before.Checked, after.Checked);
        Assert.Equal(before.Heads.Map(h => (h.Size, Convert.ToHexString(h.Root))), after.Heads.Map(h => (h.Size, Convert.ToHexString(h.Root))));
        Assert.Equal(live, await EvidenceTests.All(log));
        Assert.Equal(30, await CountAsync(conn, $"select count(*) from {schema}.recorded where jsonb_typeof(event) = 'object'"));
        // Once is enough: what stays text is what must.
        Assert.Equal(new MigrationResult(0, 1), await log.MigrateStorageAsync());

        // An event altered inside its object (as a database administrator could) is named by verify.
        var target = rows[4].Id;
        await using (var alter = new NpgsqlCommand($"update {schema}.mt_events set data = jsonb_set(data, '{{Data,packet,seq}}', '99') where seq_id = {target}", conn))
            Assert.Equal(1, await alter.ExecuteNonQueryAsync());
        var tampered = await log.VerifyAsync();
        Assert.Equal(Some(("altered", target)), tampered.First.Map(f => (f.Kind, f.Position)));
    }
}
