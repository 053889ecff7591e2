using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>What a history import wrote.</summary>
/// <param name="Count">Records imported.</param>
/// <param name="FirstPosition">Global position of the first (0 when nothing was imported).</param>
/// <param name="LastPosition">Global position of the last (0 when nothing was imported).</param>
public sealed record ImportResult(long Count, long FirstPosition, long LastPosition);

public partial class MartenEventLog<T>
{
    /// <summary>
    /// History import: appends each record to its own stream (<c>Meta.Stream</c>), in the order given,
    /// in transactions of up to <paramref name="chunkSize"/> records written with binary COPY into
    /// Marten's own tables (positions from Marten's sequence, versions after each stream's current
    /// one), together with whatever the log keeps beside its events (<see cref="BesideImportAsync"/>).
    /// Live appends wait between chunks, never inside one; the feed emits each chunk once committed.
    /// A record without a stream fails the import before anything of its chunk is written; a chunk
    /// that fails leaves every earlier chunk imported and says how far it got.
    /// </summary>
    public async Task<Fin<ImportResult>> ImportAsync(IEnumerable<T> records, int chunkSize = 50_000, CancellationToken ct = default)
    {
        chunkSize = Math.Max(1, chunkSize);
        long count = 0, first = 0, last = 0;
        foreach (var chunk in records.Chunk(chunkSize))
        {
            var unnamed = System.Array.FindIndex(chunk, r => string.IsNullOrEmpty(r.Meta.Stream));
            var written = unnamed >= 0
                ? Error.New(EventLogErrors.ImportStopped, $"record {count + unnamed + 1} has no stream")
                : await ImportChunkAsync(chunk, ct).ConfigureAwait(false);
            if (written.IsFail)
            {
                var reason = written.Match(_ => "", e => e.Message);
                return Error.New(EventLogErrors.ImportStopped, $"import stopped after {count} records: {reason}");
            }
            var stored = (T[])written;
            if (first == 0) first = stored[0].Meta.Position;
            last = stored[^1].Meta.Position;
            count += stored.Length;
        }
        return new ImportResult(count, first, last);
    }

    /// <summary>
    /// What the log keeps beside an import chunk's events (a projection's rows): computed while the
    /// events are being copied (<paramref name="stored"/> carry their positions and versions, in plaintext), then
    /// written by the returned function in the same transaction, once the copy is done (sealing what it keeps).
    /// </summary>
    protected virtual Task<Func<NpgsqlConnection, CancellationToken, Task>> BesideImportAsync(IReadOnlyList<T> stored, CancellationToken ct) =>
        Task.FromResult<Func<NpgsqlConnection, CancellationToken, Task>>((_, _) => Task.CompletedTask);

    async Task<Fin<T[]>> ImportChunkAsync(T[] chunk, CancellationToken ct)
    {
        await writing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            T[] stored;
            try
            {
                (stored, var size) = await InTransactionAsync(async (conn, _) =>
                {
                    var frontier = WithoutEvidence ? default : await ledger.LockAsync(conn, ct).ConfigureAwait(false);
                    Locked(frontier);
                    var (reserved, now) = await ReserveAsync(conn, chunk, ct).ConfigureAwait(false);
                    var records = reserved.Select(codec.Store).ToArray();
                    if (sealer is not null && !WithoutEvidence) await sealer.SealAsync(conn, reserved.Select((r, i) => (r.Meta.Stream, records[i])).ToList(), ct).ConfigureAwait(false);
                    // Two cores' worth: the fold of what goes beside the events runs while PostgreSQL takes the copy.
                    // Both finish (or fail) before anything else happens, so a failed copy never races the fold's bookkeeping.
                    // The leaf hashes too (pure CPU over what is being copied): only the chain links and the tree wait for the copy.
                    var items = reserved.Select((r, i) => new Ledger.Item(r.Meta.Position, r.Meta.Stream, r.Meta.Version, records[i])).ToList();
                    var beside = Task.Run(() => BesideImportAsync(reserved, ct), ct);
                    var leaves = WithoutEvidence ? Task.FromResult(System.Array.Empty<byte[]>()) : Task.Run(() => Ledger.Leaves(items), ct);
                    await Task.WhenAll(CopyEventsAsync(conn, reserved, records, now, ct), beside, leaves).ConfigureAwait(false);
                    await (await beside.ConfigureAwait(false))(conn, ct).ConfigureAwait(false);
                    if (!WithoutEvidence) await ledger.AppendAsync(conn, frontier!, items, await leaves.ConfigureAwait(false), ct).ConfigureAwait(false);
                    return (reserved, frontier is null ? -1 : frontier.Size + items.Count);
                }, ct).ConfigureAwait(false);
                treeAfterOurs = size;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogImportStopped(Logger, schema, ex);
                return Error.New(EventLogErrors.ImportStopped, ex.GetBaseException().Message);
            }
            await publish.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                foreach (var r in stored) Emit(r);
            }
            finally
            {
                publish.Release();
            }
            return stored;
        }
        finally
        {
            writing.Release();
        }
    }

    // Each record's position and version, with the streams' versions moved on (locked until commit).
    async Task<(T[] Stored, DateTime Now)> ReserveAsync(NpgsqlConnection conn, T[] chunk, CancellationToken ct)
    {
        // Each stream's current version (locked until commit), the transaction's time, and one position per record.
        var streams = chunk.Select(r => r.Meta.Stream).Distinct(StringComparer.Ordinal).ToArray();
        var versions = new Dictionary<string, long>(streams.Length, StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand($"select id, version from {schema}.mt_streams where id = any(@ids) for update", conn))
        {
            read.Parameters.AddWithValue("ids", streams);
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) versions[reader.GetString(0)] = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
        }
        var positions = new long[chunk.Length];
        DateTime now;
        await using (var reserve = new NpgsqlCommand($"select now(), nextval('{schema}.mt_events_sequence') from generate_series(1, @n)", conn))
        {
            reserve.Parameters.AddWithValue("n", chunk.Length);
            await using var reader = await reserve.ExecuteReaderAsync(ct).ConfigureAwait(false);
            var i = 0;
            now = default;
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                now = reader.GetDateTime(0);
                positions[i++] = reader.GetInt64(1);
            }
        }
        var stored = new T[chunk.Length];
        for (var i = 0; i < chunk.Length; i++)
        {
            var r = chunk[i];
            var version = versions[r.Meta.Stream] = versions.GetValueOrDefault(r.Meta.Stream) + 1;
            stored[i] = r.WithMeta(r.Meta with { Position = positions[i], Version = version });
        }
        // Streams before events (the events reference them).
        await using (var upsert = new NpgsqlCommand(
            $"insert into {schema}.mt_streams (id, version, timestamp, created) select s.id, s.version, @now, @now from unnest(@ids, @versions) as s(id, version) "
            + "on conflict (id) do update set version = excluded.version, timestamp = excluded.timestamp", conn))
        {
            upsert.Parameters.AddWithValue("now", now);
            upsert.Parameters.AddWithValue("ids", streams);
            upsert.Parameters.AddWithValue("versions", streams.Select(s => versions[s]).ToArray());
            await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }
        return (stored, now);
    }

    async Task CopyEventsAsync(NpgsqlConnection conn, T[] stored, StoredRecord[] records, DateTime now, CancellationToken ct)
    {
        var serializer = store.Options.Serializer();
        var dotnetType = $"{typeof(StoredRecord).FullName}, {typeof(StoredRecord).Assembly.GetName().Name}";
        await using (var copy = await conn.BeginBinaryImportAsync(
            $"copy {schema}.mt_events (seq_id, id, stream_id, version, data, type, timestamp, tenant_id, mt_dotnet_type, is_archived) from stdin (format binary)", ct).ConfigureAwait(false))
        {
            for (var i = 0; i < stored.Length; i++)
            {
                var r = stored[i];
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(r.Meta.Position, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct).ConfigureAwait(false);
                await copy.WriteAsync(r.Meta.Stream, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                await copy.WriteAsync(r.Meta.Version, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await copy.WriteAsync(serializer.ToJson(records[i]), NpgsqlDbType.Jsonb, ct).ConfigureAwait(false);
                await copy.WriteAsync(StoredRecord.EventTypeName, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                await copy.WriteAsync(now, NpgsqlDbType.TimestampTz, ct).ConfigureAwait(false);
                await copy.WriteAsync(JasperFx.StorageConstants.DefaultTenantId, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                await copy.WriteAsync(dotnetType, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                await copy.WriteAsync(false, NpgsqlDbType.Boolean, ct).ConfigureAwait(false);
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }
    }
}
