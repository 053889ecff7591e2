using System.Security.Cryptography;
using Npgsql;

namespace EventSourced.Adapters.Storage.Erasure;

/// <summary>
/// One AES-256 key per data subject, in its own table (<c>erasure.subject_keys</c>) shared by every log of the
/// database. A subject is stored as a SHA-256 hash (an erased ticket's address is not kept in clear); its live key
/// is made on first use by whoever appends (the application role may insert and read, never update or delete).
/// Erasing a subject replaces its key with a tombstone (who, when) and vacuums the table, so the key's bytes are
/// not left in a dead row; every value sealed under it then reads <c>[erased]</c>. A subject who appears again
/// after an erasure gets a new key.
/// </summary>
public static class SubjectKeys
{
    /// <summary>The schema of the keys table and its SQL functions.</summary>
    public const string Schema = "erasure";

    /// <summary>The marker every sealed value starts with (a control character no plaintext field of ours begins with).</summary>
    public const string TokenPrefix = "\u0001sealed:";

    static string Ddl => $$"""
        create schema if not exists {{Schema}};
        create table if not exists {{Schema}}.subject_keys (
          id bigint generated always as identity primary key,
          subject_hash bytea not null,
          key bytea,
          created_at timestamptz not null default now(),
          erased_at timestamptz,
          erased_by text,
          check ((key is null) = (erased_at is not null)));
        create unique index if not exists subject_keys_live on {{Schema}}.subject_keys (subject_hash) where key is not null;
        create or replace function {{Schema}}.token(v jsonb) returns text language sql immutable as $$
          select case jsonb_typeof(v)
            when 'string' then case when starts_with(v #>> '{}', E'\x01sealed:') then v #>> '{}' end
            when 'object' then case when starts_with(v ->> E'\x01sealed', E'\x01sealed:') then v ->> E'\x01sealed' end end
        $$;
        create or replace function {{Schema}}.shown(v jsonb, field text default null) returns text language sql stable as $$
          select case
            when v is null then null
            when {{Schema}}.token(v) is not null then
              case when exists (select 1 from {{Schema}}.subject_keys k where k.id = split_part({{Schema}}.token(v), ':', 3)::bigint and k.key is null)
                   then '[erased]' else '[sealed ' || split_part({{Schema}}.token(v), ':', 5) || ']' end
            when field is null then v #>> '{}'
            else v ->> field end
        $$;
        create or replace function {{Schema}}.same(v jsonb) returns text language sql immutable as $$
          select coalesce('sealed:' || split_part({{Schema}}.token(v), ':', 5), v #>> '{}')
        $$;
        """;

    /// <summary>Creates the table and functions (the owner, once per database; concurrent openers wait for each other).</summary>
    public static async Task InitializeAsync(NpgsqlConnection owner, CancellationToken ct)
    {
        await using var tx = await owner.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var guard = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext('stringee-es erasure'))", owner, tx)) await guard.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using (var ddl = new NpgsqlCommand(Ddl, owner, tx)) await ddl.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }

    /// <summary>What the application role may do: read keys and add them.</summary>
    public static string Grants(string role) => $"""
        grant usage on schema {Schema} to {role};
        grant select, insert on {Schema}.subject_keys to {role};
        grant execute on all functions in schema {Schema} to {role};
        """;

    /// <summary>How a subject is stored.</summary>
    public static byte[] Hash(string subject) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes("stringee-es subject v1\n" + subject));

    /// <summary>A subject's live key.</summary>
    public sealed record Key(long Id, byte[] Bytes);

    /// <summary>The live key of each subject, made where there is none, on the caller's connection (inside its transaction).</summary>
    public static async Task<Dictionary<string, Key>> ForAsync(NpgsqlConnection conn, IReadOnlyCollection<string> subjects, CancellationToken ct)
    {
        var result = new Dictionary<string, Key>(subjects.Count, StringComparer.Ordinal);
        if (subjects.Count == 0) return result;
        var bySubject = subjects.Distinct(StringComparer.Ordinal).ToDictionary(s => s, s => Convert.ToHexString(Hash(s)), StringComparer.Ordinal);
        var byHash = bySubject.ToDictionary(kv => kv.Value, kv => kv.Key, StringComparer.Ordinal);
        var hashes = bySubject.Values.Select(Convert.FromHexString).ToArray();
        var fresh = hashes.Select(_ => RandomNumberGenerator.GetBytes(32)).ToArray();
        // The insert's rows and the ones already there; a row another transaction was inserting at the same moment is
        // not visible to this statement's snapshot, so what is still missing is read again by a second one.
        await ReadAsync($"""
            with made as (
              insert into {Schema}.subject_keys (subject_hash, key) select h, k from unnest(@hashes, @keys) as t(h, k)
              on conflict (subject_hash) where key is not null do nothing returning id, subject_hash, key)
            select id, subject_hash, key from made
            union all select id, subject_hash, key from {Schema}.subject_keys where subject_hash = any(@hashes) and key is not null
            """, hashes, fresh).ConfigureAwait(false);
        var missing = hashes.Where(h => !result.ContainsKey(byHash[Convert.ToHexString(h)])).ToArray();
        if (missing.Length > 0)
            await ReadAsync($"select id, subject_hash, key from {Schema}.subject_keys where subject_hash = any(@hashes) and key is not null", missing, null).ConfigureAwait(false);
        foreach (var s in bySubject.Keys)
            if (!result.ContainsKey(s)) throw new InvalidOperationException($"no key could be made for a subject (hash {bySubject[s][..16]}…)");
        return result;

        async Task ReadAsync(string sql, byte[][] h, byte[][]? k)
        {
            await using var cmd = new NpgsqlCommand(sql, conn);
            cmd.Parameters.AddWithValue("hashes", h);
            if (k is not null) cmd.Parameters.AddWithValue("keys", k);
            await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
                result[byHash[Convert.ToHexString((byte[])reader[1])]] = new Key(reader.GetInt64(0), (byte[])reader[2]);
        }
    }

    /// <summary>Keys by id: the bytes, or null where the key was erased (or never existed).</summary>
    public static async Task<Dictionary<long, byte[]?>> ByIdAsync(NpgsqlConnection conn, IReadOnlyCollection<long> ids, CancellationToken ct)
    {
        var result = ids.Distinct().ToDictionary(id => id, _ => (byte[]?)null);
        if (result.Count == 0) return result;
        await using var cmd = new NpgsqlCommand($"select id, key from {Schema}.subject_keys where id = any(@ids)", conn);
        cmd.Parameters.AddWithValue("ids", result.Keys.ToArray());
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) result[reader.GetInt64(0)] = reader.IsDBNull(1) ? null : (byte[])reader[1];
        return result;
    }

    /// <summary>The ids of a subject's keys, live or erased (none when the subject never had data sealed).</summary>
    public static async Task<Seq<(long Id, bool Erased)>> OfAsync(NpgsqlConnection conn, string subject, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"select id, key is null from {Schema}.subject_keys where subject_hash = @h order by id", conn);
        cmd.Parameters.AddWithValue("h", Hash(subject));
        var ids = new List<(long, bool)>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add((reader.GetInt64(0), reader.GetBoolean(1)));
        return toSeq(ids);
    }

    /// <summary>
    /// Destroys a subject's live key (as the owner, inside the caller's transaction): the row keeps its id, the time and
    /// who erased, never the key. Returns the ids destroyed (none when nothing of the subject was sealed).
    /// </summary>
    public static async Task<Seq<long>> EraseAsync(NpgsqlConnection owner, string subject, string by, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand(
            $"update {Schema}.subject_keys set key = null, erased_at = now(), erased_by = @by where subject_hash = @h and key is not null returning id", owner);
        cmd.Parameters.AddWithValue("h", Hash(subject));
        cmd.Parameters.AddWithValue("by", by);
        var ids = new List<long>();
        await using var reader = await cmd.ExecuteReaderAsync(ct).ConfigureAwait(false);
        while (await reader.ReadAsync(ct).ConfigureAwait(false)) ids.Add(reader.GetInt64(0));
        return toSeq(ids);
    }

    /// <summary>Rewrites the keys table (VACUUM FULL, outside any transaction), so no destroyed key survives in a dead row of it.</summary>
    public static async Task VacuumAsync(NpgsqlConnection owner, CancellationToken ct)
    {
        await using var cmd = new NpgsqlCommand($"vacuum full {Schema}.subject_keys", owner);
        await cmd.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }
}
