using EventSourced.Adapters.Storage;
using Npgsql;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>The private cluster: never adopted, never shared with strangers, never stopped by a process that did not start it.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class EmbeddedPostgresTests
{
    static string Fresh() => Path.Combine(Path.GetTempPath(), $"stringee-es-pgtest-{Guid.NewGuid():N}");

    [Fact]
    public async Task A_planted_data_folder_is_refused_not_adopted()
    {
        var root = Fresh();
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "15\n");
        await File.WriteAllTextAsync(Path.Combine(data, "postgresql.auto.conf"), "archive_command = 'touch /tmp/pwned'\n");
        try
        {
            var started = await EmbeddedPostgres.StartAsync(data, connectionString: "");
            Assert.True(started.IsFail);
            Assert.Contains("not created by stringee-es", started.Match(_ => "", e => e.Message), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task One_process_owns_the_cluster_another_attaches_and_leaves_it_running_and_logins_need_the_password()
    {
        var root = Fresh();
        var data = Path.Combine(root, "data");
        var owner = (await EmbeddedPostgres.StartAsync(data, connectionString: "")).Match(p => p, e => throw new InvalidOperationException(e.Message));
        try
        {
            Assert.True(owner.Owned);
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(data));
            var attached = (await EmbeddedPostgres.StartAsync(data, connectionString: "")).Match(p => p, e => throw new InvalidOperationException(e.Message));
            Assert.False(attached.Owned);
            Assert.True((await attached.StopAsync(crash: false)).IsFail, "a process that attached cannot stop the cluster");
            await attached.DisposeAsync();
            await using (var conn = new NpgsqlConnection(owner.ConnectionString))
            {
                await conn.OpenAsync();
                Assert.Equal(System.Data.ConnectionState.Open, conn.State);
            }
            var noPassword = new NpgsqlConnectionStringBuilder(owner.ConnectionString) { Password = null }.ConnectionString;
            await using var stranger = new NpgsqlConnection(noPassword);
            await Assert.ThrowsAnyAsync<NpgsqlException>(() => stranger.OpenAsync());
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(data, EmbeddedPostgres.MarkerFile)));
        }
        finally
        {
            await owner.DisposeAsync();
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_cluster_folder_opened_to_others_is_refused()
    {
        var root = Fresh();
        var data = Path.Combine(root, "data");
        var owner = (await EmbeddedPostgres.StartAsync(data, connectionString: "")).Match(p => p, e => throw new InvalidOperationException(e.Message));
        await owner.DisposeAsync();
        try
        {
            File.SetUnixFileMode(data, File.GetUnixFileMode(data) | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
            var again = await EmbeddedPostgres.StartAsync(data, connectionString: "");
            Assert.True(again.IsFail);
            Assert.Contains("mode 705", again.Match(_ => "", e => e.Message), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
