using Marten;
using Npgsql;
using NpgsqlTypes;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// The inline projection's rows written set-based, for imports and live appends alike: one upsert per
/// table into Marten's document table (the same columns and JSON Marten writes, so its queries read
/// them back) instead of one upsert call per document. A large set (an import chunk) goes through one
/// binary COPY into a transaction-scoped staging table first; a small one (a group commit) is passed
/// as arrays in the statement itself, since a staging table costs catalog writes on every transaction.
/// </summary>
static class RowsCopy
{
    public static async Task WriteAsync(NpgsqlConnection conn, string schema, ISerializer serializer, IReadOnlyList<Rows.Change> changes, CancellationToken ct)
    {
        var conversations = changes.SelectMany(c => c.Conversations).Select(Storable).ToList();
        var messages = changes.SelectMany(c => c.Messages).Select(Storable).ToList();
        await DeleteAsync(conn, $"{schema}.mt_doc_conversation_row", changes.SelectMany(c => c.DeletedConversations).ToArray(), ct).ConfigureAwait(false);
        await DeleteAsync(conn, $"{schema}.mt_doc_message_row", changes.SelectMany(c => c.DeletedMessages).ToArray(), ct).ConfigureAwait(false);
        if (conversations.Count > 0)
            await UpsertAsync(conn, $"{schema}.mt_doc_conversation_row", ["conv_id"], conversations, r => r.Id, r => [r.User, r.ConvId], null, serializer, ct).ConfigureAwait(false);
        if (messages.Count > 0)
            await UpsertAsync(conn, $"{schema}.mt_doc_message_row", ["conv_id"], messages, r => r.Id, r => [r.User, r.ConvId], r => r.Seq, serializer, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// PostgreSQL's text and jsonb hold no U+0000: in a row's fields it reads as U+FFFD, as in the analytics views. The ids
    /// are encoded (<see cref="Rows.MessageId"/>), so rows stay apart; the events keep the exact text.
    /// </summary>
    public static string Text(string s) => s.Contains('\0', StringComparison.Ordinal) ? s.Replace('\0', '\uFFFD') : s;

    static string? TextOrNull(string? s) => s is null ? null : Text(s);

    static bool HoldsNul(string? s) => s is not null && s.Contains('\0', StringComparison.Ordinal);

    static Rows.ConversationRow Storable(Rows.ConversationRow r) =>
        HoldsNul(r.User) || HoldsNul(r.ConvId) || HoldsNul(r.Name) || HoldsNul(r.Creator) || HoldsNul(r.PinnedMsgId) || HoldsNul(r.EndedBy) || r.Participants.Any(HoldsNul)
            ? r with
            {
                User = Text(r.User), ConvId = Text(r.ConvId), Name = TextOrNull(r.Name), Creator = TextOrNull(r.Creator), PinnedMsgId = TextOrNull(r.PinnedMsgId),
                EndedBy = TextOrNull(r.EndedBy), Participants = r.Participants.Select(Text).ToArray(),
            }
            : r;

    static Rows.MessageRow Storable(Rows.MessageRow r) =>
        HoldsNul(r.User) || HoldsNul(r.ConvId) || HoldsNul(r.MsgId) || HoldsNul(r.Sender) || HoldsNul(r.RevokedBy) || r.Versions.Any(HoldsNul)
            ? r with
            {
                User = Text(r.User), ConvId = Text(r.ConvId), MsgId = Text(r.MsgId), Sender = Text(r.Sender), RevokedBy = TextOrNull(r.RevokedBy),
                Versions = r.Versions.Select(Text).ToArray(),
            }
            : r;

    static async Task DeleteAsync(NpgsqlConnection conn, string table, string[] ids, CancellationToken ct)
    {
        if (ids.Length == 0) return;
        await using var delete = new NpgsqlCommand($"delete from {table} where id = any(@ids)", conn);
        delete.Parameters.AddWithValue("ids", ids);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // Above this many rows, COPY through a staging table; up to it, arrays in one statement.
    const int Staged = 2_000;

    // Columns: id, data, mt_version, mt_dotnet_type, "user", then the text columns named, then seq when the rows have one.
    static async Task UpsertAsync<TRow>(NpgsqlConnection conn, string table, string[] textColumns, List<TRow> rows, Func<TRow, string> id,
        Func<TRow, string[]> texts, Func<TRow, long>? seq, ISerializer serializer, CancellationToken ct)
    {
        var columns = new List<string> { "id", "data", "mt_version", "mt_dotnet_type", "\"user\"" };
        columns.AddRange(textColumns);
        if (seq is not null) columns.Add("seq");
        var list = string.Join(", ", columns);
        var updates = string.Join(", ", columns.Skip(1).Select(c => $"{c} = excluded.{c}").Append("mt_last_modified = excluded.mt_last_modified"));
        var dotnetType = typeof(TRow).FullName!;
        // One row per id, the last: one upsert may not touch a row twice, and two users' ids can meet (a '/' in an id), which
        // must not fail the transaction's events. The last one wins, as it did when each document was upserted in turn.
        if (rows.Select(id).Distinct(StringComparer.Ordinal).Count() != rows.Count)
            rows = rows.Select((r, i) => (r, i)).GroupBy(x => id(x.r), StringComparer.Ordinal).Select(g => g.Last()).OrderBy(x => x.i).Select(x => x.r).ToList();
        if (rows.Count <= Staged)
        {
            var values = rows.Select(texts).ToArray();
            await using var direct = new NpgsqlCommand(
                $"insert into {table} ({list}, mt_last_modified) select {list}, transaction_timestamp() from unnest("
                + string.Join(", ", columns.Select((_, i) => $"${i + 1}")) + $") as t({list}) on conflict (id) do update set {updates}", conn);
            direct.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = rows.Select(id).ToArray() });
            direct.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb, Value = rows.Select(r => serializer.ToJson(r!)).ToArray() });
            direct.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = rows.Select(_ => Guid.CreateVersion7()).ToArray() });
            direct.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = rows.Select(_ => dotnetType).ToArray() });
            for (var t = 0; t < 1 + textColumns.Length; t++)
            {
                var column = t;
                direct.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Varchar, Value = values.Select(v => v[column]).ToArray() });
            }
            if (seq is not null) direct.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint, Value = rows.Select(seq).ToArray() });
            await direct.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            return;
        }
        var staging = "rows_import_" + (seq is null ? "conversations" : "messages");
        await using (var create = new NpgsqlCommand($"create temp table {staging} on commit drop as select {list} from {table} with no data", conn))
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using (var copy = await conn.BeginBinaryImportAsync($"copy {staging} ({list}) from stdin (format binary)", ct).ConfigureAwait(false))
        {
            foreach (var row in rows)
            {
                await copy.StartRowAsync(ct).ConfigureAwait(false);
                await copy.WriteAsync(id(row), NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                await copy.WriteAsync(serializer.ToJson(row!), NpgsqlDbType.Jsonb, ct).ConfigureAwait(false);
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, ct).ConfigureAwait(false);
                await copy.WriteAsync(dotnetType, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                foreach (var text in texts(row)) await copy.WriteAsync(text, NpgsqlDbType.Varchar, ct).ConfigureAwait(false);
                if (seq is not null) await copy.WriteAsync(seq(row), NpgsqlDbType.Bigint, ct).ConfigureAwait(false);
            }
            await copy.CompleteAsync(ct).ConfigureAwait(false);
        }
        await using var upsert = new NpgsqlCommand(
            $"insert into {table} ({list}, mt_last_modified) select {list}, transaction_timestamp() from {staging} on conflict (id) do update set {updates}", conn);
        await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
