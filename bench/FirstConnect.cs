using System.Diagnostics;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Server;
using EventSourced.Adapters.Storage;
using EventSourced.Domain.Server;
using static LanguageExt.Prelude;

namespace EventSourced.Bench;

/// <summary>
/// #11: a client's first connect on a database created a moment before (the log opened, then ConnectAsync and the first
/// message confirmed), beside the same connect with an in-memory log, against one in-process server.
/// </summary>
static class FirstConnect
{
    public sealed record Result(double OpenSeconds, double ConnectSeconds, double InMemorySeconds);

    public static async Task<Result> RunAsync(string ownerConnectionString)
    {
        await using var server = await StringeeServer.StartAsync(ServerConfig.Default);
        var name = $"first_connect_{Guid.NewGuid():N}"[..30];
        await using (var conn = new Npgsql.NpgsqlConnection(ownerConnectionString))
        {
            await conn.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"create database {name}", conn);
            await create.ExecuteNonQueryAsync();
        }
        try
        {
            var cs = new Npgsql.NpgsqlConnectionStringBuilder(ownerConnectionString) { Database = name }.ConnectionString;
            var open = Stopwatch.StartNew();
            await using var db = (await Database.OpenAsync(cs, null)).Match(d => d, e => throw new InvalidOperationException(e.Message));
            await using var log = await db.ClientLogAsync();
            var opened = open.Elapsed.TotalSeconds;
            var connect = await ConnectAndSendAsync(server, log, "first");
            var inMemory = await ConnectAndSendAsync(server, null, "memory");
            return new Result(opened, connect, inMemory);
        }
        finally
        {
            Npgsql.NpgsqlConnection.ClearAllPools();
            await using var conn = new Npgsql.NpgsqlConnection(ownerConnectionString);
            await conn.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"drop database if exists {name} with (force)", conn);
            await drop.ExecuteNonQueryAsync();
        }
    }

    static async Task<double> ConnectAndSendAsync(StringeeServer server, IEventLog? log, string user)
    {
        var clock = Stopwatch.StartNew();
        await using var client = new StringeeClient(new ClientOptions(Seq1(new Uri(server.Url))) { Log = log });
        var token = TokenIssuer.Issue(server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 3600, user);
        await client.ConnectAsync(token).OrThrowAsync();
        var conv = await client.CreateConversationAsync(Seq1("someone")).OrThrowAsync();
        await client.SendTextAsync(conv.Id, "first message").OrThrowAsync();
        return clock.Elapsed.TotalSeconds;
    }
}
