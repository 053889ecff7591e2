using System.Security.Cryptography;
using System.Text;
using LanguageExt;
using Npgsql;
using static LanguageExt.Prelude;

namespace EventSourced.Adapters.Storage;

/// <summary>
/// The application's own PostgreSQL login: it reads, appends, and keeps the derived rows, but cannot UPDATE or DELETE a recorded event,
/// a leaf hash, a signed tree head or a purge record, nor TRUNCATE them. The owner (the configured login) applies the schema, grants, and
/// alone purges. One role per tool home (<c>stringee_es_app_</c> and a hash of the home), its password in the home's 0600 <c>keys/app-role.secret</c>.
/// Where the configured login may not create roles, the application runs as that login, and <see cref="Database.AppRole"/> says so.
/// </summary>
public static class AppRole
{
    /// <summary>The tables whose rows are the record: the application inserts them and never changes or removes one.</summary>
    public static readonly string[] RecordTables = ["mt_events", "evidence_leaves", "evidence_tree_heads", "evidence_purged"];

    static string Name => "stringee_es_app_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EmbeddedPostgres.DefaultHome)))[..10];

    static string Secret()
    {
        var path = Path.Combine(EmbeddedPostgres.DefaultHome, "keys", "app-role.secret");
        if (File.Exists(path)) return File.ReadAllText(path).Trim();
        var folder = Path.GetDirectoryName(path)!;
        if (!Directory.Exists(folder))
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
            else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
        var secret = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var f = new FileStream(temp, options))
        using (var w = new StreamWriter(f))
            w.Write(secret);
        try
        {
            File.Move(temp, path, overwrite: false);
            return secret;
        }
        catch (IOException) when (File.Exists(path))
        {
            File.Delete(temp); // another process made it first: theirs stands
            return File.ReadAllText(path).Trim();
        }
    }

    /// <summary>Creates (or keeps) the role; its connection string, or None when the configured login may not create roles.</summary>
    public static async Task<Option<(string Role, string ConnectionString)>> EnsureAsync(string ownerConnectionString, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using (var may = new NpgsqlCommand("select rolsuper or rolcreaterole from pg_roles where rolname = current_user", conn))
            if (await may.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true) return None;
        var (name, secret) = (Name, Secret());
        // Role DDL takes no parameters: the name is [a-z0-9_] and the secret hex, so both are safe literals.
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        await using (var guard = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext('stringee-es roles'))", conn, tx)) await guard.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using (var create = new NpgsqlCommand($"""
            do $$ begin
              if not exists (select from pg_roles where rolname = '{name}') then create role {name} login password '{secret}';
              else alter role {name} login password '{secret}'; end if;
            end $$;
            """, conn, tx)) await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
        var app = new NpgsqlConnectionStringBuilder(ownerConnectionString) { Username = name, Password = secret }.ConnectionString;
        return (name, app);
    }

    /// <summary>What the role may do in a log's schema (run by the owner after the schema is applied).</summary>
    public static async Task GrantAsync(string ownerConnectionString, string role, string schema, CancellationToken ct)
    {
        await using var conn = new NpgsqlConnection(ownerConnectionString);
        await conn.OpenAsync(ct).ConfigureAwait(false);
        await using var tx = await conn.BeginTransactionAsync(ct).ConfigureAwait(false);
        // Concurrent GRANTs on one object fail ("tuple concurrently updated"): one process at a time.
        await using (var guard = new NpgsqlCommand("select pg_advisory_xact_lock(hashtext('stringee-es roles'))", conn, tx)) await guard.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        var record = string.Join(", ", RecordTables.Select(t => $"{schema}.{t}"));
        await using (var grant = new NpgsqlCommand($"""
            grant usage on schema {schema} to {role};
            grant select, insert, update, delete on all tables in schema {schema} to {role};
            revoke update, delete, truncate on {record} from {role};
            revoke insert on {schema}.evidence_purged from {role};
            grant usage, select, update on all sequences in schema {schema} to {role};
            grant execute on all functions in schema {schema} to {role};
            """, conn, tx)) await grant.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await using (var exists = new NpgsqlCommand($"select to_regclass('{Erasure.SubjectKeys.Schema}.subject_keys') is not null", conn, tx))
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is true)
                await using (var keys = new NpgsqlCommand(Erasure.SubjectKeys.Grants(role), conn, tx)) await keys.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        await tx.CommitAsync(ct).ConfigureAwait(false);
    }
}
