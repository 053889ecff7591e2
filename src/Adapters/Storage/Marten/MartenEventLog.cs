using System.Reactive.Disposables;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using JasperFx;
using JasperFx.Events;
using Marten;
using Marten.Exceptions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// The event log on Marten and PostgreSQL: string stream keys, quick appends, and group commit
/// (appends waiting together are saved in one transaction; if that fails, each is retried alone so
/// one conflict fails only its own append). The feed emits an event once it is committed, in
/// position order; a subscription replays from the database first.
/// </summary>
public partial class MartenEventLog<T> : IEventLog<T> where T : class, IRecorded<T>
{
    sealed record Pending(string Stream, ExpectedVersion Expected, IReadOnlyList<T> Events, TaskCompletionSource<Fin<AppendResult>> Done, long Queued);

    readonly DocumentStore store;
    readonly IRecordCodec<T> codec;
    readonly Channel<Pending> queue;
    readonly Subject<T> live = new();
    readonly SemaphoreSlim publish = new(1, 1);
    // Held by whoever writes and publishes (a group-commit batch, an import chunk), so positions and the feed stay in one order.
    readonly SemaphoreSlim writing = new(1, 1);
    readonly Task writer;
    readonly int maxBatch;
    long lastPosition;

    readonly Npgsql.NpgsqlDataSource dataSource;
    readonly bool ownsDataSource;
    readonly IDisposable gauge;
    readonly string schema;

    readonly ICommitObserver? observer;
    readonly Ledger ledger;
    // Null for a log whose events hold no personal data (the compliance log).
    readonly Erasure.Sealer? sealer;

    /// <summary>
    /// A log in its own schema of a database. <paramref name="configure"/> adds to the store's options
    /// (projections, documents); <paramref name="observer"/> hears whether each transaction committed.
    /// </summary>
    public MartenEventLog(string connectionString, string schema, IRecordCodec<T> codec, int maxBatch = 256, int queueCapacity = 10_000,
        Action<StoreOptions>? configure = null, ICommitObserver? observer = null, Evidence.TreeHeadSigner? signer = null, int treeHeadEvery = 1_000,
        bool applySchema = true)
        : this(Npgsql.NpgsqlDataSource.Create(connectionString), schema, codec, maxBatch, queueCapacity, configure, observer, signer, treeHeadEvery, applySchema) =>
        ownsDataSource = true;

    /// <summary>
    /// A log in its own schema on the application's <paramref name="dataSource"/> (its pool, its credentials, its
    /// interceptors): the log borrows connections from it and does not dispose it.
    /// </summary>
    public MartenEventLog(Npgsql.NpgsqlDataSource dataSource, string schema, IRecordCodec<T> codec, int maxBatch = 256, int queueCapacity = 10_000,
        Action<StoreOptions>? configure = null, ICommitObserver? observer = null, Evidence.TreeHeadSigner? signer = null, int treeHeadEvery = 1_000,
        bool applySchema = true)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(codec);
        this.dataSource = dataSource;
        this.applySchema = applySchema;
        this.observer = observer;
        // The key is read (or made) now: a missing or broken key is reported when the log opens, not at the first tree head.
        signer ??= Evidence.TreeHeadSigner.FromConfiguration().IfFail(e => throw new InvalidOperationException(e.Message));
        ledger = new Ledger(schema, signer, treeHeadEvery);
        this.schema = schema;
        this.codec = codec;
        sealer = codec.Seals ? new Erasure.Sealer(codec.Custodian, codec.Senders(schema)) : null;
        this.maxBatch = maxBatch;
        store = DocumentStore.For(o =>
        {
            o.Connection(dataSource);
            o.DatabaseSchemaName = schema;
            o.Events.StreamIdentity = StreamIdentity.AsString;
            o.Events.AppendMode = EventAppendMode.Quick;
            o.Events.MapEventType<StoredRecord>(StoredRecord.EventTypeName);
            // A log opened by the application role changes no schema: the owner applied it (Database opens both).
            o.AutoCreateSchemaObjects = applySchema ? AutoCreate.CreateOrUpdate : AutoCreate.None;
            configure?.Invoke(o);
        });
        queue = Channel.CreateBounded<Pending>(new BoundedChannelOptions(queueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        gauge = Telemetry.AppendQueueDepth.Register(this, () => new(queue.Reader.Count, new KeyValuePair<string, object?>("db.namespace", schema)));
        writer = Task.Run(WriteLoopAsync);
    }

    readonly bool applySchema;

    /// <summary>Creates the schema (unless the log was opened without <c>applySchema</c>) and reads the last position.</summary>
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        // Two processes opening the logs of a fresh database would race on creating the schema and one would die:
        // a session-level advisory lock per schema makes the second wait and then find the schema there.
        await using (var conn = dataSource.CreateConnection())
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using (var take = new Npgsql.NpgsqlCommand("select pg_advisory_lock(hashtext('stringee-es schema ' || @schema))", conn))
            {
                take.Parameters.AddWithValue("schema", schema);
                await take.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            try
            {
                if (applySchema)
                {
                    if (sealer is not null) await Erasure.SubjectKeys.InitializeAsync(conn, ct).ConfigureAwait(false);
                    await store.Storage.ApplyAllConfiguredChangesToDatabaseAsync().ConfigureAwait(false);
                    // One user's streams by key range (byte order, so a key prefix is one range) and position: reading a user's
                    // events, or where they end, costs what that user recorded, not the size of the log it shares with others.
                    await using (var index = new Npgsql.NpgsqlCommand(
                        $"create index if not exists mt_events_stream_prefix on {schema}.mt_events ((stream_id collate \"C\"), seq_id)", conn))
                        await index.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                    await using var views = new Npgsql.NpgsqlCommand(codec.Views(schema), conn);
                    await views.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
                await ledger.InitializeAsync(conn, store, applySchema, ct).ConfigureAwait(false);
            }
            finally
            {
                await using var release = new Npgsql.NpgsqlCommand("select pg_advisory_unlock(hashtext('stringee-es schema ' || @schema))", conn);
                release.Parameters.AddWithValue("schema", schema);
                await release.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        await using var session = store.QuerySession();
        var stats = await store.Advanced.FetchEventStoreStatistics(token: ct).ConfigureAwait(false);
        lastPosition = stats.EventSequenceNumber;
        LogOpened(Logger, schema, lastPosition, applySchema);
    }

    /// <summary>
    /// Where the log says what happened to it: opened (information), an append that failed (warning: nothing of it was
    /// acknowledged), a conflicting append (debug: the writer is told), an import that stopped (error). Set it when making
    /// the log; <c>AddStringeeMartenLog</c> sets the container's. No event content is ever logged.
    /// </summary>
    public ILogger Logger { get; init; } = NullLogger.Instance;

    [LoggerMessage(Level = LogLevel.Information, Message = "Event log {Schema} open at position {Position} (schema applied by this process: {Applied})")]
    static partial void LogOpened(ILogger logger, string schema, long position, bool applied);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Append of {Events} event(s) to {Schema} failed; none of them is acknowledged")]
    static partial void LogAppendFailed(ILogger logger, int events, string schema, Exception error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Append to a stream of {Schema} refused: it is at version {Actual}, the writer expected {Expected}")]
    static partial void LogConflict(ILogger logger, string schema, long actual, long expected);

    [LoggerMessage(Level = LogLevel.Information, Message = "Storage of {Schema} migrated: {Converted} event(s) now jsonb objects, {Kept} kept as text")]
    static partial void LogMigrated(ILogger logger, string schema, long converted, long kept);

    [LoggerMessage(Level = LogLevel.Error, Message = "Import into {Schema} stopped; what was copied before is kept")]
    internal static partial void LogImportStopped(ILogger logger, string schema, Exception error);

    /// <inheritdoc />
    public long LastPosition => Interlocked.Read(ref lastPosition);

    /// <inheritdoc />
    public async Task<Fin<AppendResult>> AppendAsync(string stream, ExpectedVersion expected, IReadOnlyList<T> events, CancellationToken ct = default)
    {
        var done = new TaskCompletionSource<Fin<AppendResult>>(TaskCreationOptions.RunContinuationsAsynchronously);
        await queue.Writer.WriteAsync(new Pending(stream, expected, events, done, System.Diagnostics.Stopwatch.GetTimestamp()), ct).ConfigureAwait(false);
        return await done.Task.WaitAsync(ct).ConfigureAwait(false);
    }

    async Task WriteLoopAsync()
    {
        var batch = new List<Pending>(maxBatch);
        while (await queue.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < maxBatch && queue.Reader.TryRead(out var p)) batch.Add(p);
            await writing.WaitAsync().ConfigureAwait(false);
            using var span = Telemetry.Source.StartActivity("stringee.eventlog.append");
            span?.SetTag("db.system.name", "postgresql");
            span?.SetTag("db.namespace", schema);
            span?.SetTag("stringee.eventlog.batch_size", batch.Count);
            try
            {
                await SaveAndPublishAsync(batch).ConfigureAwait(false);
            }
            finally
            {
                writing.Release();
            }
            Measure(batch, span);
        }
    }

    // The batch's figures: its size, and per append whether it committed and how long it waited to be durable.
    void Measure(List<Pending> batch, System.Diagnostics.Activity? span)
    {
        var events = 0L;
        var failed = 0;
        foreach (var p in batch)
        {
            var ok = p.Done.Task.IsCompletedSuccessfully && p.Done.Task.Result.IsSucc;
            if (ok) events += p.Events.Count;
            else failed++;
            Telemetry.AppendDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(p.Queued).TotalSeconds,
                new KeyValuePair<string, object?>("db.namespace", schema), new KeyValuePair<string, object?>("stringee.outcome", ok ? "committed" : "failed"));
        }
        Telemetry.CommitBatchSize.Record(events, new KeyValuePair<string, object?>("db.namespace", schema));
        Telemetry.Appends.Add(events, new KeyValuePair<string, object?>("db.namespace", schema));
        if (failed > 0) span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, $"{failed} append(s) of the batch failed");
    }

    async Task SaveAndPublishAsync(List<Pending> batch)
    {
        var together = await SaveAsync(batch).ConfigureAwait(false);
        if (together.IsSucc)
        {
            await PublishAsync(batch, (List<IReadOnlyList<IEvent>>)together).ConfigureAwait(false);
            return;
        }
        // One append of the batch failed (a version conflict, say): save each alone so only that one fails.
        foreach (var p in batch)
        {
            var alone = await SaveAsync([p]).ConfigureAwait(false);
            if (alone.IsSucc) await PublishAsync([p], (List<IReadOnlyList<IEvent>>)alone).ConfigureAwait(false);
            else p.Done.TrySetResult(alone.Match(_ => Fin<AppendResult>.Fail(Error.New("unreachable")), e => Fin<AppendResult>.Fail(e)));
        }
    }

    // The batch split into runs that Marten can take in one session without reordering: within a session Marten
    // gathers every append to a stream into one, so a stream may only come back as the run's latest stream
    // (then its events stay in order) and only without a version check (which is per append).
    static List<List<Pending>> Segments(IReadOnlyList<Pending> batch)
    {
        var segments = new List<List<Pending>>();
        var current = new List<Pending>();
        var streams = new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal);
        foreach (var p in batch)
        {
            var last = current.Count == 0 ? null : current[^1];
            var joinsLast = last is not null && last.Stream == p.Stream && last.Expected.Value < 0 && p.Expected.Value < 0;
            if (!joinsLast && streams.Contains(p.Stream))
            {
                segments.Add(current);
                current = [];
                streams.Clear();
            }
            current.Add(p);
            streams.Add(p.Stream);
        }
        if (current.Count > 0) segments.Add(current);
        return segments;
    }

    async Task<Fin<List<IReadOnlyList<IEvent>>>> SaveAsync(IReadOnlyList<Pending> batch)
    {
        try
        {
            // One transaction (one commit, one fsync) however many sessions the batch needs.
            var written = await InTransactionAsync(async (conn, tx) =>
            {
                // The tree's lock first: positions are drawn under it, so they follow the tree's order across processes.
                var frontier = WithoutEvidence ? default : await ledger.LockAsync(conn, CancellationToken.None).ConfigureAwait(false);
                Locked(frontier);
                var refused = await CheckVersionsAsync(conn, batch).ConfigureAwait(false);
                var storedOf = await StoreAsync(conn, batch.Where(p => !refused.Contains(p)).ToList(), CancellationToken.None).ConfigureAwait(false);
                var saved = new List<IReadOnlyList<IEvent>>(batch.Count);
                foreach (var segment in Segments(batch))
                {
                    await using var session = store.LightweightSession(global::Marten.Services.SessionOptions.ForTransaction(tx));
                    var slices = new List<(StreamAction? Action, int Offset, int Count)>(segment.Count);
                    var taken = new Dictionary<StreamAction, int>();
                    foreach (var p in segment)
                    {
                        var data = storedOf.GetValueOrDefault(p) ?? [];
                        if (data.Length == 0 || refused.Contains(p))
                        {
                            slices.Add((null, 0, 0));
                            continue;
                        }
                        // Versions were checked above under a row lock: Marten is not asked to check them again, since a
                        // conflict inside Marten fails the whole transaction and leaves tombstones in place of the batch.
                        var action = p.Expected.Value == 0 ? session.Events.StartStream(p.Stream, data) : session.Events.Append(p.Stream, data);
                        var offset = taken.GetValueOrDefault(action);
                        taken[action] = offset + data.Length;
                        slices.Add((action, offset, data.Length));
                    }
                    await BesideAppendAsync(session, conn, segment.Where(p => !refused.Contains(p)).SelectMany(p => p.Events.Select(e => (p.Stream, e))).ToList(),
                        CancellationToken.None).ConfigureAwait(false);
                    await session.SaveChangesAsync().ConfigureAwait(false);
                    foreach (var (action, offset, count) in slices)
                        saved.Add(action is null ? [] : action.Events.Skip(offset).Take(count).ToList());
                }
                var items = saved.SelectMany(events => events).OrderBy(e => e.Sequence)
                    .Select(e => new Ledger.Item(e.Sequence, e.StreamKey!, e.Version, (StoredRecord)e.Data)).ToList();
                Saved(items);
                if (!WithoutEvidence) await ledger.AppendAsync(conn, frontier!, items, CancellationToken.None).ConfigureAwait(false);
                return (saved, Size: frontier is null ? -1 : frontier.Size + items.Count);
            }, CancellationToken.None).ConfigureAwait(false);
            treeAfterOurs = written.Size;
            return written.saved;
        }
        catch (Exception ex) when (ex is EventStreamUnexpectedMaxEventIdException or JasperFx.Events.ExistingStreamIdCollisionException
            or global::Marten.Exceptions.ExistingStreamIdCollisionException or ConcurrencyException)
        {
            var p = batch[0];
            await using var query = store.QuerySession();
            var state = await query.Events.FetchStreamStateAsync(p.Stream).ConfigureAwait(false);
            LogConflict(Logger, schema, state?.Version ?? 0, p.Expected.Value);
            return EventLogErrors.Conflict(p.Stream, p.Expected, state?.Version ?? 0);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Whatever broke (a lost connection, a crashed server), the append was not acknowledged: say so, keep the writer alive.
            if (Logger.IsEnabled(LogLevel.Warning)) LogAppendFailed(Logger, batch.Sum(b => b.Events.Count), schema, ex);
            return Error.New($"append failed: {ex.GetBaseException().Message}");
        }
    }

    // The tree's size after this log's last committed transaction (-1 before the first): a lock that finds it larger means
    // another writer (another process on the same database) committed in between.
    long treeAfterOurs = -1;

    void Locked(EventSourced.Projections.Merkle.Frontier? frontier)
    {
        if (frontier is not null && frontier.Size != treeAfterOurs) OthersWrote();
    }

    /// <summary>
    /// Told under the tree's lock, before the transaction writes anything, when the log holds events this log did not write
    /// since its own last transaction (another process recording into the same database, or a commit whose outcome was unknown here).
    /// Whatever the log remembers of the stored events must be read again before use. (A log written without evidence
    /// takes no lock and is never told: it must be the only writer.)
    /// </summary>
    protected virtual void OthersWrote()
    {
    }

    /// <summary>The events of the transaction as saved (positions and versions), in position order, before it commits.</summary>
    protected virtual void Saved(IReadOnlyList<Ledger.Item> items)
    {
    }

    /// <summary>
    /// What the log keeps beside appended events (a projection's rows), written through the session that saves them or on its connection, so in
    /// the same transaction; <paramref name="appended"/> are the events in plaintext, in order. The connection is the
    /// transaction's, free to use before the session saves (keys for what the rows seal).
    /// </summary>
    protected virtual Task BesideAppendAsync(IDocumentOperations session, Npgsql.NpgsqlConnection conn, IReadOnlyList<(string Stream, T Record)> appended, CancellationToken ct) =>
        Task.CompletedTask;

    // What each append stores: its events encoded, with their personal values sealed (keys made on this transaction's connection).
    async Task<Dictionary<Pending, object[]>> StoreAsync(Npgsql.NpgsqlConnection conn, List<Pending> appends, CancellationToken ct)
    {
        var records = appends.ToDictionary(p => p, p => p.Events.Select(codec.Store).ToArray());
        if (sealer is not null && !WithoutEvidence)
            await sealer.SealAsync(conn, appends.SelectMany(p => records[p].Select(r => (p.Stream, r))).ToList(), ct).ConfigureAwait(false);
        return records.ToDictionary(kv => kv.Key, kv => kv.Value.Cast<object>().ToArray());
    }

    /// <summary>Opens the sealed values of stored records (in place) with the keys that still exist; erased ones read <c>[erased]</c>.</summary>
    protected async Task OpenAsync(Npgsql.NpgsqlConnection conn, IReadOnlyList<(string Stream, StoredRecord Record)> records, Erasure.Sealer.KeyCache keys, CancellationToken ct)
    {
        if (sealer is not null) await sealer.UnsealAsync(conn, records, keys, ct).ConfigureAwait(false);
    }

    // The appends of a batch whose expected version does not hold, answered with the conflict at once; the others go on.
    // The streams' rows are locked for the transaction, so the versions read stay true until it commits.
    async Task<System.Collections.Generic.HashSet<Pending>> CheckVersionsAsync(Npgsql.NpgsqlConnection conn, IReadOnlyList<Pending> batch)
    {
        var refused = new System.Collections.Generic.HashSet<Pending>();
        var checkedStreams = batch.Where(p => p.Expected.Value >= 0).Select(p => p.Stream).Distinct(StringComparer.Ordinal).ToArray();
        if (checkedStreams.Length == 0) return refused;
        var versions = new Dictionary<string, long>(StringComparer.Ordinal);
        await using (var cmd = new Npgsql.NpgsqlCommand($"select id, version from {schema}.mt_streams where id = any(@ids) for update", conn))
        {
            cmd.Parameters.AddWithValue("ids", checkedStreams);
            await using var reader = await cmd.ExecuteReaderAsync().ConfigureAwait(false);
            while (await reader.ReadAsync().ConfigureAwait(false)) versions[reader.GetString(0)] = reader.GetInt64(1);
        }
        foreach (var p in batch)
        {
            var current = versions.GetValueOrDefault(p.Stream);
            if (p.Expected.Value >= 0 && p.Expected.Value != current)
            {
                refused.Add(p);
                p.Done.TrySetResult(EventLogErrors.Conflict(p.Stream, p.Expected, current));
                continue;
            }
            versions[p.Stream] = current + p.Events.Count;
        }
        return refused;
    }

    async Task PublishAsync(IReadOnlyList<Pending> batch, List<IReadOnlyList<IEvent>> saved)
    {
        await publish.WaitAsync().ConfigureAwait(false);
        try
        {
            for (var i = 0; i < batch.Count; i++)
            {
                var p = batch[i];
                var events = saved[i];
                if (events.Count == 0)
                {
                    p.Done.TrySetResult(new AppendResult(0, 0, p.Expected.Value < 0 ? 0 : p.Expected.Value));
                    continue;
                }
                var stored = p.Events.Select((e, j) => e.WithMeta(e.Meta with { Stream = p.Stream, Position = events[j].Sequence, Version = events[j].Version })).ToList();
                foreach (var r in stored) Emit(r);
                p.Done.TrySetResult(new AppendResult(stored[0].Meta.Position, stored[^1].Meta.Position, stored[^1].Meta.Version));
            }
        }
        finally
        {
            publish.Release();
        }
    }

    // A transaction on a connection of its own (a group-commit batch, an import chunk); the observer (the inline
    // projection) hears whether it committed, so what it computed for the transaction counts or is forgotten.
    async Task<TResult> InTransactionAsync<TResult>(Func<Npgsql.NpgsqlConnection, Npgsql.NpgsqlTransaction, Task<TResult>> work, CancellationToken ct)
    {
        await using var conn = dataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        TResult result;
        try
        {
            result = await work(conn, tx).ConfigureAwait(false);
            await tx.CommitAsync(ct).ConfigureAwait(false);
        }
        catch
        {
            observer?.Abandoned();
            throw;
        }
        observer?.Committed();
        return result;
    }

    /// <summary>
    /// Work in a transaction of its own that holds the tree's lock (as every append and import takes it first), so no event
    /// commits while it runs: what it reads of the log is what the log holds when it writes. It appends nothing, and what the
    /// inline projection planned for a transaction is left to that transaction. (A log written without evidence takes no lock.)
    /// </summary>
    protected async Task<TResult> UnderTreeLockAsync<TResult>(Func<Npgsql.NpgsqlConnection, Task<TResult>> work, CancellationToken ct)
    {
        await using var conn = dataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        if (!WithoutEvidence) await ledger.LockAsync(conn, ct).ConfigureAwait(false);
        var result = await work(conn).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        return result;
    }

    // Under the publish gate: the feed's subscribers see committed events once, in position order.
    void Emit(T r)
    {
        if (r.Meta.Position > Interlocked.Read(ref lastPosition)) Interlocked.Exchange(ref lastPosition, r.Meta.Position);
        live.OnNext(r);
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<T> ReadStreamAsync(string stream, long fromVersion = 1, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var session = store.QuerySession();
        var events = (await session.Events.FetchStreamAsync(stream, token: ct).ConfigureAwait(false)).Where(e => e.Version >= fromVersion).ToList();
        // A connection for the keys only where there is something sealed to open.
        if (sealer is not null && events.Exists(e => Erasure.Sealer.IsSealed((StoredRecord)e.Data)))
            await using (var conn = dataSource.CreateConnection())
            {
                await conn.OpenAsync(ct).ConfigureAwait(false);
                await OpenAsync(conn, events.Select(e => (stream, (StoredRecord)e.Data)).ToList(), new Erasure.Sealer.KeyCache(), ct).ConfigureAwait(false);
            }
        foreach (var e in events)
            yield return Decode(e);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<T> ReadAllAsync(long fromPosition = 1, CancellationToken ct = default) => StoredAsync(fromPosition, null, static _ => true, ct);

    /// <summary>Every event of one user's streams (<c>user/…</c>), in position order.</summary>
    protected IAsyncEnumerable<T> ReadUserAsync(string user, long fromPosition = 1, CancellationToken ct = default) =>
        StoredAsync(fromPosition, Recording.UserPrefix(user), stream => Recording.UserOfStream(stream) == Some(user), ct);

    // Stored events from a position on (of the streams whose key starts with a prefix, when given), decoded, a page at a time.
    // The next page is read and decoded while the caller works through the current one (one page ahead, never more),
    // so PostgreSQL and our decoding run on one core while a replay folds on the other.
    async IAsyncEnumerable<T> StoredAsync(long fromPosition, string? streamPrefix, Func<string, bool> keep, [EnumeratorCancellation] CancellationToken ct)
    {
        // A user's pages are found by the key-range index and sorted by position, each page all over again from where the last
        // ended: larger pages for them make that work once per 5,000 events rather than per 1,000.
        var pageSize = streamPrefix is null ? 1_000 : 5_000;
        var keys = sealer is null ? null : new Erasure.Sealer.KeyCache();
        Task<Page>? next = PageAsync(fromPosition, streamPrefix, keep, pageSize, keys, ct);
        try
        {
            while (next is not null)
            {
                var page = await next.ConfigureAwait(false);
                next = page.Read < pageSize ? null : PageAsync(page.Last + 1, streamPrefix, keep, pageSize, keys, ct);
                foreach (var r in page.Records) yield return r;
            }
        }
        finally
        {
            // A caller that stops early leaves a page in flight: wait for it, so no query outlives the reader.
            if (next is not null) await next.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    // Records: the kept events of the page, decoded; Read: how many rows the query returned; Last: the position of the last of them.
    sealed record Page(List<T> Records, int Read, long Last);

    // One page as plain SQL over Marten's event table (the columns the import writes), each row read in one pass (StoredRecord.FromRow):
    // the same events QueryAllRawEvents returns, without building and compiling a LINQ query for every page.
    // Sealed values are opened with the keys read so far in this replay (keys), and those the page adds.
    async Task<Page> PageAsync(long from, string? streamPrefix, Func<string, bool> keep, int size, Erasure.Sealer.KeyCache? keys, CancellationToken ct)
    {
        await using var conn = dataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var batch = new Npgsql.NpgsqlBatch(conn);
        // A user's page is the user's rows found by the key-range index, sorted by position: with PostgreSQL's default
        // work_mem (4 MB) a 5,000-event page sorts on disk (measured: 79 ms a page, 34 ms in memory). The setting is local
        // to the batch's one implicit transaction, so the pooled connection goes back as it came.
        if (streamPrefix is not null) batch.BatchCommands.Add(new Npgsql.NpgsqlBatchCommand("select set_config('work_mem', '64MB', true)"));
        var cmd = new Npgsql.NpgsqlBatchCommand(
            // Marten writes tombstones where a failed transaction had reserved positions: they are no one's events.
            $"select seq_id, stream_id, version, data from {schema}.mt_events where seq_id >= @from and not is_archived and type <> 'tombstone'"
            + (streamPrefix is null ? "" : " and " + PrefixCondition(streamPrefix)) + " order by seq_id limit @size");
        batch.BatchCommands.Add(cmd);
        cmd.Parameters.AddWithValue("from", from);
        cmd.Parameters.AddWithValue("size", size);
        if (streamPrefix is not null) AddPrefix(cmd.Parameters, streamPrefix);
        var rows = new List<(string Stream, StoredRecord Record, long Position, long Version)>(size);
        var read = 0;
        var last = from - 1;
        await using (var reader = await batch.ExecuteReaderAsync(ct).ConfigureAwait(false))
        {
            if (streamPrefix is not null) await reader.NextResultAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                read++;
                last = reader.GetInt64(0);
                var stream = reader.GetString(1);
                if (keep(stream)) rows.Add((stream, StoredRecord.FromRow(reader, 3), last, reader.GetInt64(2)));
            }
        }
        if (keys is not null) await OpenAsync(conn, rows.Select(r => (r.Stream, r.Record)).ToList(), keys, ct).ConfigureAwait(false);
        return new Page(rows.Select(r => Decode(r.Record, r.Stream, r.Position, r.Version)).ToList(), read, last);
    }

    // The streams whose key starts with @prefix, as a range of the stream_id index in byte order ("C"): every key with the
    // prefix is at least the prefix and below it with its last character's successor, and only those are. That holds for a
    // prefix ending in an ASCII character (a user's prefix ends in '/'); any other is matched by starts_with alone.
    static bool AsRange(string prefix) => prefix.Length > 0 && prefix[^1] < 0x7F;

    static string PrefixCondition(string prefix) => AsRange(prefix)
        ? "stream_id collate \"C\" >= @prefix and stream_id collate \"C\" < @beyond and starts_with(stream_id, @prefix)"
        : "starts_with(stream_id, @prefix)";

    static void AddPrefix(Npgsql.NpgsqlCommand cmd, string prefix) => AddPrefix(cmd.Parameters, prefix);

    static void AddPrefix(Npgsql.NpgsqlParameterCollection parameters, string prefix)
    {
        parameters.AddWithValue("prefix", prefix);
        if (AsRange(prefix)) parameters.AddWithValue("beyond", prefix[..^1] + (char)(prefix[^1] + 1));
    }

    /// <summary>The tamper evidence kept beside the events.</summary>
    public Ledger Ledger => ledger;

    /// <summary>Recomputes the log's evidence (every event's leaf and chain link in scope, the whole tree, every signed tree head) and says what does not hold.</summary>
    public async Task<Verification> VerifyAsync(VerifyScope? scope = null, IProgress<long>? progress = null, CancellationToken ct = default)
    {
        using var span = Telemetry.Source.StartActivity("stringee.verify");
        span?.SetTag("db.namespace", schema);
        var verified = await Verifier.VerifyAsync(dataSource, ledger, store, scope ?? new VerifyScope.All(), progress, ct).ConfigureAwait(false);
        span?.SetTag("stringee.verify.intact", verified.Ok);
        if (!verified.Ok) span?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, "the log does not verify");
        return verified;
    }

    /// <summary>Signs a tree head over the log as it is now (the latest, when it already covers every event).</summary>
    public Task<Evidence.TreeHead> SignTreeHeadAsync(CancellationToken ct = default) => ledger.SignNowAsync(dataSource, ct);

    /// <summary>
    /// For the benchmark only (#1e, #1ge: what the evidence costs): appends and imports write no leaves, chains or heads, and seal
    /// nothing. A log written this way does not verify, and holds plaintext.
    /// </summary>
    internal bool WithoutEvidence { get; set; }

    /// <summary>Marten's serializer of the stored records.</summary>
    public global::Marten.ISerializer Serializer => store.Options.Serializer();

    /// <summary>The connection string of the log's database, without its password (what <see cref="DataSource"/> says).</summary>
    public string ConnectionString => dataSource.ConnectionString;

    /// <summary>Where the log's connections come from: the application's data source, or one the log made from a connection string.</summary>
    public Npgsql.NpgsqlDataSource DataSource => dataSource;

    /// <summary>The Marten store under this log.</summary>
    protected IDocumentStore Store => store;

    /// <summary>The database schema of this log's tables.</summary>
    protected string Schema => schema;

    /// <summary>A stored event as the record it was appended as; a stored event that cannot be read is a broken log, not an expected failure.</summary>
    protected T Decode(IEvent e) => Decode((StoredRecord)e.Data, e.StreamKey!, e.Sequence, e.Version);

    T Decode(StoredRecord stored, string stream, long position, long version) => codec.Load(stored, stream, position, version)
        .IfLeft(reason => throw new InvalidDataException($"event {position} of '{stream}' cannot be read: {reason}"));

    /// <inheritdoc />
    public IObservable<T> Subscribe(long fromPosition = 1) => Subscribe(null, fromPosition);

    /// <inheritdoc />
    public async Task<long> LastPositionAsync(string streamPrefix, CancellationToken ct = default)
    {
        await using var conn = dataSource.CreateConnection();
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var cmd = new Npgsql.NpgsqlCommand($"select coalesce(max(seq_id), 0) from {schema}.mt_events where {PrefixCondition(streamPrefix)} and not is_archived", conn);
        AddPrefix(cmd, streamPrefix);
        return Convert.ToInt64(await cmd.ExecuteScalarAsync(ct).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <inheritdoc />
    public IObservable<T> Subscribe(string? streamPrefix, long fromPosition = 1) => Observable.Create<T>(async (observer, ct) =>
    {
        // Replay, then go live under the publish gate so nothing committed in between is missed or repeated.
        // With a prefix, PostgreSQL returns that prefix's streams only (starts_with on stream_id).
        IAsyncEnumerable<T> Stored(long from) => streamPrefix is null ? ReadAllAsync(from, ct)
            : StoredAsync(from, streamPrefix, stream => stream.StartsWith(streamPrefix, StringComparison.Ordinal), ct);
        var last = fromPosition - 1;
        await foreach (var r in Stored(fromPosition).ConfigureAwait(false))
        {
            observer.OnNext(r);
            last = r.Meta.Position;
        }
        await publish.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await foreach (var r in Stored(last + 1).ConfigureAwait(false))
            {
                observer.OnNext(r);
                last = r.Meta.Position;
            }
            var from = last;
            return live.Where(r => r.Meta.Position > from && (streamPrefix is null || r.Meta.Stream.StartsWith(streamPrefix, StringComparison.Ordinal))).Subscribe(observer);
        }
        finally
        {
            publish.Release();
        }
    });

    int disposed;

    /// <summary>Writes what is queued, then closes the feed and the store; a second call does nothing (a container may hold the log under two services).</summary>
    public virtual async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        queue.Writer.TryComplete();
        await writer.ConfigureAwait(false);
        gauge.Dispose();
        live.OnCompleted();
        live.Dispose();
        await store.DisposeAsync().ConfigureAwait(false);
        if (ownsDataSource) await dataSource.DisposeAsync().ConfigureAwait(false);
        publish.Dispose();
        writing.Dispose();
        GC.SuppressFinalize(this);
    }
}
