using EventSourced.Domain.Compliance;
using Npgsql;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// Removes what retention expired from a log, as the schema's owner: the events' rows and every row derived from their
/// conversations (the read-model documents and the analytics tables), in one transaction. Each removed event's leaf stays
/// in the tree and is listed in <c>evidence_purged</c>, so <c>verify</c> still recomputes every tree head.
/// </summary>
public static class Purger
{
    /// <summary>Removes the events at <paramref name="positions"/> and the derived rows of <paramref name="convIds"/>; the number of event rows removed.</summary>
    public static async Task<long> RemoveAsync(string connectionString, string schema, IReadOnlyList<long> positions, IReadOnlyList<string> convIds, string reason, long now,
        CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var mark = new NpgsqlCommand($"""
            insert into {schema}.evidence_purged (seq_id, leaf_index, purged_at, reason)
            select seq_id, leaf_index, @now, @reason from {schema}.evidence_leaves where seq_id = any(@p)
            on conflict (seq_id) do nothing
            """, conn, tx))
        {
            mark.Parameters.AddWithValue("now", now);
            mark.Parameters.AddWithValue("reason", reason);
            mark.Parameters.AddWithValue("p", positions.ToArray());
            await mark.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        long removed;
        await using (var delete = new NpgsqlCommand($"delete from {schema}.mt_events where seq_id = any(@p)", conn, tx))
        {
            delete.Parameters.AddWithValue("p", positions.ToArray());
            removed = await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        var derived = new List<string>();
        await using (var tables = new NpgsqlCommand("""
            select c.table_name from information_schema.columns c join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
            where c.table_schema = @s and c.column_name = 'conv_id' and t.table_type = 'BASE TABLE' order by 1
            """, conn, tx))
        {
            tables.Parameters.AddWithValue("s", schema);
            await using var reader = await tables.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) derived.Add(reader.GetString(0));
        }
        foreach (var table in derived)
        {
            await using var delete = new NpgsqlCommand($"delete from {schema}.\"{table.Replace("\"", "\"\"", StringComparison.Ordinal)}\" where conv_id = any(@c)", conn, tx);
            delete.Parameters.AddWithValue("c", convIds.ToArray());
            await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return removed;
    }

    /// <summary>The positions marked purged in the log that no recorded purge names: a removal nobody recorded.</summary>
    public static async Task<Seq<long>> UnrecordedAsync(string connectionString, string schema, Seq<PositionRange> recorded, CancellationToken ct = default)
    {
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"select seq_id from {schema}.evidence_purged order by seq_id", conn);
        var found = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var ranges = recorded.OrderBy(r => r.From).ToArray();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var seq = reader.GetInt64(0);
            if (!ranges.Any(r => r.From <= seq && seq <= r.To)) found.Add(seq);
        }
        return toSeq(found);
    }
}
