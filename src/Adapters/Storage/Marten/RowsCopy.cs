using Marten;
using Npgsql;
using NpgsqlTypes;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// The inline projection's rows written set-based, for imports: every changed row of a chunk goes
/// through one binary COPY into a transaction-scoped staging table and one upsert into Marten's
/// document table (the same columns and JSON Marten writes, so its queries read them back), instead
/// of one upsert call per document.
/// </summary>
static class RowsCopy
{
    public static async Task WriteAsync(NpgsqlConnection conn, string schema, ISerializer serializer, IReadOnlyList<Rows.Change> changes, CancellationToken ct)
    {
        var conversations = changes.SelectMany(c => c.Conversations).ToList();
        var messages = changes.SelectMany(c => c.Messages).ToList();
        await DeleteAsync(conn, $"{schema}.mt_doc_conversation_row", changes.SelectMany(c => c.DeletedConversations).ToArray(), ct).ConfigureAwait(false);
        await DeleteAsync(conn, $"{schema}.mt_doc_message_row", changes.SelectMany(c => c.DeletedMessages).ToArray(), ct).ConfigureAwait(false);
        if (conversations.Count > 0)
            await UpsertAsync(conn, $"{schema}.mt_doc_conversation_row", ["conv_id"], conversations, r => r.Id, r => [r.User, r.ConvId], null, serializer, ct).ConfigureAwait(false);
        if (messages.Count > 0)
            await UpsertAsync(conn, $"{schema}.mt_doc_message_row", ["conv_id"], messages, r => r.Id, r => [r.User, r.ConvId], r => r.Seq, serializer, ct).ConfigureAwait(false);
    }

    static async Task DeleteAsync(NpgsqlConnection conn, string table, string[] ids, CancellationToken ct)
    {
        if (ids.Length == 0) return;
        await using var delete = new NpgsqlCommand($"delete from {table} where id = any(@ids)", conn);
        delete.Parameters.AddWithValue("ids", ids);
        await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    // Columns: id, data, mt_version, mt_dotnet_type, "user", then the text columns named, then seq when the rows have one.
    static async Task UpsertAsync<TRow>(NpgsqlConnection conn, string table, string[] textColumns, List<TRow> rows, Func<TRow, string> id,
        Func<TRow, string[]> texts, Func<TRow, long>? seq, ISerializer serializer, CancellationToken ct)
    {
        var columns = new List<string> { "id", "data", "mt_version", "mt_dotnet_type", "\"user\"" };
        columns.AddRange(textColumns);
        if (seq is not null) columns.Add("seq");
        var list = string.Join(", ", columns);
        var staging = "rows_import_" + (seq is null ? "conversations" : "messages");
        await using (var create = new NpgsqlCommand($"create temp table {staging} on commit drop as select {list} from {table} with no data", conn))
            await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var dotnetType = typeof(TRow).FullName!;
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
        var updates = string.Join(", ", columns.Skip(1).Select(c => $"{c} = excluded.{c}").Append("mt_last_modified = excluded.mt_last_modified"));
        await using var upsert = new NpgsqlCommand(
            $"insert into {table} ({list}, mt_last_modified) select {list}, transaction_timestamp() from {staging} on conflict (id) do update set {updates}", conn);
        await upsert.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
