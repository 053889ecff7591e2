using System.Buffers.Binary;
using System.Text;
using EventSourced.Adapters.Storage.Evidence;
using EventSourced.Projections;
using Npgsql;
using NpgsqlTypes;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// Tamper evidence beside a Marten log, written in the same transaction as the events it covers:
/// each event's leaf hash (over its canonical entry: position, stream, version and every stored field,
/// raw packet bytes included), a hash chain per stream, the log's RFC 9162 Merkle tree (its right edge
/// kept in one locked row, so writers take positions in tree order), and tree heads signed every
/// <see cref="TreeHeadEvery"/> events and on demand.
/// </summary>
public sealed class Ledger
{
    readonly string schema;
    readonly TreeHeadSigner signer;

    /// <summary>A tree head is signed whenever the tree passes a multiple of this many events.</summary>
    public int TreeHeadEvery { get; }

    /// <summary>The ledger of the log in <paramref name="schema"/>.</summary>
    public Ledger(string schema, TreeHeadSigner signer, int treeHeadEvery = 1_000)
    {
        this.schema = schema;
        this.signer = signer;
        TreeHeadEvery = Math.Max(1, treeHeadEvery);
    }

    /// <summary>The signer of this ledger's tree heads.</summary>
    public TreeHeadSigner Signer => signer;

    /// <summary>The log's name in its tree heads.</summary>
    public string Log => schema;

    /// <summary>The tables.</summary>
    public string Ddl => $"""
        create table if not exists {schema}.evidence_leaves (leaf_index bigint primary key, seq_id bigint not null unique, stream_id text not null,
          version bigint not null, leaf_hash bytea not null, chain_hash bytea not null, unique (stream_id, version));
        create table if not exists {schema}.evidence_frontier (id int primary key check (id = 1), size bigint not null, peaks bytea[] not null);
        create table if not exists {schema}.evidence_tree_heads (tree_size bigint primary key, root_hash bytea not null, signed_at bigint not null,
          algorithm text not null, key_id text not null, signature bytea not null);
        create table if not exists {schema}.evidence_purged (seq_id bigint primary key, leaf_index bigint not null, purged_at bigint not null, reason text not null);
        """;

    /// <summary>
    /// The canonical entry of a stored event: what its leaf hash covers, byte for byte. The event's JSON is
    /// <see cref="StoredRecord.Data"/>, its canonical text: an event stored as a jsonb object hashes the same as its text did,
    /// whatever order PostgreSQL keeps the object's keys in.
    /// </summary>
    public static byte[] Entry(long position, string stream, long version, StoredRecord r)
    {
        var b = new ArrayBufferWriter();
        b.Bytes("stringee-es entry v1"u8);
        b.Long(position);
        b.Text(stream);
        b.Long(version);
        b.Text(r.Type);
        b.Blob(r.DataUtf8);
        b.Blob(r.Raw);
        b.Long(r.ReceivedAt);
        b.Maybe(r.ServerTime);
        b.Maybe(r.Seq);
        b.Long(r.Origin);
        b.Maybe(r.Service);
        b.Maybe(r.RequestId);
        return b.ToArray();
    }

    /// <summary>The fields of an entry a reader checks (what a proof file shows beside its hash): position, stream, version, event type and JSON.</summary>
    public sealed record EntryFields(long Position, string Stream, long Version, string Type, string Data);

    /// <summary>Reads an entry's leading fields back; None when the bytes are not an entry.</summary>
    public static Option<EntryFields> ReadEntry(byte[] entry)
    {
        var at = 0;
        byte[]? Field()
        {
            if (at + 4 > entry.Length) return null;
            var n = BinaryPrimitives.ReadInt32BigEndian(entry.AsSpan(at));
            if (n < 0 || at + 4 + n > entry.Length) return null;
            var v = entry.AsSpan(at + 4, n).ToArray();
            at += 4 + n;
            return v;
        }
        long? Long()
        {
            if (at + 8 > entry.Length) return null;
            var v = BinaryPrimitives.ReadInt64BigEndian(entry.AsSpan(at));
            at += 8;
            return v;
        }
        var magic = Field();
        if (magic is null || !magic.AsSpan().SequenceEqual("stringee-es entry v1"u8)) return None;
        var position = Long();
        var stream = Field();
        var version = Long();
        var type = Field();
        var data = Field();
        return position is null || stream is null || version is null || type is null || data is null ? None
            : Some(new EntryFields(position.Value, Encoding.UTF8.GetString(stream), version.Value, Encoding.UTF8.GetString(type), Encoding.UTF8.GetString(data)));
    }

    // Length-prefixed fields: no two different entries have the same bytes.
    sealed class ArrayBufferWriter
    {
        readonly MemoryStream s = new();
        public void Bytes(ReadOnlySpan<byte> v)
        {
            Span<byte> n = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(n, v.Length);
            s.Write(n);
            s.Write(v);
        }
        public void Text(string v) => Bytes(Encoding.UTF8.GetBytes(v));
        public void Blob(byte[] v) => Bytes(v);
        public void Long(long v)
        {
            Span<byte> n = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(n, v);
            s.Write(n);
        }
        public void Maybe(long? v)
        {
            s.WriteByte(v is null ? (byte)0 : (byte)1);
            Long(v ?? 0);
        }
        public byte[] ToArray() => s.ToArray();
    }

    /// <summary>An event as the ledger sees it.</summary>
    public sealed record Item(long Position, string Stream, long Version, StoredRecord Record);

    /// <summary>
    /// Takes the tree's lock for the transaction (before any position is drawn, so positions follow tree order
    /// across processes) and returns its right edge.
    /// </summary>
    public async Task<Merkle.Frontier> LockAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select size, peaks from {schema}.evidence_frontier where id = 1 for update", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false)) throw new InvalidOperationException($"{schema}: the evidence ledger is not initialised");
        return new Merkle.Frontier(reader.GetInt64(0), toSeq(reader.GetFieldValue<byte[][]>(1)));
    }

    /// <summary>Writes the leaves and chain links of events just stored in this transaction (in position order), the new right edge, and a tree head when one is due.</summary>
    public Task AppendAsync(NpgsqlConnection conn, Merkle.Frontier frontier, IReadOnlyList<Item> items, CancellationToken ct) =>
        AppendAsync(conn, frontier, items, Leaves(items), ct);

    /// <summary>The leaf hash of each item: the CPU part of an append, which an import computes while PostgreSQL takes the events.</summary>
    public static byte[][] Leaves(IReadOnlyList<Item> items)
    {
        var leaves = new byte[items.Count][];
        for (var i = 0; i < items.Count; i++) leaves[i] = Merkle.LeafHash(Entry(items[i].Position, items[i].Stream, items[i].Version, items[i].Record));
        return leaves;
    }

    /// <summary>Appends items whose leaf hashes are already computed (<see cref="Leaves"/>).</summary>
    public async Task AppendAsync(NpgsqlConnection conn, Merkle.Frontier frontier, IReadOnlyList<Item> items, byte[][] leaves, CancellationToken ct)
    {
        if (items.Count == 0) return;
        var streams = items.Select(i => i.Stream).Distinct(StringComparer.Ordinal).ToArray();
        var chains = new Dictionary<string, (long Version, byte[] Hash)>(StringComparer.Ordinal);
        await using (var read = new NpgsqlCommand(
            // Each stream's last link by one step down the (stream_id, version) index: a DISTINCT ON over the streams would read
            // every link of every stream in the batch, so a commit's cost grew with its streams' length.
            $"select s.stream_id, l.version, l.chain_hash from unnest(@s) as s(stream_id) cross join lateral "
            + $"(select version, chain_hash from {schema}.evidence_leaves e where e.stream_id = s.stream_id order by version desc limit 1) l", conn))
        {
            read.Parameters.AddWithValue("s", streams);
            await using var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false)) chains[reader.GetString(0)] = (reader.GetInt64(1), reader.GetFieldValue<byte[]>(2));
        }
        var start = frontier.Size;
        var links = new byte[items.Count][];
        foreach (var (item, i) in items.Select((x, i) => (x, i)))
        {
            var previous = chains.TryGetValue(item.Stream, out var c) ? c.Hash : Merkle.ChainStart;
            links[i] = Merkle.ChainHash(previous, leaves[i]);
            chains[item.Stream] = (item.Version, links[i]);
            frontier = frontier.Append(leaves[i]);
        }
        await using (var copy = await conn.BeginBinaryImportAsync(
            $"copy {schema}.evidence_leaves (leaf_index, seq_id, stream_id, version, leaf_hash, chain_hash) from stdin (format binary)", ct).ConfigureAwait(false))
        {
            for (var i = 0; i < items.Count; i++)
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(start + i, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await copy.WriteAsync(items[i].Position, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await copy.WriteAsync(items[i].Stream, NpgsqlDbType.Text, ct).ConfigureAwait(false);
                await copy.WriteAsync(items[i].Version, NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
                await copy.WriteAsync(leaves[i], NpgsqlDbType.Bytea, ct).ConfigureAwait(false);
                await copy.WriteAsync(links[i], NpgsqlDbType.Bytea, ct).ConfigureAwait(false);
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }
        await SaveFrontierAsync(conn, frontier, ct).ConfigureAwait(false);
        if (start / TreeHeadEvery != frontier.Size / TreeHeadEvery) await SignAsync(conn, frontier, ct).ConfigureAwait(false);
    }

    async Task SaveFrontierAsync(NpgsqlConnection conn, Merkle.Frontier frontier, CancellationToken ct)
    {
        await using var save = new NpgsqlCommand($"update {schema}.evidence_frontier set size = @size, peaks = @peaks where id = 1", conn);
        save.Parameters.AddWithValue("size", frontier.Size);
        save.Parameters.AddWithValue("peaks", frontier.Peaks.ToArray());
        await save.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    async Task<TreeHead> SignAsync(NpgsqlConnection conn, Merkle.Frontier frontier, CancellationToken ct)
    {
        var head = signer.Sign(schema, frontier.Size, frontier.Root(), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        await using var insert = new NpgsqlCommand(
            $"insert into {schema}.evidence_tree_heads (tree_size, root_hash, signed_at, algorithm, key_id, signature) values (@size, @root, @at, @alg, @key, @sig) on conflict (tree_size) do nothing", conn);
        insert.Parameters.AddWithValue("size", head.Size);
        insert.Parameters.AddWithValue("root", head.Root);
        insert.Parameters.AddWithValue("at", head.SignedAt);
        insert.Parameters.AddWithValue("alg", head.Algorithm);
        insert.Parameters.AddWithValue("key", head.KeyId);
        insert.Parameters.AddWithValue("sig", head.Signature);
        await insert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        return head;
    }

    /// <summary>Signs a tree head for the log as it is now (on demand), unless the latest already covers every event.</summary>
    public async Task<TreeHead> SignNowAsync(NpgsqlDataSource dataSource, CancellationToken ct)
    {
        await using var conn = dataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        var frontier = await LockAsync(conn, ct).ConfigureAwait(false);
        var existing = (await HeadsAsync(conn, ct).ConfigureAwait(false)).Find(h => h.Size == frontier.Size);
        var head = existing.IsSome ? (TreeHead)existing : await SignAsync(conn, frontier, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return head;
    }

    /// <summary>Every stored tree head, smallest first.</summary>
    public async Task<Seq<TreeHead>> HeadsAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        var heads = new List<TreeHead>();
        await using var cmd = new NpgsqlCommand($"select tree_size, root_hash, signed_at, algorithm, key_id, signature from {schema}.evidence_tree_heads order by tree_size", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
            heads.Add(new TreeHead(schema, reader.GetInt64(0), reader.GetFieldValue<byte[]>(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<byte[]>(5)));
        return toSeq(heads);
    }

    /// <summary>
    /// Creates the tables, and when the ledger is new on a log that already holds events, chains those events
    /// (in position order) and signs a head over them: the record of when evidence began. Events appended later
    /// without a leaf are never chained afterwards: <c>verify</c> reports them as inserted.
    /// </summary>
    public async Task InitializeAsync(NpgsqlConnection conn, global::Marten.IDocumentStore store, bool applySchema, CancellationToken ct)
    {
        if (applySchema)
            await using (var ddl = new NpgsqlCommand(Ddl, conn)) await ddl.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand($"insert into {schema}.evidence_frontier (id, size, peaks) values (1, 0, '{{}}') on conflict (id) do nothing", conn))
            if (await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
            {
                await tx.RollbackAsync(ct).ConfigureAwait(false);
                return;
            }
        var frontier = Merkle.Frontier.Empty;
        var last = 0L;
        while (true)
        {
            var items = new List<Item>();
            await using (var page = new NpgsqlCommand(
                $"select seq_id, stream_id, version, data from {schema}.mt_events where seq_id > @from and type <> 'tombstone' order by seq_id limit 10000", conn))
            {
                page.Parameters.AddWithValue("from", last);
                await using var reader = await page.ExecuteReaderAsync(ct).ConfigureAwait(false);
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    items.Add(new Item(reader.GetInt64(0), reader.GetString(1), reader.GetInt64(2), StoredRecord.FromRow(reader, 3)));
            }
            if (items.Count == 0) break;
            await AppendAsync(conn, frontier, items, ct).ConfigureAwait(false);
            frontier = await ReadFrontierAsync(conn, ct).ConfigureAwait(false);
            last = items[^1].Position;
        }
        if (frontier.Size > 0) await SignAsync(conn, frontier, ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    async Task<Merkle.Frontier> ReadFrontierAsync(NpgsqlConnection conn, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select size, peaks from {schema}.evidence_frontier where id = 1", conn);
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new Merkle.Frontier(reader.GetInt64(0), toSeq(reader.GetFieldValue<byte[][]>(1)));
    }
}
