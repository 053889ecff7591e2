using System.CommandLine;
using EventSourced.Adapters.Server;
using Microsoft.Extensions.Logging;
using LanguageExt;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>Entry point of <c>stringee-es</c>.</summary>
public static partial class Program
{
    /// <summary>Parses the command line and runs the command.</summary>
    public static Task<int> Main(string[] args)
    {
        // Redirected output has no terminal width: COLUMNS when it is set, else wide enough that no table wraps a cell (an id
        // cut over two lines is no longer greppable), rather than Spectre's 80.
        if (Console.IsOutputRedirected)
            Spectre.Console.AnsiConsole.Profile.Width =
                int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 20 ? columns : 4096;
        var parsed = Root().Parse(args);
        // A mistyped command line is answered with what is wrong (and a suggestion), not the whole help: --help shows that.
        if (parsed.Action is System.CommandLine.Invocation.ParseErrorAction error) error.ShowHelp = false;
        return InvokeAsync(parsed);
    }

    // Ctrl+C (or SIGTERM) cancels the command's token: the command stops where it is and says so in one line, exit code 130
    // as shells expect. Any other failure is one line too; its stack goes to the diagnostics (STRINGEE_ES_LOG_LEVEL=Debug).
    static async Task<int> InvokeAsync(ParseResult parsed)
    {
        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = TimeSpan.FromSeconds(15) }).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            await Console.Error.WriteLineAsync("interrupted: the command stopped before it finished (the event logs keep only whole transactions; an output file it was writing is incomplete)")
                .ConfigureAwait(false);
            return 130;
        }
        catch (Exception ex)
        {
            var logger = Tools.Loggers.CreateLogger("stringee-es");
            LogFailed(logger, ex);
            await Console.Error.WriteLineAsync($"error: {Terminal.Plain(ex.GetBaseException().Message)}").ConfigureAwait(false);
            return 1;
        }
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Debug, Message = "The command failed")]
    static partial void LogFailed(Microsoft.Extensions.Logging.ILogger logger, Exception error);

    static RootCommand Root()
    {
        var root = new RootCommand("stringee-es: an event-sourced Stringee chat client, with a local Stringee-compatible server");
        root.Subcommands.Add(ServerCommand());
        root.Subcommands.Add(TokenCommand());
        root.Subcommands.Add(ConfigCommand());
        root.Subcommands.Add(DemoCommand());
        root.Subcommands.Add(ScaleOutCommands.Record(PgOption(), DataOption(), ConfigOption()));
        root.Subcommands.Add(ScaleOutCommands.Analytics(PgOption(), DataOption()));
        root.Subcommands.Add(DbCommand());
        root.Subcommands.Add(ReplayCommand());
        root.Subcommands.Add(AuditCommand());
        root.Subcommands.Add(ExportCommand());
        root.Subcommands.Add(StatsCommand());
        root.Subcommands.Add(ReportCommand());
        root.Subcommands.Add(VerifyCommand());
        root.Subcommands.Add(TreeHeadCommand());
        root.Subcommands.Add(MigrateCommand());
        root.Subcommands.Add(HoldCommand());
        root.Subcommands.Add(PurgeCommand());
        root.Subcommands.Add(EraseCommand());
        return root;
    }

    // --output json: one JSON document on standard output, nothing else there (no progress, no tables), for scripts.
    static System.CommandLine.Option<string> OutputOption()
    {
        var output = new System.CommandLine.Option<string>("--output") { Description = "text (tables) or json (one JSON document on standard output)", DefaultValueFactory = _ => "text" };
        output.AcceptOnlyFromAmong("text", "json");
        return output;
    }

    static System.CommandLine.Option<string?> ConfigOption() => new("--config") { Description = "JSON configuration file (default: the built-in local configuration)" };

    static Either<string, ServerConfig> LoadConfig(string? path) =>
        path is null ? ServerConfig.Default : ServerConfig.Load(path).Match(Succ: c => Right<string, ServerConfig>(c), Fail: e => Left<string, ServerConfig>(e.Message));

    static Command ServerCommand()
    {
        var port = new System.CommandLine.Option<int>("--port") { Description = "port to listen on (0 picks a free one)", DefaultValueFactory = _ => 5080 };
        var bind = new System.CommandLine.Option<string>("--bind") { Description = "address to listen on (non-loopback needs keys of your own in --config)", DefaultValueFactory = _ => "127.0.0.1" };
        var inMemory = new System.CommandLine.Option<bool>("--in-memory") { Description = "keep the server's record in memory only: everything is lost when it stops (ids still never repeat)" };
        var config = ConfigOption();
        var pg = PgOption();
        var data = DataOption();
        var command = new Command("server", "run the local Stringee-compatible server, recording in PostgreSQL (the private cluster unless --pg)") { port, bind, config, pg, data, inMemory };
        command.SetAction(async (parse, ct) =>
        {
            var loaded = LoadConfig(parse.GetValue(config));
            if (loaded.IsLeft)
            {
                await Console.Error.WriteLineAsync($"config: {loaded.LeftToSeq().Head}").ConfigureAwait(false);
                return 2;
            }
            if (!System.Net.IPAddress.TryParse(parse.GetValue(bind), out var address))
            {
                await Console.Error.WriteLineAsync($"server: --bind must be an IP address, not '{Terminal.Plain(parse.GetValue(bind) ?? "")}'").ConfigureAwait(false);
                return 2;
            }
            if (parse.GetValue(port) is < 0 or > 65535)
            {
                await Console.Error.WriteLineAsync("server: --port must be between 0 and 65535").ConfigureAwait(false);
                return 2;
            }
            var cfg = (ServerConfig)loaded;
            if (!System.Net.IPAddress.IsLoopback(address) && cfg.UsesBuiltInSecret)
            {
                await Console.Error.WriteLineAsync("server: the built-in API secret is public; listening beyond loopback needs keys of your own (--config)").ConfigureAwait(false);
                return 2;
            }
            using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true));
            var logger = loggers.CreateLogger("stringee-es.server");
            EventSourced.Adapters.Storage.Database? db = null;
            EventSourced.Adapters.Storage.IEventLog<EventSourced.Domain.Server.ServerRecorded>? log = null;
            if (!parse.GetValue(inMemory))
            {
                var opened = await EventSourced.Adapters.Storage.Database.OpenAsync(parse.GetValue(pg), parse.GetValue(data), loggers, ct).ConfigureAwait(false);
                if (opened.IsFail)
                {
                    await Console.Error.WriteLineAsync($"server: {opened.Match(_ => "", e => e.Message)}").ConfigureAwait(false);
                    return 2;
                }
                db = (EventSourced.Adapters.Storage.Database)opened;
                log = await db.ServerLogAsync(ct).ConfigureAwait(false);
            }
            try
            {
                await using var server = await StringeeServer.StartAsync(cfg, parse.GetValue(port), log, bind: address, logger: logger, ct: ct).ConfigureAwait(false);
                Console.WriteLine($"stringee-es server listening on ws://{address}:{server.Port} (REST on http://{address}:{server.Port}), recording {(log is null ? "in memory only" : "in PostgreSQL")}");
                Console.WriteLine("press Ctrl+C to stop");
                try
                {
                    await Task.Delay(Timeout.Infinite, ct).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    Console.WriteLine("stopping");
                }
                return 0;
            }
            catch (IOException ex)
            {
                await Console.Error.WriteLineAsync($"server: cannot listen on {address}:{parse.GetValue(port)}: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            finally
            {
                if (log is not null) await log.DisposeAsync().ConfigureAwait(false);
                if (db is not null) await db.DisposeAsync().ConfigureAwait(false);
            }
        });
        return command;
    }

    static Command TokenCommand()
    {
        var user = new System.CommandLine.Option<string?>("--user") { Description = "the userId claim of a client token" };
        var ttl = new System.CommandLine.Option<long>("--ttl") { Description = "lifetime in seconds", DefaultValueFactory = _ => 3600 };
        var rest = new System.CommandLine.Option<bool>("--rest") { Description = "a REST API token (rest_api: true, no userId)" };
        var config = ConfigOption();
        var command = new Command("token", "print an access token signed with the configured API key") { user, ttl, rest, config };
        command.SetAction(parse =>
        {
            var loaded = LoadConfig(parse.GetValue(config));
            if (loaded.IsLeft)
            {
                Console.Error.WriteLine($"config: {loaded.LeftToSeq().Head}");
                return 2;
            }
            var isRest = parse.GetValue(rest);
            var userId = parse.GetValue(user);
            if (!isRest && string.IsNullOrWhiteSpace(userId))
            {
                Console.Error.WriteLine("token: --user is required for a client token (or pass --rest)");
                return 2;
            }
            if (parse.GetValue(ttl) <= 0)
            {
                Console.Error.WriteLine("token: --ttl must be positive");
                return 2;
            }
            var cfg = (ServerConfig)loaded;
            Console.WriteLine(TokenIssuer.Issue(cfg.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), parse.GetValue(ttl),
                isRest ? None : Optional(userId), isRest));
            return 0;
        });
        return command;
    }

    static System.CommandLine.Option<string?> PgOption() => new("--pg") { Description = $"PostgreSQL connection string (default: ${EventSourced.Adapters.Storage.EmbeddedPostgres.ConnectionVariable}, else a private cluster)" };
    static System.CommandLine.Option<string?> DataOption() => new("--data") { Description = "data folder of the private PostgreSQL cluster" };

    // The private cluster, kept running for a session of commands: `db start` owns it until Ctrl+C; every other command
    // attaches to it meanwhile instead of starting and stopping one of its own.
    static Command DbCommand()
    {
        var startData = DataOption();
        var start = new Command("start", "start the private PostgreSQL cluster and keep it running until Ctrl+C (other commands attach to it meanwhile)") { startData };
        start.SetAction((parse, ct) => Tools.DbStartAsync(parse.GetValue(startData), ct));
        var statusData = DataOption();
        var status = new Command("status", "say whether the private cluster exists, runs, and which process owns it (starts nothing)") { statusData };
        status.SetAction((parse, ct) => Tools.DbStatusAsync(parse.GetValue(statusData), ct));
        return new Command("db", "the private PostgreSQL cluster: db start keeps one running for a session of commands; db status says what there is") { start, status };
    }

    static Command DemoCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var command = new Command("demo", "the main job: server, scripted users chatting, the event log, its audit and replay, on PostgreSQL") { pg, data };
        command.SetAction((parse, ct) => Demo.RunAsync(parse.GetValue(pg), parse.GetValue(data), ct));
        return command;
    }

    static Command ReplayCommand() =>
        LogCommand("replay", "rebuild every read model of every user from the event log and report events/s", Tools.ReplayAsync);

    // A command that only reads the event log: where the database is (--pg, --data) is all it needs.
    static Command LogCommand(string name, string description, Func<string?, string?, bool, CancellationToken, Task<int>> run)
    {
        var pg = PgOption();
        var data = DataOption();
        var output = OutputOption();
        var command = new Command(name, description) { pg, data, output };
        command.SetAction((parse, ct) => run(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(output) == "json", ct));
        return command;
    }

    static Command AuditCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var conv = new System.CommandLine.Option<string?>("--conversation") { Description = "conversation id" };
        var message = new System.CommandLine.Option<string?>("--message") { Description = "one message: every version with its actor, local and server time and log position, from every recording" };
        var user = new System.CommandLine.Option<string?>("--user") { Description = "whose client recording to read (default: every recording, merged)" };
        var asOf = new System.CommandLine.Option<string?>("--as-of") { Description = "what the client knew at this time (ISO-8601 or epoch ms)" };
        var seq = new System.CommandLine.Option<long?>("--seq") { Description = "the conversation as it stood at this seq" };
        seq.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<long?>() is < 0) r.AddError("--seq must be 0 or more");
        });
        var trueAt = new System.CommandLine.Option<string?>("--true-at") { Description = "the conversation as it was true at this server time (ISO-8601 or epoch ms)" };
        var output = OutputOption();
        var command = new Command("audit", "every message with its full version history, and who edited, pinned and revoked what and when") { conv, message, user, asOf, trueAt, seq, pg, data, output };
        command.SetAction((parse, ct) => parse.GetValue(message) is { } m
            ? parse.GetValue(conv) is not null || parse.GetValue(asOf) is not null || parse.GetValue(trueAt) is not null || parse.GetValue(seq) is not null
                ? Task.FromResult(Tools.Fail("audit --message takes no --conversation, --as-of, --true-at or --seq: it shows every version"))
                : parse.GetValue(output) == "json"
                    ? Task.FromResult(Tools.Fail("audit --message prints text only; --output json is for audit --conversation"))
                    : Tools.MessageAuditAsync(parse.GetValue(pg), parse.GetValue(data), m, parse.GetValue(user), ct)
            : parse.GetValue(conv) is { } c
                ? Tools.AuditAsync(parse.GetValue(pg), parse.GetValue(data), c, parse.GetValue(user), parse.GetValue(asOf), parse.GetValue(seq), ct, parse.GetValue(trueAt),
                    parse.GetValue(output) == "json")
                : Task.FromResult(Tools.Fail("audit needs --conversation ID or --message ID")));
        return command;
    }

    static Command ExportCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var conv = new System.CommandLine.Option<string?>("--conversation") { Description = "one conversation" };
        var all = new System.CommandLine.Option<bool>("--all") { Description = "every conversation" };
        var format = new System.CommandLine.Option<string>("--format") { Description = "jsonl, csv, html, evidence (the transcript with its signed tree head, an inclusion proof per message and the coverage certificate), rsmf (Relativity Short Message Format 2.0) or eml (one RFC 5322 message per conversation)", DefaultValueFactory = _ => "jsonl" };
        var output = new System.CommandLine.Option<string?>("--out") { Description = "file to write (default: standard output)" };
        var command = new Command("export", "transcripts with their edit and revoke lineage") { conv, all, format, output, pg, data };
        command.SetAction((parse, ct) => Tools.ExportAsync(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(conv), parse.GetValue(all), parse.GetValue(format)!, parse.GetValue(output), ct));
        return command;
    }

    static Command StatsCommand() =>
        LogCommand("stats", "volumes, response times, edit and revoke rates, live-chat queue figures", Tools.StatsAsync);

    static Command ReportCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var output = new System.CommandLine.Option<string>("--out") { Description = "the HTML file to write", Required = true };
        var levels = new System.CommandLine.Option<double[]>("--service-level")
        {
            Description = "the service-level thresholds in seconds (answered within; repeat the option for several)",
            DefaultValueFactory = _ => [20, 60],
            AllowMultipleArgumentsPerToken = true,
        };
        levels.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double[]>() is { } v && (v.Length == 0 || v.Any(x => !(x > 0) || x > 86_400)))
                r.AddError("--service-level must be one or more thresholds of more than 0 and at most 86400 seconds");
        });
        var command = new Command("report",
            "a self-contained HTML page: live-chat figures (first response, speed of answer, handling, abandonment, service level, transfers) " +
            "overall, per queue and per agent, and charts over time, each with its table")
            { output, levels, pg, data };
        command.SetAction((parse, ct) =>
        {
            var file = parse.GetValue(output)!;
            if (Tools.MissingFolder(file).Case is string dir) return Task.FromResult(Tools.Fail($"report: the folder {dir} does not exist"));
            return Tools.ReportAsync(parse.GetValue(pg), parse.GetValue(data), file, parse.GetValue(levels)!, ct);
        });
        return command;
    }

    static Command VerifyCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var conv = new System.CommandLine.Option<string?>("--conversation") { Description = "only this conversation's recordings" };
        var user = new System.CommandLine.Option<string?>("--user") { Description = "only this user's recording" };
        var coverage = new System.CommandLine.Option<bool>("--coverage") { Description = "print the completeness certificate: seq ranges held and every gap with its fate" };
        var proof = new System.CommandLine.Option<string?>("--proof") { Description = "check an evidence export or a consistency proof file, without any database" };
        var output = OutputOption();
        var publicKey = new System.CommandLine.Option<string?>("--public-key") { Description = "the PEM public key to trust for --proof (default: the one in the file, reported as such)" };
        var command = new Command("verify", "recompute every hash, chain and signed tree head of the log (exit 1 naming the first altered, removed, inserted or reordered event)")
            { conv, user, coverage, proof, publicKey, pg, data, output };
        command.SetAction((parse, ct) => EvidenceCommands.VerifyAsync(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(conv), parse.GetValue(user),
            parse.GetValue(coverage), parse.GetValue(proof), parse.GetValue(publicKey), ct, parse.GetValue(output) == "json"));
        return command;
    }

    static Command MigrateCommand() =>
        LogCommand("migrate", "store the events a log holds as JSON text (as earlier versions wrote them) as jsonb objects: the same leaves, chains and signed tree heads",
            EvidenceCommands.MigrateAsync);

    static Command TreeHeadCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var from = new System.CommandLine.Option<long?>("--consistency-from") { Description = "also prove that the new head extends the earlier head of this size" };
        var output = new System.CommandLine.Option<string?>("--out") { Description = "file for the consistency proof (default: standard output)" };
        var command = new Command("tree-head", "sign a tree head of each log now and print it (and the public key to check it with)") { from, output, pg, data };
        command.SetAction((parse, ct) => EvidenceCommands.TreeHeadAsync(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(from), parse.GetValue(output), ct));
        return command;
    }

    static Command HoldCommand()
    {
        Command Targeted(string name, string description, bool withReason,
            Func<string?, string?, string?, string?, string?, CancellationToken, Task<int>> run)
        {
            var pg = PgOption();
            var data = DataOption();
            var conv = new System.CommandLine.Option<string?>("--conversation") { Description = "the conversation (every recording of it)" };
            var user = new System.CommandLine.Option<string?>("--user") { Description = "the user (every conversation they recorded or sent in)" };
            var reason = new System.CommandLine.Option<string?>("--reason") { Description = "the matter the hold preserves (required)" };
            var command = new Command(name, description) { conv, user, pg, data };
            if (withReason) command.Options.Add(reason);
            command.SetAction((parse, ct) => run(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(conv), parse.GetValue(user), withReason ? parse.GetValue(reason) : null, ct));
            return command;
        }
        var hold = new Command("hold", "legal holds: what is held is never purged or erased (every refusal is recorded)");
        hold.Subcommands.Add(Targeted("place", "place a legal hold on a conversation or a user", true, ComplianceCommands.PlaceAsync));
        hold.Subcommands.Add(Targeted("release", "release a legal hold", false, (pg, data, c, u, _, ct) => ComplianceCommands.ReleaseAsync(pg, data, c, u, ct)));
        var listPg = PgOption();
        var listData = DataOption();
        var list = new Command("list", "the holds in force and the whole compliance log (holds, purges, erasures, refusals)") { listPg, listData };
        list.SetAction((parse, ct) => ComplianceCommands.ListAsync(parse.GetValue(listPg), parse.GetValue(listData), ct));
        hold.Subcommands.Add(list);
        return hold;
    }

    static Command EraseCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var user = new System.CommandLine.Option<string?>("--user") { Description = "the data subject: a user id, or email:ADDRESS for a ticket that names no user" };
        var command = new Command("erase", "erase a data subject by destroying their key (crypto-shredding): refused under a hold; recorded; verify still passes") { user, pg, data };
        command.SetAction((parse, ct) => ComplianceCommands.EraseAsync(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(user), ct));
        return command;
    }

    static Command PurgeCommand()
    {
        var pg = PgOption();
        var data = DataOption();
        var retention = new System.CommandLine.Option<string?>("--retention") { Description = $"retention file {{\"retentionDays\": {{\"livechat\": 365}}}} (default: ${ComplianceCommands.RetentionVariable}, else retention.json in the tool's home)" };
        var dryRun = new System.CommandLine.Option<bool>("--dry-run") { Description = "say what would be purged and refused, change nothing" };
        var command = new Command("purge", "remove the conversations whose retention expired and that no hold protects (recorded; verify still passes)") { retention, dryRun, pg, data };
        command.SetAction((parse, ct) => ComplianceCommands.PurgeAsync(parse.GetValue(pg), parse.GetValue(data), parse.GetValue(retention), parse.GetValue(dryRun), ct));
        return command;
    }

    static Command ConfigCommand()
    {
        var command = new Command("config", "print the built-in server configuration (a starting point for --config files)");
        command.SetAction(_ => Console.WriteLine(ServerConfig.Default.ToJson()));
        return command;
    }
}
