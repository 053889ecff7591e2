using Npgsql;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>What a storage migration did.</summary>
/// <param name="Converted">Events whose JSON text became a jsonb object.</param>
/// <param name="KeptAsText">Events left as text: jsonb cannot hold them as they are, or their text is not the canonical text of their value.</param>
/// <param name="RowsDeleted">Rows written before row ids were encoded, deleted (the client log's; <see cref="MartenClientLog.MigrateRowsAsync"/>).</param>
/// <param name="UsersRewritten">Users whose rows were written again from their events, where any row was deleted.</param>
public sealed record MigrationResult(long Converted, long KeptAsText, long RowsDeleted = 0, int UsersRewritten = 0);

public partial class MartenEventLog<T>
{
    /// <summary>
    /// Moves events stored as JSON text inside a string (every event before objects were stored) to jsonb objects, a batch
    /// per transaction, while the log stays open for appends and reads. An event moves only where its text is exactly the
    /// canonical text of its value, so its leaf hash, chain link and every signed tree head are unchanged (verify gives the
    /// same answer before and after); each converted row is read back in the same transaction and the batch rolls back if
    /// any reads differently. A row changed since it was read is left for the next run. Running it again does nothing more.
    /// </summary>
    public async Task<MigrationResult> MigrateStorageAsync(int batchSize = 5_000, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        batchSize = Math.Max(1, batchSize);
        long converted = 0, kept = 0, after = 0;
        while (true)
        {
            var (read, last, movedNow, keptNow) = await InTransactionAsync((conn, _) => MigrateBatchAsync(conn, after, batchSize, ct), ct).ConfigureAwait(false);
            converted += movedNow;
            kept += keptNow;
            progress?.Report(converted + kept);
            if (read < batchSize) break;
            after = last;
        }
        LogMigrated(Logger, schema, converted, kept);
        return new MigrationResult(converted, kept);
    }

    async Task<(int Read, long Last, long Converted, long Kept)> MigrateBatchAsync(NpgsqlConnection conn, long after, int size, CancellationToken ct)
    {
        var ids = new List<long>(size);
        var texts = new List<string>(size);
        int read = 0, kept = 0;
        long last = after;
        await using (var select = new NpgsqlCommand(
            $"select seq_id, data from {schema}.mt_events where seq_id > @after and type <> 'tombstone' and jsonb_typeof(data->'Data') = 'string' order by seq_id limit @n", conn))
        {
            select.Parameters.AddWithValue("after", after);
            select.Parameters.AddWithValue("n", size);
            await using var reader = await select.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                read++;
                last = reader.GetInt64(0);
                var record = StoredRecord.FromRow(reader, 1);
                if (!record.StoredAsObject)
                {
                    kept++;
                    continue;
                }
                ids.Add(last);
                texts.Add(record.Data);
            }
        }
        if (ids.Count == 0) return (read, last, 0, kept);
        var expected = new Dictionary<long, string>(ids.Count);
        for (var i = 0; i < ids.Count; i++) expected[ids[i]] = texts[i];
        var converted = 0;
        await using (var update = new NpgsqlCommand(
            // The text is compared again in the update: a row someone changed after it was read stays as it is.
            $"update {schema}.mt_events e set data = jsonb_set(e.data, '{{Data}}', u.text::jsonb) from unnest(@ids, @texts) as u(id, text) "
            + "where e.seq_id = u.id and jsonb_typeof(e.data->'Data') = 'string' and e.data->>'Data' = u.text returning e.seq_id, e.data", conn))
        {
            update.Parameters.AddWithValue("ids", ids.ToArray());
            update.Parameters.AddWithValue("texts", texts.ToArray());
            await using var reader = await update.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var position = reader.GetInt64(0);
                var back = StoredRecord.FromRow(reader, 1);
                // What the leaf covers must not move: the object must read back as the very text it replaced.
                if (!back.StoredAsObject || !string.Equals(back.Data, expected[position], StringComparison.Ordinal))
                    throw new InvalidDataException($"{schema}: event {position} would read differently as a jsonb object; nothing of this batch was migrated");
                converted++;
            }
        }
        return (read, last, converted, kept + ids.Count - converted);
    }
}
