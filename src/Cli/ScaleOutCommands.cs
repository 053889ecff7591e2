using System.CommandLine;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Server;
using EventSourced.Adapters.Storage;
using LanguageExt;
using Microsoft.Extensions.Logging;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>
/// record and analytics: the commands a recording lab runs many of against one PostgreSQL. Each <c>record</c> is one
/// user's client recording everything it sends and receives into the shared client log; each <c>analytics</c> joins the
/// processes that keep the analytics tables current (one runs Marten's daemon, the others stand by to take over).
/// </summary>
public static class ScaleOutCommands
{
    /// <summary><c>record</c>: connect as a user and record into the client log until Ctrl+C.</summary>
    public static Command Record(System.CommandLine.Option<string?> pg, System.CommandLine.Option<string?> data, System.CommandLine.Option<string?> config)
    {
        var server = new System.CommandLine.Option<string>("--server") { Description = "the Stringee server's WebSocket address (ws:// or wss://)", Required = true };
        var rest = new System.CommandLine.Option<string?>("--rest") { Description = "its REST address (default: the server's host over http(s))" };
        var user = new System.CommandLine.Option<string?>("--user") { Description = "the user to connect as (a token is signed with the configured key)" };
        var token = new System.CommandLine.Option<string?>("--token") { Description = "an access token to connect with instead (a real Stringee project's)" };
        var command = new Command("record",
            "connect as one user and record everything the client sends and receives into the client log until Ctrl+C (run one per agent; many may share a database)")
            { server, rest, user, token, config, pg, data };
        command.SetAction((parse, ct) => RecordAsync(parse.GetValue(server)!, parse.GetValue(rest), parse.GetValue(user), parse.GetValue(token),
            parse.GetValue(config), parse.GetValue(pg), parse.GetValue(data), ct));
        return command;
    }

    /// <summary><c>analytics</c>: keep the analytics tables current, or stand by to, until Ctrl+C.</summary>
    public static Command Analytics(System.CommandLine.Option<string?> pg, System.CommandLine.Option<string?> data)
    {
        var command = new Command("analytics",
            "keep the client log's analytics tables current with Marten's async daemon until Ctrl+C; with several running, one works and the others take over if it stops")
            { pg, data };
        command.SetAction((parse, ct) => AnalyticsAsync(parse.GetValue(pg), parse.GetValue(data), ct));
        return command;
    }

    static async Task<int> RecordAsync(string serverText, string? restText, string? user, string? token, string? configPath, string? pg, string? data, CancellationToken ct)
    {
        if (!Uri.TryCreate(serverText, UriKind.Absolute, out var serverUri) || serverUri.Scheme is not ("ws" or "wss"))
            return Tools.Fail($"record: --server must be a ws:// or wss:// address, not '{Terminal.Plain(serverText)}'");
        Uri? restUri;
        if (restText is null) restUri = new UriBuilder(serverUri) { Scheme = serverUri.Scheme == "wss" ? "https" : "http", Path = "/", Port = serverUri.Port }.Uri;
        else if (!Uri.TryCreate(restText, UriKind.Absolute, out restUri) || restUri.Scheme is not ("http" or "https"))
            return Tools.Fail($"record: --rest must be an http:// or https:// address, not '{Terminal.Plain(restText)}'");
        if ((user is null) == (token is null)) return Tools.Fail("record: give --user (a token signed with the configured key) or --token, not both");
        if (token is null)
        {
            var loaded = configPath is null ? ServerConfig.Default : ServerConfig.Load(configPath).Match(c => c, e => throw new InvalidOperationException($"config: {e.Message}"));
            token = TokenIssuer.Issue(loaded.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 24 * 3600, Optional(user!));
        }
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct).ConfigureAwait(false);
        if (opened.IsFail) return Tools.Fail($"PostgreSQL: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        await using var log = await db.ClientLogAsync(ct).ConfigureAwait(false);
        var client = new StringeeClient(new ClientOptions(Seq1(serverUri), restUri)
            { Log = log, Logger = Tools.Loggers.CreateLogger("stringee-es.record") });
        await using (client.ConfigureAwait(false))
        {
            var connected = await client.ConnectAsync(token, ct).ConfigureAwait(false);
            if (connected.IsFail) return Tools.Fail($"record: connect: {connected.Match(_ => "", e => $"{e.Code} {e.Message}")}");
            var from = log.LastPosition;
            Console.WriteLine($"recording {Terminal.Plain(client.UserId)} from {Terminal.Plain(serverUri.ToString())} into the client log; press Ctrl+C to stop");
            try
            {
                await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Ctrl+C: disconnect cleanly; everything acknowledged is already in the log.
            }
            await client.DisconnectAsync(CancellationToken.None).ConfigureAwait(false);
            Console.WriteLine($"stopped; the client log was at position {from} when this recorder connected and is at {log.LastPosition} as this process last saw it");
        }
        return 0;
    }

    static async Task<int> AnalyticsAsync(string? pg, string? data, CancellationToken ct)
    {
        var opened = await Database.OpenAsync(pg, data, Tools.Loggers, ct).ConfigureAwait(false);
        if (opened.IsFail) return Tools.Fail($"PostgreSQL: {opened.Match(_ => "", e => e.Message)}");
        await using var db = (Database)opened;
        await using var log = await db.ClientLogAsync(ct).ConfigureAwait(false);
        await log.StartAnalyticsAsync(ct).ConfigureAwait(false);
        Console.WriteLine("analytics: joined the daemons of the client log; press Ctrl+C to stop");
        bool? leading = null;
        try
        {
            while (true)
            {
                var now = await log.RunsAnalyticsAsync().ConfigureAwait(false);
                if (now != leading)
                {
                    Console.WriteLine(now
                        ? "analytics: active: this process runs the analytics projection"
                        : "analytics: standby: another process runs the analytics projection; this one takes over if it stops");
                    leading = now;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            // Ctrl+C: disposing the log stops the daemon and releases the lock, so a standby takes over at once.
        }
        Console.WriteLine("analytics: stopped");
        return 0;
    }
}
