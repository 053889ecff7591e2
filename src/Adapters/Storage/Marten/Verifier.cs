using EventSourced.Adapters.Storage.Evidence;
using EventSourced.Projections;
using Npgsql;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>Something <c>verify</c> found: what (altered, removed, inserted, reordered, forged, mismatch), where, and in words.</summary>
public sealed record Finding(string Kind, long Position, string Stream, long Version, string Detail);

/// <summary>What a verification checked and found. <see cref="Ok"/> when nothing was found.</summary>
public sealed record Verification(string Log, long Leaves, long Checked, long Purged, Seq<TreeHead> Heads, long Unsigned, Seq<Finding> Findings)
{
    /// <summary>True when every check passed.</summary>
    public bool Ok => Findings.IsEmpty;

    /// <summary>The first finding in log order.</summary>
    public Option<Finding> First => Findings.OrderBy(f => f.Position).HeadOrNone();
}

/// <summary>Which events a verification recomputes (the tree is always recomputed whole).</summary>
public abstract record VerifyScope
{
    VerifyScope() { }
    /// <summary>Every event.</summary>
    public sealed record All : VerifyScope;
    /// <summary>Every recording of one conversation (each user's stream of it).</summary>
    public sealed record Conversation(string ConvId) : VerifyScope;
    /// <summary>Every stream of one user.</summary>
    public sealed record User(string UserId) : VerifyScope;

    internal (string Sql, string? Parameter) Condition(string column) => this switch
    {
        Conversation c => ($"right({column}, length(@scope)) = @scope", $"/conversation/{Recording.KeyPart(c.ConvId)}"),
        User u => ($"starts_with({column}, @scope)", Recording.UserPrefix(u.UserId)),
        _ => ("true", null),
    };
}

/// <summary>
/// Recomputes a Marten log's evidence from its rows and says where it does not hold: every event's leaf
/// from its stored bytes, every stream's chain, the Merkle tree against every signed tree head, each head's
/// signature, and events that have no leaf. Streams the log a page at a time (memory: the tree's right
/// edge, one chain link per stream, the findings).
/// </summary>
public static class Verifier
{
    const int MaxFindings = 100;

    /// <summary>Whether the log's ledger holds any event of <paramref name="scope"/> (a conversation or a user the log has recorded).</summary>
    public static async Task<bool> HoldsAsync(string connectionString, string schema, VerifyScope scope, CancellationToken ct = default)
    {
        var (condition, parameter) = scope.Condition("stream_id");
        await using var conn = new NpgsqlConnection(connectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new NpgsqlCommand($"select exists (select 1 from {schema}.evidence_leaves where {condition})", conn);
        if (parameter is not null) cmd.Parameters.AddWithValue("scope", parameter);
        return (bool)(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    /// <summary>Verifies the log of <paramref name="ledger"/>.</summary>
    public static async Task<Verification> VerifyAsync(NpgsqlDataSource dataSource, Ledger ledger, global::Marten.IDocumentStore store, VerifyScope scope,
        IProgress<long>? progress = null, CancellationToken ct = default)
    {
        var schema = ledger.Log;
        var findings = new List<Finding>();
        void Found(string kind, long position, string stream, long version, string detail)
        {
            if (findings.Count < MaxFindings) findings.Add(new Finding(kind, position, stream, version, detail));
        }
        await using var conn = dataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var snapshot = await conn.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, ct).ConfigureAwait(false);
        var heads = await ledger.HeadsAsync(conn, ct).ConfigureAwait(false);
        foreach (var h in heads.Filter(h => !ledger.Signer.Verify(h)))
            Found("forged", 0, "", 0, $"the tree head of size {h.Size} (root {Convert.ToHexStringLower(h.Root)[..16]}…) was not signed by key {ledger.Signer.KeyId}");
        var pendingHeads = new Queue<TreeHead>(heads.OrderBy(h => h.Size));
        var (condition, parameter) = scope.Condition("l.stream_id");
        var frontier = Merkle.Frontier.Empty;
        var chains = new Dictionary<string, (long Version, byte[] Hash)>(StringComparer.Ordinal);
        long expectedIndex = 0, lastSeq = 0, checkedEvents = 0, purged = 0, firstOfHead = 0;
        while (true)
        {
            var read = 0;
            await using (var page = new NpgsqlCommand($"""
                select l.leaf_index, l.seq_id, l.stream_id, l.version, l.leaf_hash, l.chain_hash, ({condition}) as in_scope,
                       e.seq_id is not null as present, p.seq_id is not null as purged,
                       case when {condition} then e.stream_id end, case when {condition} then e.version end, case when {condition} then e.data end
                from {schema}.evidence_leaves l
                left join {schema}.mt_events e on e.seq_id = l.seq_id
                left join {schema}.evidence_purged p on p.seq_id = l.seq_id
                where l.leaf_index >= @from order by l.leaf_index limit 10000
                """, conn))
            {
                page.Parameters.AddWithValue("from", expectedIndex);
                if (parameter is not null) page.Parameters.AddWithValue("scope", parameter);
                await using var reader = await page.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    read++;
                    var index = reader.GetInt64(0);
                    var seq = reader.GetInt64(1);
                    var stream = reader.GetString(2);
                    var version = reader.GetInt64(3);
                    var storedLeaf = reader.GetFieldValue<byte[]>(4);
                    var storedLink = reader.GetFieldValue<byte[]>(5);
                    var inScope = reader.GetBoolean(6);
                    var present = reader.GetBoolean(7);
                    var wasPurged = reader.GetBoolean(8);
                    if (index != expectedIndex)
                        Found("removed", seq, stream, version, $"leaves {expectedIndex}..{index - 1} of the tree are missing (the events before position {seq})");
                    if (seq <= lastSeq)
                        Found("reordered", seq, stream, version, $"leaf {index} is for position {seq}, which does not come after position {lastSeq}");
                    var leaf = storedLeaf;
                    if (inScope)
                    {
                        if (present)
                        {
                            var rowStream = reader.GetString(9);
                            var rowVersion = reader.GetInt64(10);
                            var record = StoredRecord.FromRow(reader, 11);
                            leaf = Merkle.LeafHash(Ledger.Entry(seq, rowStream, rowVersion, record));
                            checkedEvents++;
                            if (rowStream != stream || rowVersion != version)
                                Found("reordered", seq, stream, version, $"the event at position {seq} is now {rowStream} v{rowVersion}, recorded as {stream} v{version}");
                            else if (!leaf.AsSpan().SequenceEqual(storedLeaf))
                                Found("altered", seq, stream, version, $"the event at position {seq} ({stream} v{version}) differs from what was recorded");
                        }
                        else if (wasPurged) purged++;
                        else Found("removed", seq, stream, version, $"the event at position {seq} ({stream} v{version}) was removed");
                        var previous = chains.TryGetValue(stream, out var c) ? c : (0, Merkle.ChainStart);
                        if (version != previous.Item1 + 1)
                            Found(version <= previous.Item1 ? "reordered" : "removed", seq, stream, version,
                                $"{stream} goes from version {previous.Item1} to {version} in the chain");
                        if (!Merkle.ChainHash(previous.Item2, storedLeaf).AsSpan().SequenceEqual(storedLink))
                            Found("altered", seq, stream, version, $"the chain link of {stream} v{version} does not follow from the one before");
                        chains[stream] = (version, storedLink);
                    }
                    else if (!present && wasPurged) purged++;
                    frontier = frontier.Append(leaf);
                    while (pendingHeads.Count > 0 && pendingHeads.Peek().Size == frontier.Size)
                    {
                        var head = pendingHeads.Dequeue();
                        if (!frontier.Root().AsSpan().SequenceEqual(head.Root))
                            Found("mismatch", seq, stream, version,
                                $"the log's first {head.Size} events do not hash to the tree head signed at {DateTimeOffset.FromUnixTimeMilliseconds(head.SignedAt):u}: something among leaves {firstOfHead}..{head.Size - 1} changed");
                        firstOfHead = head.Size;
                    }
                    expectedIndex = index + 1;
                    lastSeq = seq;
                }
            }
            progress?.Report(expectedIndex);
            if (read == 0) break;
        }
        foreach (var h in pendingHeads)
            Found("removed", lastSeq, "", 0, $"a tree head covers {h.Size} events but the log holds {frontier.Size} leaves");
        // Events with no leaf: written around the ledger.
        var (eventCondition, _) = scope.Condition("e.stream_id");
        await using (var orphans = new NpgsqlCommand($"""
            select e.seq_id, e.stream_id, e.version from {schema}.mt_events e
            where not exists (select 1 from {schema}.evidence_leaves l where l.seq_id = e.seq_id) and e.type <> 'tombstone' and ({eventCondition})
            order by e.seq_id limit {MaxFindings}
            """, conn))
        {
            if (parameter is not null) orphans.Parameters.AddWithValue("scope", parameter);
            await using var reader = await orphans.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                Found("inserted", reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2),
                    $"the event at position {reader.GetInt64(0)} ({reader.GetString(1)} v{reader.GetInt64(2)}) was never recorded through the log");
        }
        await snapshot.CommitAsync(ct).ConfigureAwait(false);
        var latest = heads.OrderBy(h => h.Size).LastOrNone();
        return new Verification(schema, frontier.Size, checkedEvents, purged, heads, frontier.Size - latest.Map(h => h.Size).IfNone(0),
            findings.OrderBy(f => f.Position).ToSeq());
    }
}
