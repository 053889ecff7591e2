using EventSourced.Adapters.Storage.Evidence;
using EventSourced.Projections;
using Npgsql;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>Inclusion and consistency proofs from a log's ledger, for exports and for anyone holding an older tree head.</summary>
public static class Proofs
{
    /// <summary>One event's proof: its position and leaf index, its canonical entry and the audit path to the tree head.</summary>
    public sealed record Inclusion(long Position, long LeafIndex, byte[] Entry, IReadOnlyList<byte[]> Path);

    static async Task<Merkle.Tree> TreeAsync(NpgsqlConnection conn, string schema, long size, CancellationToken ct)
    {
        var leaves = new List<byte[]>((int)Math.Min(size, 10_000_000));
        await using var cmd = new NpgsqlCommand($"select leaf_hash from {schema}.evidence_leaves where leaf_index < @n order by leaf_index", conn);
        cmd.Parameters.AddWithValue("n", size);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) leaves.Add(reader.GetFieldValue<byte[]>(0));
        return new Merkle.Tree(leaves);
    }

    /// <summary>
    /// Signs a tree head over the log as it is (so it covers every event asked about) and proves each
    /// position's event in it. Positions with no leaf (or beyond the head) are left out.
    /// </summary>
    public static async Task<(TreeHead Head, IReadOnlyDictionary<long, Inclusion> Proofs)> InclusionAsync<T>(MartenEventLog<T> log, IEnumerable<long> positions,
        CancellationToken ct = default) where T : class, IRecorded<T>
    {
        var head = await log.SignTreeHeadAsync(ct).ConfigureAwait(false);
        var schema = log.Ledger.Log;
        await using var conn = log.DataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        var tree = await TreeAsync(conn, schema, head.Size, ct).ConfigureAwait(false);
        var wanted = positions.Where(p => p > 0).Distinct().ToArray();
        var proofs = new Dictionary<long, Inclusion>();
        await using var cmd = new NpgsqlCommand(
            $"select l.seq_id, l.leaf_index, e.stream_id, e.version, e.data from {schema}.evidence_leaves l join {schema}.mt_events e on e.seq_id = l.seq_id where l.seq_id = any(@p) and l.leaf_index < @n", conn);
        cmd.Parameters.AddWithValue("p", wanted);
        cmd.Parameters.AddWithValue("n", head.Size);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var position = reader.GetInt64(0);
            var index = reader.GetInt64(1);
            var entry = Ledger.Entry(position, reader.GetString(2), reader.GetInt64(3), StoredRecord.FromRow(reader, 4));
            proofs[position] = new Inclusion(position, index, entry, tree.InclusionProof(index, head.Size));
        }
        return (head, proofs);
    }

    /// <summary>The stored tree head of <paramref name="fromSize"/> events, the latest one, and the consistency proof between them.</summary>
    public static async Task<Fin<(TreeHead From, TreeHead To, IReadOnlyList<byte[]> Proof)>> ConsistencyAsync<T>(MartenEventLog<T> log, long fromSize,
        CancellationToken ct = default) where T : class, IRecorded<T>
    {
        var latest = await log.SignTreeHeadAsync(ct).ConfigureAwait(false);
        await using var conn = log.DataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        var heads = await log.Ledger.HeadsAsync(conn, ct).ConfigureAwait(false);
        var from = heads.Find(h => h.Size == fromSize);
        if (from.IsNone)
            return Error.New($"no tree head of size {fromSize} in {log.Ledger.Log} (there are heads of sizes {string.Join(", ", heads.Map(h => h.Size).TakeLast(10))})");
        var tree = await TreeAsync(conn, log.Ledger.Log, latest.Size, ct).ConfigureAwait(false);
        return ((TreeHead)from, latest, (IReadOnlyList<byte[]>)tree.ConsistencyProof(fromSize, latest.Size));
    }
}
