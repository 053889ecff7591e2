using System.Text;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Tests.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using Npgsql;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>
/// The log's rows are read in one pass (<see cref="StoredRecord.FromRow"/>) instead of through Marten's serializer: every
/// field of every row must come back as the serializer reads it, whatever the strings and bytes hold.
/// </summary>
public sealed class RowReaderTests
{
    static readonly string[] Awkward = ["", "plain", "quote\"d \\ back", "line\r\nbreak\ttab", "\u0001control\u001f", "ü✓ 日本 🎉", "</script>", new string('x', 5_000)];

    static StoredRecord Sample(int i, string text) => new()
    {
        Type = text.Length > 100 ? "client.message-received.v1" : text,
        Data = Json.Object(("packet", Json.Object(("message", Json.Object(("content", text))), ("seq", (long)i)))).ToJsonString(),
        Raw = Encoding.UTF8.GetBytes(text + i).Concat(new byte[] { 0, 255, 10, 13 }).ToArray(),
        ReceivedAt = 1_700_000_000_000 + i,
        ServerTime = i % 2 == 0 ? null : long.MaxValue - i,
        Seq = i % 3 == 0 ? null : i,
        Origin = i % 3,
        Service = i % 2 == 0 ? null : (short)(i % 120),
        RequestId = i % 4 == 0 ? null : -i,
    };

    static object[] Fields(StoredRecord r) =>
        [r.Type, r.Data, Convert.ToBase64String(r.Raw), r.ReceivedAt, r.ServerTime!, r.Seq!, r.Origin, r.Service!, r.RequestId!];

    [Fact]
    public async Task Every_row_reads_back_as_the_serializer_reads_it()
    {
        var schema = Postgres.Schema();
        await using var log = await ClientLogs.OpenAsync(schema);
        // Real appends (their records sealed and encoded as the log stores them)...
        foreach (var (e, i) in Generators.Mixed.Sample(20, 4).SelectMany(x => x).Select((e, i) => (e, i)))
            Assert.True((await log.AppendAsync($"u{i % 3}/session", ExpectedVersion.Any, [Recording.Local($"u{i % 3}", e, 1 + i)])).IsSucc);
        var pg = await Postgres.Instance;
        await using var conn = new NpgsqlConnection(pg.ConnectionString);
        await conn.OpenAsync();
        // ...and records with every awkward string and byte, written by Marten's serializer into a jsonb column.
        await using (var create = new NpgsqlCommand($"create table {schema}.awkward (id int, data jsonb)", conn)) await create.ExecuteNonQueryAsync();
        var samples = Awkward.SelectMany((t, i) => new[] { Sample(i, t), Sample(i + 100, t) }).ToList();
        for (var i = 0; i < samples.Count; i++)
        {
            await using var insert = new NpgsqlCommand($"insert into {schema}.awkward values (@id, @data::jsonb)", conn);
            insert.Parameters.AddWithValue("id", i);
            insert.Parameters.AddWithValue("data", log.Serializer.ToJson(samples[i]));
            await insert.ExecuteNonQueryAsync();
        }
        var compared = 0;
        foreach (var sql in new[] { $"select data from {schema}.mt_events order by seq_id", $"select data from {schema}.awkward order by id" })
        {
            await using var select = new NpgsqlCommand(sql, conn);
            await using var reader = await select.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                Assert.Equal(Fields(log.Serializer.FromJson<StoredRecord>(reader, 0)), Fields(StoredRecord.FromRow(reader, 0)));
                compared++;
            }
        }
        Assert.True(compared > samples.Count + 20, $"{compared} rows compared");
        // The awkward ones read back as written, not only as the serializer reads them.
        await using (var select = new NpgsqlCommand($"select data from {schema}.awkward order by id", conn))
        await using (var reader = await select.ExecuteReaderAsync())
            for (var i = 0; await reader.ReadAsync(); i++) Assert.Equal(Fields(samples[i]), Fields(StoredRecord.FromRow(reader, 0)));
    }

    [Fact]
    public void What_is_not_a_stored_record_is_an_error()
    {
        Assert.Throws<System.Text.Json.JsonException>(() => StoredRecord.FromJson("[1]"u8));
        Assert.Throws<System.Text.Json.JsonException>(() => StoredRecord.FromJson("\"x\""u8));
        // Unknown fields are skipped, whatever they hold.
        Assert.Equal("t", StoredRecord.FromJson("""{"Other":{"a":[1,{"b":2}]},"Type":"t"}"""u8).Type);
    }
}
