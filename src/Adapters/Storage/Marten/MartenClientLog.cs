using JasperFx.Events.Daemon;
using JasperFx.Events.Projections;
using Marten.Events;
using Marten;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// The client's event log on Marten, with the conversation and message rows of every user kept by
/// an inline projection (<see cref="RowsProjection"/>) in the same transaction as the events; message contents in the rows
/// are sealed under their sender's key, as in the events.
/// </summary>
public sealed class MartenClientLog : MartenEventLog<Recorded>, IEventLog
{
    /// <summary>A client log in its own schema of a database; tree heads signed with <paramref name="signer"/> (default: the configured key).</summary>
    /// <param name="connectionString">The database.</param>
    /// <param name="schema">The log's schema.</param>
    /// <param name="signer">The tree-head key (default: the configured one).</param>
    /// <param name="treeHeadEvery">A signed tree head every this many events.</param>
    /// <param name="applySchema">False when the connection is the application role, which may not change the schema (the owner applied it).</param>
    public MartenClientLog(string connectionString, string schema, Evidence.TreeHeadSigner? signer = null, int treeHeadEvery = 1_000, bool applySchema = true)
        : this(connectionString, schema, new RowsProjection(), signer, treeHeadEvery, applySchema)
    {
    }

    /// <summary>A client log in its own schema on the application's data source (borrowed, not disposed with the log).</summary>
    /// <param name="dataSource">The application's data source (its pool and credentials).</param>
    /// <param name="schema">The log's schema.</param>
    /// <param name="signer">The tree-head key (default: the configured one).</param>
    /// <param name="treeHeadEvery">A signed tree head every this many events.</param>
    /// <param name="applySchema">False when the data source logs in as the application role, which may not change the schema.</param>
    public MartenClientLog(Npgsql.NpgsqlDataSource dataSource, string schema, Evidence.TreeHeadSigner? signer = null, int treeHeadEvery = 1_000, bool applySchema = true)
        : this(dataSource, schema, new RowsProjection(), signer, treeHeadEvery, applySchema)
    {
    }

    readonly RowsProjection rows;

    MartenClientLog(string connectionString, string schema, RowsProjection rows, Evidence.TreeHeadSigner? signer, int treeHeadEvery, bool applySchema)
        : base(connectionString, schema, new ClientRecords(), configure: o => Configure(o, schema), observer: rows, signer: signer, treeHeadEvery: treeHeadEvery,
            applySchema: applySchema)
    {
        this.rows = rows;
        rows.Attach(CatchUpAsync);
    }

    MartenClientLog(Npgsql.NpgsqlDataSource dataSource, string schema, RowsProjection rows, Evidence.TreeHeadSigner? signer, int treeHeadEvery, bool applySchema)
        : base(dataSource, schema, new ClientRecords(), configure: o => Configure(o, schema), observer: rows, signer: signer, treeHeadEvery: treeHeadEvery,
            applySchema: applySchema)
    {
        this.rows = rows;
        rows.Attach(CatchUpAsync);
    }

    /// <summary>An import writes the rows its events change in the same transaction, set-based (<see cref="RowsCopy"/>).</summary>
    protected override async Task<Func<Npgsql.NpgsqlConnection, CancellationToken, Task>> BesideImportAsync(IReadOnlyList<Recorded> stored, CancellationToken ct)
    {
        var changes = await rows.PlanAsync(stored.Select(r => (r.Meta.Stream, r.Event, r.Meta.Position)), ct).ConfigureAwait(false);
        return (connection, token) => WriteRowsAsync(connection, changes, token);
    }

    /// <summary>
    /// An append writes the rows its events change on the transaction's connection, set-based as an import does
    /// (<see cref="RowsCopy"/>): one statement per table, where the session's upsert of each document cost more than the events.
    /// </summary>
    protected override async Task BesideAppendAsync(IDocumentOperations session, Npgsql.NpgsqlConnection conn, IReadOnlyList<(string Stream, Recorded Record)> appended, CancellationToken ct)
    {
        var changes = await rows.PlanAsync(appended.Select(a => (a.Stream, a.Record.Event, 0L)), ct).ConfigureAwait(false);
        await WriteRowsAsync(conn, changes, ct).ConfigureAwait(false);
    }

    // A transaction's rows, written on its connection (nothing when nothing changed), their content versions sealed unless the log writes no evidence.
    async Task WriteRowsAsync(Npgsql.NpgsqlConnection conn, List<Rows.Change> changes, CancellationToken ct) =>
        await RowsCopy.WriteAsync(conn, Schema, Store.Options.Serializer(), WithoutEvidence ? changes : await SealedAsync(conn, changes, ct).ConfigureAwait(false), ct).ConfigureAwait(false);

    /// <summary>Another process recorded since this one's last transaction: the users' remembered states are caught up before use.</summary>
    protected override void OthersWrote() => rows.OthersWrote();

    /// <summary>Where the appended events were saved, so each user's state knows the last of its events.</summary>
    protected override void Saved(IReadOnlyList<Ledger.Item> items) => rows.Saved(items.Select(i => (i.Stream, i.Position)));

    // A message row keeps every version of its content sealed under the sender's key, as the events do (the sender's erasure shreds them).
    static async Task<List<Rows.Change>> SealedAsync(Npgsql.NpgsqlConnection conn, List<Rows.Change> changes, CancellationToken ct)
    {
        static string Subject(Rows.MessageRow m) => m.Sender.Length > 0 ? m.Sender : m.User;
        if (!changes.Exists(c => c.Messages.Exists(m => m.Versions.Count > 0))) return changes;
        var versions = changes.SelectMany(c => c.Messages).SelectMany(m => m.Versions.Select(v => (Subject(m), System.Text.Encoding.UTF8.GetBytes(v), 'o'))).ToList();
        var tokens = await Erasure.Sealer.SealAsync(conn, versions, ct).ConfigureAwait(false);
        var next = 0;
        return changes.Select(c => c with
        {
            Messages = c.Messages.Map(m => m with { Versions = m.Versions.Select(_ => new Json.Str(tokens[next++]).ToJsonString()).ToList() }).Strict(),
        }).ToList();
    }

    static void Configure(StoreOptions o, string schema)
    {
        o.Projections.Add(new AnalyticsProjection(schema), ProjectionLifecycle.Async);
        // Any number of processes may run the analytics (StartAnalyticsAsync): Marten's hot/cold coordination lets one of them
        // hold the projection's advisory lock and run it, the others wait to take over. Marten derives the lock from the
        // schema-qualified shard name, so the logs of one database elect their leaders apart.
        o.Projections.AsyncMode = DaemonMode.HotCold;
        o.Schema.For<Rows.ConversationRow>().DocumentAlias("conversation_row").Duplicate(r => r.User).Duplicate(r => r.ConvId);
        o.Schema.For<Rows.MessageRow>().DocumentAlias("message_row").Duplicate(r => r.User).Duplicate(r => r.ConvId).Duplicate(r => r.Seq);
    }

    global::Marten.Events.Daemon.Coordination.ProjectionCoordinator? coordinator;

    /// <summary>
    /// Joins the processes that keep the analytics tables (<c>analytics_*</c>) current: Marten's async daemon in hot/cold mode.
    /// One process in the database runs the projection; when it stops or dies (its connection, and with it the advisory
    /// lock, goes), another takes over within Marten's leadership polling time and goes on from the progress it left.
    /// </summary>
    public async Task StartAnalyticsAsync(CancellationToken ct = default)
    {
        if (coordinator is not null) return;
        var started = new global::Marten.Events.Daemon.Coordination.ProjectionCoordinator(Store, new ForwardingLogger<global::Marten.Events.Daemon.Coordination.ProjectionCoordinator>(Logger));
        if (Interlocked.CompareExchange(ref coordinator, started, null) is not null)
        {
            await started.DisposeAsync().ConfigureAwait(false);
            return;
        }
        await started.StartAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Whether this process is the one running the analytics projection now (false when it waits as a standby, or runs none).</summary>
    public async Task<bool> RunsAnalyticsAsync()
    {
        var running = coordinator;
        if (running?.Distributor is not { } distributor) return false;
        foreach (var set in await distributor.BuildDistributionAsync().ConfigureAwait(false))
            if (distributor.HasLock(set)) return true;
        return false;
    }

    /// <summary>Waits until the analytics tables include every event appended so far, or the timeout passes (false).</summary>
    public async Task<bool> WaitForAnalyticsAsync(TimeSpan timeout)
    {
        try
        {
            await Store.WaitForNonStaleProjectionDataAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        var running = Interlocked.Exchange(ref coordinator, null);
        if (running is not null)
        {
            // Stops the agents and releases the lock, so a standby takes over at once rather than after a dead connection is noticed.
            await running.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await running.DisposeAsync().ConfigureAwait(false);
        }
        await base.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>A user's read models folded from every event of that user's streams (session and conversations).</summary>
    public async Task<ReadModels> ReadModelsOfAsync(string user, CancellationToken ct = default) => (await FoldedOfAsync(user, ct).ConfigureAwait(false)).State;

    async Task<Folded<ReadModels>> FoldedOfAsync(string user, CancellationToken ct) => (await CatchUpAsync(user, ReadModels.Reducer.Start, 0, ct).ConfigureAwait(false)).State;

    // A user's state moved on by the user's committed events after a position, and the position of the last of them.
    async Task<(Folded<ReadModels> State, long AsOf)> CatchUpAsync(string user, Folded<ReadModels> state, long asOf, CancellationToken ct)
    {
        await foreach (var r in ReadUserAsync(user, asOf + 1, ct).ConfigureAwait(false))
        {
            state = ReadModels.Reducer.Step(state, r.Event);
            asOf = r.Meta.Position;
        }
        return (state, asOf);
    }

    /// <summary>
    /// Rewrites the rows where any was written before row ids were encoded (<see cref="Rows.MessageId"/>): ids holding a
    /// <c>/</c> or <c>%</c> named rows that two users could share, the last writer's winning. Every row whose id is not the
    /// encoded id of its fields is deleted, then every user's rows are written again from that user's events, one user per
    /// transaction under the tree's lock (appends wait for it). A log whose ids all match does nothing. Returns the rows
    /// deleted and the users rewritten.
    /// </summary>
    public async Task<(long Deleted, int Users)> MigrateRowsAsync(CancellationToken ct = default)
    {
        // An id as encoded from the row's fields; U+0000 (encoded %00 in ids) is U+FFFD in the fields (RowsCopy.Text).
        static string Encoded(string field) => $"replace(replace(data->>'{field}', '%', '%25'), '/', '%2F')";
        var stale = new[]
        {
            ("mt_doc_conversation_row", $"{Encoded("User")} || '/' || {Encoded("ConvId")}"),
            ("mt_doc_message_row", $"{Encoded("User")} || '/' || {Encoded("ConvId")} || '/' || {Encoded("MsgId")}"),
        }.Select(t => (Table: $"{Schema}.{t.Item1}", Condition: $"replace(id, '%00', U&'\\FFFD') <> {t.Item2}")).ToList();
        var deleted = await UnderTreeLockAsync(async conn =>
        {
            long n = 0;
            foreach (var (table, condition) in stale)
            {
                await using var delete = new Npgsql.NpgsqlCommand($"delete from {table} where {condition}", conn);
                n += await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return n;
        }, ct).ConfigureAwait(false);
        if (deleted == 0) return (0, 0);
        var users = new SortedSet<string>(StringComparer.Ordinal);
        await using (var conn = DataSource.CreateConnection())
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await using var streams = new Npgsql.NpgsqlCommand($"select id from {Schema}.mt_streams", conn);
            await using var reader = await streams.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                if (Recording.UserOfStream(reader.GetString(0)).Case is string user) users.Add(user);
        }
        foreach (var user in users)
            await UnderTreeLockAsync(async conn =>
            {
                var state = (await FoldedOfAsync(user, ct).ConfigureAwait(false)).State;
                await WriteRowsAsync(conn, [new Rows.Change(Rows.ConversationsOf(user, state), Rows.MessagesOf(user, state), Seq<string>(), Seq<string>())], ct)
                    .ConfigureAwait(false);
                return 0;
            }, ct).ConfigureAwait(false);
        return (deleted, users.Count);
    }

    /// <summary>Conversation rows of a user, as the inline projection keeps them.</summary>
    public async Task<IReadOnlyList<Rows.ConversationRow>> ConversationRowsAsync(string user, CancellationToken ct = default)
    {
        await using var session = Store.QuerySession();
        var stored = RowsCopy.Text(user);
        var rows = await session.Query<Rows.ConversationRow>().Where(r => r.User == stored).OrderBy(r => r.ConvId).ToListAsync(ct).ConfigureAwait(false);
        return OfUser(rows, user, r => r.Id);
    }

    // The user column shows U+0000 as U+FFFD (RowsCopy.Text): the ids, encoded, say which of the rows found are this user's.
    static IReadOnlyList<TRow> OfUser<TRow>(IReadOnlyList<TRow> rows, string user, Func<TRow, string> id)
    {
        var prefix = Rows.IdPrefix(user);
        return rows.All(r => id(r).StartsWith(prefix, StringComparison.Ordinal)) ? rows : rows.Where(r => id(r).StartsWith(prefix, StringComparison.Ordinal)).ToList();
    }

    /// <summary>Message rows of a user (one conversation, or all when <paramref name="convId"/> is null), by conversation and seq.</summary>
    public async Task<IReadOnlyList<Rows.MessageRow>> MessageRowsAsync(string user, string? convId = null, CancellationToken ct = default)
    {
        await using var session = Store.QuerySession();
        var storedUser = RowsCopy.Text(user);
        var q = session.Query<Rows.MessageRow>().Where(r => r.User == storedUser);
        var storedConv = convId is null ? null : RowsCopy.Text(convId);
        if (storedConv is not null) q = q.Where(r => r.ConvId == storedConv);
        var rows = OfUser(await q.OrderBy(r => r.ConvId).ThenBy(r => r.Seq).ToListAsync(ct).ConfigureAwait(false), user, r => r.Id);
        if (convId is not null && !ReferenceEquals(storedConv, convId))
        {
            var prefix = Rows.ConversationId(user, convId) + "/";
            rows = rows.Where(r => r.Id.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        }
        // The rows keep content as the events hold it, sealed: opened here with the keys that still exist.
        var ids = rows.SelectMany(r => r.Versions).Choose(v => Erasure.Sealer.KeyIdOf(v)).ToList();
        if (ids.Count == 0) return rows;
        var keys = new Erasure.Sealer.KeyCache();
        await using (var conn = DataSource.CreateConnection())
        {
            await conn.OpenAsync(ct).ConfigureAwait(false);
            await Erasure.Sealer.LoadAsync(conn, keys, ids, ct).ConfigureAwait(false);
        }
        return rows.Select(r => r with { Versions = r.Versions.Select(v => Erasure.Sealer.OpenText(v, keys)).ToList() }).ToList();
    }
}

// Marten's coordinator logs through the log's own logger.
sealed class ForwardingLogger<TCategory>(Microsoft.Extensions.Logging.ILogger inner) : Microsoft.Extensions.Logging.ILogger<TCategory>
{
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => inner.IsEnabled(logLevel);
    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
        Func<TState, Exception?, string> formatter) => inner.Log(logLevel, eventId, state, exception, formatter);
}
