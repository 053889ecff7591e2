using System.Diagnostics;
using EventSourced.Tests.Integration.Storage;

namespace EventSourced.Tests.Integration;

/// <summary>The command-line tool as a process: the main job and the compliance and analytics commands on a real PostgreSQL.</summary>
public sealed class CliTests
{
    static Task<(int Code, string Out)> Run(params string[] args) => RunWith("200", args);

    static async Task<(int Code, string Out)> RunWith(string? columns, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), .. args])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        if (columns is null) psi.Environment.Remove("COLUMNS");
        else psi.Environment["COLUMNS"] = columns;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        try
        {
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        }
        catch (TimeoutException)
        {
            p.Kill(entireProcessTree: true);
            throw;
        }
        return (p.ExitCode, await stdout + await stderr);
    }

    // --output json: standard output alone must be one JSON document (whatever goes to standard error).
    static async Task<System.Text.Json.JsonElement> RunJson(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), .. args, "--output", "json"])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
        var text = await stdout;
        Assert.True(p.ExitCode == 0, $"exit {p.ExitCode}: {text}{await stderr}");
        using var doc = System.Text.Json.JsonDocument.Parse(text);
        return doc.RootElement.Clone();
    }

    [Fact]
    public async Task The_demo_runs_end_to_end_and_the_tools_read_what_it_recorded()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        var (code, output) = await Run("demo", "--pg", pg);
        Assert.True(code == 0, output);
        Assert.Contains("replayed timelines equal every client's live state: yes", output, StringComparison.Ordinal);
        Assert.Contains("Launch is on Friday 10:00 UTC", output, StringComparison.Ordinal);
        // The demo ends by proving its own log, holding the team's conversation and exporting both chats as RSMF.
        Assert.Matches(@"verify client_log: \d+ events recomputed from their rows, \d+ signed tree heads: unaltered", output);
        Assert.Contains("each proven included in the tree head): proven", output, StringComparison.Ordinal);
        Assert.Contains("legal hold on 'Launch plan': placed", output, StringComparison.Ordinal);
        Assert.Contains("RSMF 2.0 export of both chats for eDiscovery", output, StringComparison.Ordinal);

        var conv = System.Text.RegularExpressions.Regex.Match(output, @"audit --conversation (conv-[a-z0-9]+-\d+)").Groups[1].Value;
        var audit = await Run("audit", "--conversation", conv, "--pg", pg);
        Assert.True(audit.Code == 0, audit.Out);
        Assert.Contains("Launch is on Thursday", audit.Out, StringComparison.Ordinal);
        Assert.Contains("revoked", audit.Out, StringComparison.Ordinal);
        var early = await Run("audit", "--conversation", conv, "--seq", "2", "--pg", pg);
        Assert.True(early.Code == 0, early.Out);
        Assert.DoesNotContain("Docs freeze", early.Out, StringComparison.Ordinal);

        var html = Path.Combine(Path.GetTempPath(), $"stringee-es-export-{Guid.NewGuid():N}.html");
        try
        {
            var export = await Run("export", "--conversation", conv, "--format", "html", "--out", html, "--pg", pg);
            Assert.True(export.Code == 0, export.Out);
            var page = await File.ReadAllTextAsync(html);
            Assert.Contains("<em>message revoked</em>", page, StringComparison.Ordinal);
            Assert.Contains("class=\"old\">Launch is on Thursday</span>", page, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(html);
        }
        var jsonl = await Run("export", "--conversation", conv, "--format", "jsonl", "--pg", pg);
        Assert.True(jsonl.Code == 0, jsonl.Out);
        Assert.All(jsonl.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries), line => Assert.True(Json.Parse(line).IsRight, line));
        // The edited message's every version, with who and when, from every recording.
        var edited = System.Text.RegularExpressions.Regex.Match(jsonl.Out, "\"edited\":true,\"from\":\"[^\"]+\",\"id\":\"([^\"]+)\"").Groups[1].Value;
        var versions = await Run("audit", "--message", edited, "--pg", pg);
        Assert.True(versions.Code == 0, versions.Out);
        Assert.Matches(@"received \(seq 2\)\s*│\s*alice-\d+\s*│\s*1\s*│\s*Launch is on Thursday", versions.Out);
        Assert.Matches(@"edited\s*│\s*alice-\d+\s*│\s*3\s*│\s*Launch is on Friday 10:00 UTC", versions.Out);
        Assert.Contains("edit confirmed", versions.Out, StringComparison.Ordinal);
        Assert.Equal(2, (await Run("audit", "--message", "no-such-message", "--pg", pg)).Code);
        var stats = await Run("stats", "--pg", pg);
        Assert.True(stats.Code == 0, stats.Out);
        Assert.Contains("edit rate", stats.Out, StringComparison.Ordinal);
        var replay = await Run("replay", "--pg", pg);
        Assert.True(replay.Code == 0, replay.Out);
        Assert.Contains("events/s", replay.Out, StringComparison.Ordinal);

        // An analyst's plain SQL over the recorded log.
        await using var sql = new Npgsql.NpgsqlConnection(new Npgsql.NpgsqlConnectionStringBuilder(pg) { Database = "stringee_es" }.ConnectionString);
        await sql.OpenAsync();
        async Task<object?> Scalar(string query)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(query, sql);
            return await cmd.ExecuteScalarAsync();
        }
        Assert.True((long)(await Scalar($"select count(*) from client_log.messages where conv_id = '{conv}' and msg_type = 1"))! >= 4);
        // Message text is sealed in the record (crypto-shredding): the views show that it is, never the plaintext (the tools open it).
        Assert.Equal(0L, await Scalar($"select count(*) from client_log.messages where conv_id = '{conv}' and text like '%Launch%'"));
        Assert.True((long)(await Scalar($"select count(*) from client_log.messages where conv_id = '{conv}' and msg_type = 1 and text like '[sealed %]'"))! >= 4);
        Assert.True((long)(await Scalar($"select count(*) from client_log.edits where conv_id = '{conv}'"))! >= 2);
        Assert.Equal(1L, await Scalar($"select count(*) from client_log.revokes where conv_id = '{conv}'"));
        // agent1 lets the 1.5 s offer time out first; the times are when each client recorded the answers, so the customer's
        // creation recorded late on a loaded machine shaves some of it off.
        Assert.True((long)(await Scalar("select count(*) from client_log.live_chat_requests where agent = 'agent2' and waiting_ms >= 1000 and handling_ms >= 0"))! >= 1);
        Assert.True((long)(await Scalar($"select count(*) from client_log.reports where conv_id = '{conv}' and status = 'read'"))! >= 1);
    }

    [Fact]
    public async Task The_report_is_a_self_contained_page_that_renders_in_headless_chromium()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        Assert.Equal(0, (await Run("demo", "--pg", pg)).Code);
        var dir = Path.Combine(Path.GetTempPath(), $"stringee-es-report-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var html = Path.Combine(dir, "report.html");
            var report = await Run("report", "--out", html, "--pg", pg);
            Assert.True(report.Code == 0, report.Out);
            var page = await File.ReadAllTextAsync(html);
            Assert.DoesNotContain("http", page.Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal); // nothing to fetch
            var rendered = await Report.Chromium.RenderAsync(html);
            foreach (var id in new[] { "period", "queues", "agents", "chats-over-time", "messages-over-time", "response-times" })
                Assert.Contains($"id=\"{id}\"", rendered, StringComparison.Ordinal);
            // The demo's live chat, from the local server's record: agent2 accepted it and handed it to agent1.
            Assert.Contains("the local server's record", rendered, StringComparison.Ordinal);
            Assert.Contains("data-row=\"agent agent2\"", rendered, StringComparison.Ordinal);
            Assert.Contains("<rect class=\"s0", rendered, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("the PostgreSQL connection string names no Host", "stats", "--pg", ";Database=x")]
    [InlineData("the PostgreSQL connection string is not usable", "replay", "--pg", "Host=127.0.0.1;Bogus=1")]
    [InlineData("did not accept connections within 5 s", "verify", "--pg", "Host=127.0.0.1;Port=1;Username=u;Password=p")]
    [InlineData("--seq must be 0 or more", "audit", "--conversation", "c", "--seq", "-1")]
    [InlineData("Argument 'xml' not recognized", "stats", "--output", "xml")]
    [InlineData("--port must be between 0 and 65535", "server", "--port", "70000")]
    public async Task A_bad_command_line_or_database_is_one_clear_line_and_a_non_zero_exit_never_a_stack_trace(string says, params string[] args)
    {
        var (code, output) = await Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(says, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Db_start_keeps_one_private_cluster_for_a_session_of_commands_and_Ctrl_C_stops_it()
    {
        var data = Path.Combine(Path.GetTempPath(), $"stringee-es-db-{Guid.NewGuid():N}", "data");
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), "db", "start", "--data", data])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment.Remove("STRINGEE_ES_PG");
        using var owner = Process.Start(psi)!;
        try
        {
            var first = await owner.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.Contains("running", first ?? await owner.StandardError.ReadToEndAsync(), StringComparison.Ordinal);
            Assert.Contains("owned by a running stringee-es process", (await Run("db", "status", "--data", data)).Out, StringComparison.Ordinal);
            // A command on the same folder attaches, and leaves the cluster running when it ends.
            var stats = await Run("stats", "--data", data, "--pg", "");
            Assert.True(stats.Code == 0, stats.Out);
            Assert.Contains("owned by a running stringee-es process", (await Run("db", "status", "--data", data)).Out, StringComparison.Ordinal);
            // Ctrl+C is SIGINT; a process started with SIGINT ignored (a background job, as CI may run us) passes that on to its
            // children, and .NET then leaves it ignored as shells do, so there the test stops the owner with SIGTERM instead.
            using (var interrupt = Process.Start("kill", [SigIntIgnored() ? "-TERM" : "-INT", owner.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await interrupt.WaitForExitAsync();
            await owner.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, owner.ExitCode);
            Assert.Contains("stopped", (await Run("db", "status", "--data", data)).Out, StringComparison.Ordinal);
        }
        finally
        {
            if (!owner.HasExited) owner.Kill(entireProcessTree: true);
            else Directory.Delete(Path.GetDirectoryName(data)!, recursive: true);
        }
    }

    [Fact]
    public async Task Ctrl_C_stops_a_command_in_one_line_with_exit_code_130_and_the_log_it_was_writing_still_verifies()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), "demo", "--pg", pg])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.Environment["COLUMNS"] = "200";
        using var demo = Process.Start(psi)!;
        var errors = demo.StandardError.ReadToEndAsync();
        try
        {
            // Mid-chat: the clients are appending when the signal comes.
            string? line;
            do line = await demo.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            while (line is not null && !line.StartsWith("1. a group chat", StringComparison.Ordinal));
            Assert.NotNull(line);
            using (var interrupt = Process.Start("kill", [SigIntIgnored() ? "-TERM" : "-INT", demo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
                await interrupt.WaitForExitAsync();
            var rest = demo.StandardOutput.ReadToEndAsync();
            await demo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
            var said = await rest + await errors;
            Assert.Equal(130, demo.ExitCode);
            Assert.Contains("interrupted: the command stopped before it finished", said, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", said, StringComparison.Ordinal);
        }
        finally
        {
            if (!demo.HasExited) demo.Kill(entireProcessTree: true);
        }
        var verify = await Run("verify", "--pg", pg);
        Assert.True(verify.Code == 0, verify.Out);
    }

    // Whether this process ignores SIGINT (bit 2 of the SigIgn mask in /proc/self/status).
    static bool SigIntIgnored() =>
        File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal)) is { } line
        && (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & 0x2) != 0;

    [Fact]
    public async Task Piped_tables_keep_every_row_on_one_line_and_stats_gives_the_queue_figures()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        Assert.Equal(0, (await Run("demo", "--pg", pg)).Code);
        var (code, output) = await RunWith(null, "stats", "--pg", pg);
        Assert.True(code == 0, output);
        Assert.Matches(@"│ queue +│ offered │ answered │ abandoned │ waiting │ abandonment │ within 20 s / 60 s │ speed of answer \(median / p90\) │", output);
        Assert.Matches(@"│ conv-[^│\s]+ +│ agent2 │ \d+ ms +│ \d+ ms +│", output);
        var json = await RunJson("stats", "--pg", pg);
        var overall = json.GetProperty("queue").GetProperty("overall");
        Assert.Equal("the local server's record (server clock)", json.GetProperty("queue").GetProperty("source").GetString());
        Assert.True(overall.GetProperty("answered").GetInt32() >= 1);
        Assert.Equal(overall.GetProperty("offered").GetInt32(),
            overall.GetProperty("answered").GetInt32() + overall.GetProperty("abandoned").GetInt32() + overall.GetProperty("waiting").GetInt32());
        Assert.Equal(20_000, overall.GetProperty("serviceLevels")[0].GetProperty("thresholdMs").GetInt64());
    }

    [Fact]
    public async Task Diagnostics_go_to_standard_error_at_the_level_asked_for_and_never_into_the_answer()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        async Task<(string Out, string Err)> Stats(string? level)
        {
            var psi = new ProcessStartInfo("dotnet", ["exec", Path.Combine(AppContext.BaseDirectory, "stringee-es.dll"), "stats", "--pg", pg, "--output", "json"])
                { RedirectStandardOutput = true, RedirectStandardError = true };
            if (level is null) psi.Environment.Remove("STRINGEE_ES_LOG_LEVEL"); else psi.Environment["STRINGEE_ES_LOG_LEVEL"] = level;
            using var p = Process.Start(psi)!;
            var (o, e) = (p.StandardOutput.ReadToEndAsync(), p.StandardError.ReadToEndAsync());
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(120));
            Assert.Equal(0, p.ExitCode);
            return (await o, await e);
        }
        var chatty = await Stats("Information");
        Assert.Contains("Event log client_log open at position", chatty.Err, StringComparison.Ordinal);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, System.Text.Json.JsonDocument.Parse(chatty.Out).RootElement.ValueKind);
        Assert.DoesNotContain("open at position", (await Stats(null)).Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_without_a_scope_says_what_it_needs()
    {
        var (code, output) = await Run("export", "--format", "csv", "--pg", (await Postgres.Instance).ConnectionString);
        Assert.Equal(2, code);
        Assert.Contains("export needs --conversation ID or --all", output, StringComparison.Ordinal);
    }

    // A database of its own, so the figures are this test's log only.
    static async Task<string> FreshDatabase()
    {
        var pg = (await Postgres.Instance).ConnectionString;
        var name = $"counts_{Guid.NewGuid():N}"[..24];
        await using (var admin = new Npgsql.NpgsqlConnection(pg))
        {
            await admin.OpenAsync();
            await using var create = new Npgsql.NpgsqlCommand($"create database {name}", admin);
            await create.ExecuteNonQueryAsync();
        }
        return new Npgsql.NpgsqlConnectionStringBuilder(pg) { Database = name }.ConnectionString;
    }

    static readonly System.Text.RegularExpressions.Regex CountsLine = new(@"(\d+) messages \((\d+) chat, (\d+) server\) in (\d+) conversations; (\d+) edited, (\d+) revoked; (\d+) disagreements");

    static string CountsOf(string output)
    {
        var m = CountsLine.Match(output);
        Assert.True(m.Success, $"no counts line in: {output}");
        return m.Value;
    }

    [Fact]
    public async Task Every_tool_reports_the_same_counts_for_the_same_log()
    {
        var pg = await FreshDatabase();
        var demo = await Run("demo", "--pg", pg);
        Assert.True(demo.Code == 0, demo.Out);
        var stats = CountsOf((await Run("stats", "--pg", pg)).Out);
        Assert.Equal(stats, CountsOf((await Run("replay", "--pg", pg)).Out));
        // The same figures as JSON, from stats, replay and verify.
        var messages = long.Parse(CountsLine.Match(stats).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(messages, (await RunJson("stats", "--pg", pg)).GetProperty("counts").GetProperty("messages").GetInt64());
        var replayed = await RunJson("replay", "--pg", pg);
        Assert.Equal(messages, replayed.GetProperty("counts").GetProperty("messages").GetInt64());
        Assert.True(replayed.GetProperty("events").GetInt64() > messages);
        var verified = await RunJson("verify", "--pg", pg);
        Assert.True(verified.GetProperty("verified").GetBoolean());
        Assert.Equal(new[] { "client_log", "server_log", "compliance_log" }, verified.GetProperty("logs").EnumerateArray().Select(l => l.GetProperty("log").GetString()!).ToArray());
        Assert.Equal(2, (await Run("verify", "--output", "json", "--coverage", "--pg", pg)).Code);
        // A log this version wrote holds its events as jsonb objects already: migrate finds nothing to move, and verify still passes.
        var migrated = await RunJson("migrate", "--pg", pg);
        Assert.Equal(new[] { ("client_log", 0L), ("server_log", 0L), ("compliance_log", 0L) },
            migrated.GetProperty("logs").EnumerateArray().Select(l => (l.GetProperty("log").GetString()!, l.GetProperty("converted").GetInt64())).ToArray());
        Assert.True((await RunJson("verify", "--pg", pg)).GetProperty("verified").GetBoolean());
        var file = Path.Combine(Path.GetTempPath(), $"stringee-es-counts-{Guid.NewGuid():N}.jsonl");
        try
        {
            var export = await Run("export", "--all", "--format", "jsonl", "--out", file, "--pg", pg);
            Assert.Equal(stats, CountsOf(export.Out));
            var lines = (await File.ReadAllLinesAsync(file)).Where(l => l.Length > 0).ToList();
            var figures = CountsLine.Match(stats).Groups;
            Assert.Equal(int.Parse(figures[1].Value, System.Globalization.CultureInfo.InvariantCulture), lines.Count);
            var html = Path.ChangeExtension(file, ".html");
            var report = await Run("report", "--out", html, "--pg", pg);
            Assert.True(report.Code == 0, report.Out);
            Assert.Contains(stats, await File.ReadAllTextAsync(html), StringComparison.Ordinal);
            File.Delete(html);

            // Every conversation's transcript starts at seq 1, whoever recorded it: the live chat transferred to agent1 at seq 5 included.
            var convs = lines.Select(l => ((Json.Str)((Json.Obj)Json.Parse(l).IfLeft(Json.Null.Value))["convId"].IfNone(Json.Null.Value)).Value).Distinct().ToList();
            Assert.Equal(int.Parse(figures[4].Value, System.Globalization.CultureInfo.InvariantCulture), convs.Count);
            var perConv = 0;
            foreach (var conv in convs)
            {
                var audit = await Run("audit", "--conversation", conv, "--pg", pg);
                Assert.True(audit.Code == 0, audit.Out);
                var inConv = int.Parse(CountsLine.Match(audit.Out).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
                perConv += inConv;
                var asJson = await RunJson("audit", "--conversation", conv, "--pg", pg);
                Assert.Equal(inConv, asJson.GetProperty("counts").GetProperty("messages").GetInt32());
                Assert.Equal(inConv, asJson.GetProperty("messages").GetArrayLength());
                Assert.Equal(conv, asJson.GetProperty("conversation").GetString());
            }
            Assert.Equal(lines.Count, perConv);
            Assert.All(convs, c => Assert.Contains(lines, l => l.Contains($"\"convId\":\"{c}\"", StringComparison.Ordinal) && l.Contains("\"seq\":1,", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(file);
        }
        await using var sql = new Npgsql.NpgsqlConnection(pg);
        await sql.OpenAsync();
        await using var count = new Npgsql.NpgsqlCommand("select count(*) from client_log.messages", sql);
        Assert.Equal((long)int.Parse(CountsLine.Match(stats).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Verify_proves_the_demo_log_and_its_evidence_export_and_names_an_altered_row()
    {
        var pg = await FreshDatabase();
        var demo = await Run("demo", "--pg", pg);
        Assert.True(demo.Code == 0, demo.Out);
        var conv = System.Text.RegularExpressions.Regex.Match(demo.Out, @"audit --conversation (conv-[a-z0-9]+-\d+)").Groups[1].Value;

        var verified = await Run("verify", "--pg", pg);
        Assert.True(verified.Code == 0, verified.Out);
        Assert.Contains("verified: every event matches", verified.Out, StringComparison.Ordinal);
        var coverage = await Run("verify", "--coverage", "--conversation", conv, "--pg", pg);
        Assert.True(coverage.Code == 0, coverage.Out);
        Assert.Matches($@"coverage {conv} recorded by bob-\d+: holds 1-5; known up to seq 5; no gap", coverage.Out);

        var unknown = await Run("verify", "--conversation", "no/such\nconversation", "--pg", pg);
        Assert.Equal(2, unknown.Code);
        Assert.Equal("verify: conversation no/such\\x0Aconversation is not in the log", unknown.Out.Trim());

        var dir = Directory.CreateTempSubdirectory("stringee-es-evidence-");
        try
        {
            var file = Path.Combine(dir.FullName, "transcript.json");
            var export = await Run("export", "--format", "evidence", "--conversation", conv, "--out", file, "--pg", pg);
            Assert.True(export.Code == 0, export.Out);
            Assert.Matches(CountsLine, export.Out);
            var proof = await Run("verify", "--proof", file);
            Assert.True(proof.Code == 0, proof.Out);
            Assert.Contains("each proven included in the tree head", proof.Out, StringComparison.Ordinal);

            // The same file with one recorded entry changed, and with its tree head's root changed: both fail, without a database.
            var text = await File.ReadAllTextAsync(file);
            var entry = System.Text.RegularExpressions.Regex.Match(text, "\"entry\":\"([^\"]+)\"").Groups[1].Value;
            var bytes = Convert.FromBase64String(entry);
            bytes[^1] ^= 1;
            var altered = Path.Combine(dir.FullName, "altered.json");
            await File.WriteAllTextAsync(altered, text.Replace(entry, Convert.ToBase64String(bytes), StringComparison.Ordinal));
            var badEntry = await Run("verify", "--proof", altered);
            Assert.Equal(1, badEntry.Code);
            Assert.Contains("is not in the tree head", badEntry.Out, StringComparison.Ordinal);
            var root = System.Text.RegularExpressions.Regex.Match(text, "\"root\":\"([0-9a-f]+)\"").Groups[1].Value;
            await File.WriteAllTextAsync(altered, text.Replace(root, new string('0', root.Length), StringComparison.Ordinal));
            var badHead = await Run("verify", "--proof", altered);
            Assert.Equal(1, badHead.Code);
            Assert.Contains("is not signed by", badHead.Out, StringComparison.Ordinal);

            // A later tree head extends the earlier one, proven by a consistency proof checked without the database.
            var size = long.Parse(System.Text.RegularExpressions.Regex.Match(text, "\"size\":(\\d+)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var more = await Run("demo", "--pg", pg);
            Assert.True(more.Code == 0, more.Out);
            var consistency = Path.Combine(dir.FullName, "consistency.json");
            var head = await Run("tree-head", "--consistency-from", size.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", consistency, "--pg", pg);
            Assert.True(head.Code == 0, head.Out);
            var extends = await Run("verify", "--proof", consistency);
            Assert.True(extends.Code == 0, extends.Out);
            Assert.Contains("extends the tree of", extends.Out, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }

        // One recorded row changed with plain SQL: verify names it and exits 1.
        await using var sql = new Npgsql.NpgsqlConnection(pg);
        await sql.OpenAsync();
        await using (var tamper = new Npgsql.NpgsqlCommand(
            "update client_log.mt_events set data = jsonb_set(data, '{ReceivedAt}', '1') where seq_id = (select min(seq_id) + 7 from client_log.mt_events) returning seq_id", sql))
        {
            var position = (long)(await tamper.ExecuteScalarAsync())!;
            var failed = await Run("verify", "--pg", pg);
            Assert.Equal(1, failed.Code);
            Assert.Contains($"verify FAILED: first finding in client_log: altered at position {position}", failed.Out, StringComparison.Ordinal);
        }
    }

    // Every row of every table of the database as text, with what base64 and hex in it decode to (raw packet bytes are stored so).
    static async Task<string> DumpAsync(Npgsql.NpgsqlConnection sql)
    {
        var tables = new List<string>();
        await using (var list = new Npgsql.NpgsqlCommand(
            "select quote_ident(table_schema) || '.' || quote_ident(table_name) from information_schema.tables where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')", sql))
        await using (var reader = await list.ExecuteReaderAsync())
            while (await reader.ReadAsync()) tables.Add(reader.GetString(0));
        Assert.Contains("erasure.subject_keys", tables);
        var dump = new System.Text.StringBuilder();
        foreach (var table in tables)
        {
            await using var rows = new Npgsql.NpgsqlCommand($"select coalesce(string_agg(t::text, E'\\n'), '') from {table} t", sql);
            dump.AppendLine((string)(await rows.ExecuteScalarAsync())!);
        }
        var text = dump.ToString();
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, "[A-Za-z0-9+/]{16,}={0,2}"))
        {
            var b64 = m.Value.PadRight(m.Value.Length + (4 - m.Value.Length % 4) % 4, '=');
            var bytes = new byte[b64.Length];
            if (Convert.TryFromBase64String(b64, bytes, out var n)) dump.AppendLine(System.Text.Encoding.UTF8.GetString(bytes, 0, n));
        }
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"\\x([0-9a-f]{2,})"))
            dump.AppendLine(System.Text.Encoding.UTF8.GetString(Convert.FromHexString(m.Groups[1].Value)));
        return dump.ToString();
    }

    [Fact]
    public async Task Erasing_a_user_leaves_no_plaintext_of_theirs_in_any_table_and_replay_verify_and_everyone_elses_text_stay()
    {
        var pg = await FreshDatabase();
        var demo = await Run("demo", "--pg", pg);
        Assert.True(demo.Code == 0, demo.Out);
        // The demo ends by erasing the live-chat customer: what she wrote reads [erased], the agents' replies do not.
        Assert.Matches(@"erased visitor-[0-9a-f]+: 1 key\(s\) destroyed", demo.Out);
        Assert.Matches(@"seq 3 from visitor-[0-9a-f]+: \[erased\]", demo.Out);
        Assert.Contains("seq 4 from agent2: Sorry about that, let me check", demo.Out, StringComparison.Ordinal);
        Assert.Contains("verify client_log after the erasure: unaltered", demo.Out, StringComparison.Ordinal);
        var group = System.Text.RegularExpressions.Regex.Match(demo.Out, @"audit --conversation (conv-[a-z0-9]+-\d+)").Groups[1].Value;
        await using var sql = new Npgsql.NpgsqlConnection(pg);
        await sql.OpenAsync();
        async Task<object?> Scalar(string query, params (string Name, object Value)[] args)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(query, sql);
            foreach (var (name, value) in args) cmd.Parameters.AddWithValue(name, value);
            return await cmd.ExecuteScalarAsync();
        }
        var bob = (string)(await Scalar("select min(user_id) from client_log.recorded where user_id like 'bob-%'"))!;
        var compliance = Convert.ToInt64(await Scalar("select count(*) from compliance_log.mt_events"), System.Globalization.CultureInfo.InvariantCulture);

        // Bad input writes nothing; a hold on a conversation bob is in refuses his erasure, and the refusal is recorded.
        var unknown = await Run("erase", "--user", "no-such-user", "--pg", pg);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("user no-such-user is not in the log", unknown.Out, StringComparison.Ordinal);
        Assert.Equal(compliance, Convert.ToInt64(await Scalar("select count(*) from compliance_log.mt_events"), System.Globalization.CultureInfo.InvariantCulture));
        var held = await Run("erase", "--user", bob, "--pg", pg);
        Assert.Equal(2, held.Code);
        Assert.Contains($"REFUSED: user {bob} is held by conversation {group}", held.Out, StringComparison.Ordinal);
        Assert.Contains($"REFUSED erase on user {bob}", (await Run("hold", "list", "--pg", pg)).Out, StringComparison.Ordinal);
        Assert.Contains("Thursday works, I'll tell the team", (await Run("export", "--conversation", group, "--format", "jsonl", "--pg", pg)).Out, StringComparison.Ordinal);

        var key = (byte[])(await Scalar("select key from erasure.subject_keys where subject_hash = sha256(convert_to('stringee-es subject v1' || E'\\n' || @u, 'UTF8')) and key is not null",
            ("u", bob)))!;
        Assert.Equal(32, key.Length);
        Assert.Equal(0, (await Run("hold", "release", "--conversation", group, "--pg", pg)).Code);
        var erased = await Run("erase", "--user", bob, "--pg", pg);
        Assert.True(erased.Code == 0, erased.Out);
        Assert.Contains($"erased {bob}: 1 key(s) destroyed", erased.Out, StringComparison.Ordinal);
        Assert.Contains($"user {bob} is already erased", (await Run("erase", "--user", bob, "--pg", pg)).Out, StringComparison.Ordinal);

        // No table holds anything bob or the customer wrote or said about themselves, nor bob's key; the dump does hold the log (ids are clear).
        var dump = await DumpAsync(sql);
        Assert.Contains(group, dump, StringComparison.Ordinal);
        foreach (var secret in new[] { "Thursday works, I'll tell the team", "(sent to the wrong chat)", "Carol", "carol@example.test", "order #1042", "Launch is on", "Sorry about that" })
            Assert.DoesNotContain(secret, dump, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToHexStringLower(key), dump, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(key), dump, StringComparison.Ordinal);
        // Nor the keys table's file on disk (VACUUM FULL rewrote it without the destroyed key's dead row), once every page is written out.
        await Scalar("checkpoint");
        var file = (byte[])(await Scalar("select pg_read_binary_file(pg_relation_filepath('erasure.subject_keys'))"))!;
        Assert.True(file.AsSpan().IndexOf(key) < 0, "the destroyed key is still in the keys table's file");

        // The tools open what remains: bob's messages read [erased], alice's do not; the views say so; the log still proves itself.
        var export = await Run("export", "--conversation", group, "--format", "jsonl", "--pg", pg);
        Assert.True(export.Code == 0, export.Out);
        Assert.Contains("Launch is on Friday 10:00 UTC", export.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Thursday works", export.Out, StringComparison.Ordinal);
        Assert.Matches($"\"from\":\"{bob}\".*\"text\":\"\\[erased\\]\"", export.Out);
        Assert.Equal(0, (await Run("verify", "--pg", pg)).Code);
        var replay = await Run("replay", "--pg", pg);
        Assert.True(replay.Code == 0, replay.Out);
        Assert.True(Convert.ToInt64(await Scalar("select count(*) from client_log.messages where sender = @u and text = '[erased]'", ("u", bob)), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.Equal(0L, await Scalar("select count(*) from client_log.messages where sender = @u and text <> '[erased]'", ("u", bob)));
        Assert.True(Convert.ToInt64(await Scalar("select count(*) from client_log.messages where sender like 'alice-%' and text like '[sealed %]'"), System.Globalization.CultureInfo.InvariantCulture) >= 2);
    }

    [Fact]
    public async Task A_hold_stops_the_purge_of_what_it_holds_and_a_purge_is_recorded_and_leaves_verify_passing()
    {
        var pg = await FreshDatabase();
        var demo = await Run("demo", "--pg", pg);
        Assert.True(demo.Code == 0, demo.Out);
        var group = System.Text.RegularExpressions.Regex.Match(demo.Out, @"audit --conversation (conv-[a-z0-9]+-\d+)").Groups[1].Value;
        await using var sql = new Npgsql.NpgsqlConnection(pg);
        await sql.OpenAsync();
        async Task<long> Count(string query)
        {
            await using var cmd = new Npgsql.NpgsqlCommand(query, sql);
            return Convert.ToInt64(await cmd.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
        }
        var liveChat = (string)(await new Npgsql.NpgsqlCommand("select conv_id from client_log.analytics_live_chat limit 1", sql).ExecuteScalarAsync())!;

        var noReason = await Run("hold", "place", "--conversation", group, "--pg", pg);
        Assert.Equal((2, "hold place: a hold needs --reason TEXT (what matter it preserves)"), (noReason.Code, noReason.Out.Trim()));
        var unknown = await Run("hold", "place", "--user", "nobody\u001b[31m", "--reason", "x", "--pg", pg);
        Assert.Equal((2, "hold place: user nobody\\x1B[31m is not in the log"), (unknown.Code, unknown.Out.Trim()));
        // The demo placed a hold on its team conversation; placing it again is refused, placing one on a user is not.
        var again = await Run("hold", "place", "--conversation", group, "--reason", "Matter 17: launch dispute", "--pg", pg);
        Assert.Equal(2, again.Code);
        Assert.StartsWith($"hold place: conversation {group} is already held (placed by ", again.Out, StringComparison.Ordinal);
        var visitor = System.Text.RegularExpressions.Regex.Match(demo.Out, @"visitor-[0-9a-f]+").Value;
        var onUser = await Run("hold", "place", "--user", visitor, "--reason", "Matter 18: complaint", "--pg", pg);
        Assert.True(onUser.Code == 0, onUser.Out);
        Assert.Equal(0, (await Run("hold", "release", "--user", visitor, "--pg", pg)).Code);

        var retention = Path.Combine(Path.GetTempPath(), $"stringee-es-retention-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(retention, """{"retentionDays": {"normal": 0, "livechat": 0}}""");
        try
        {
            var before = await Count("select count(*) from client_log.mt_events");
            var dry = await Run("purge", "--retention", retention, "--dry-run", "--pg", pg);
            Assert.True(dry.Code == 0, dry.Out);
            Assert.Equal(before, await Count("select count(*) from client_log.mt_events"));
            var purge = await Run("purge", "--retention", retention, "--pg", pg);
            Assert.True(purge.Code == 0, purge.Out);
            Assert.Contains($"REFUSED: {group} expired (normal) but is held", purge.Out, StringComparison.Ordinal);
            Assert.Contains($"purging {liveChat}", purge.Out, StringComparison.Ordinal);

            // Gone from the events, the read-model rows and the analytics tables; the held conversation is all there.
            Assert.Equal(0, await Count($"select count(*) from client_log.mt_events where stream_id like '%/conversation/{liveChat}'"));
            Assert.Equal(0, await Count($"select count(*) from client_log.mt_doc_message_row where conv_id = '{liveChat}'"));
            Assert.Equal(0, await Count($"select count(*) from client_log.analytics_messages where conv_id = '{liveChat}'"));
            Assert.NotEqual(0, await Count($"select count(*) from client_log.mt_events where stream_id like '%/conversation/{group}'"));
            var purged = await Count("select count(*) from client_log.evidence_purged");
            Assert.True(purged > 0);
            var list = await Run("hold", "list", "--pg", pg);
            Assert.Contains("1 holds in force", list.Out, StringComparison.Ordinal);
            Assert.Contains($"REFUSED purge on conversation {group}", list.Out, StringComparison.Ordinal);
            Assert.Contains($"purged {purged} events of {liveChat}", list.Out, StringComparison.Ordinal);

            var verified = await Run("verify", "--pg", pg);
            Assert.True(verified.Code == 0, verified.Out);
            Assert.Contains($"{purged} purged (their hashes kept)", verified.Out, StringComparison.Ordinal);

            // A deletion dressed up as a purge, with no purge recorded for it: named.
            await using (var fake = new Npgsql.NpgsqlCommand($"""
                insert into client_log.evidence_purged select seq_id, leaf_index, 0, 'fake' from client_log.evidence_leaves
                where stream_id like '%/conversation/{group}' order by seq_id desc limit 1 returning seq_id
                """, sql))
            {
                var position = (long)(await fake.ExecuteScalarAsync())!;
                await using var delete = new Npgsql.NpgsqlCommand($"delete from client_log.mt_events where seq_id = {position}", sql);
                await delete.ExecuteNonQueryAsync();
                var failed = await Run("verify", "--pg", pg);
                Assert.Equal(1, failed.Code);
                Assert.Contains($"removed at position {position} (marked purged without a recorded purge)", failed.Out, StringComparison.Ordinal);
            }
        }
        finally
        {
            File.Delete(retention);
        }
        Assert.Equal(0, (await Run("hold", "release", "--conversation", group, "--pg", pg)).Code);
        Assert.Equal(2, (await Run("hold", "release", "--conversation", group, "--pg", pg)).Code);
    }

    [Fact]
    public async Task The_rsmf_export_is_valid_rsmf_2_0_and_every_reference_in_it_resolves()
    {
        var pg = await FreshDatabase();
        var demo = await Run("demo", "--pg", pg);
        Assert.True(demo.Code == 0, demo.Out);
        var dir = Directory.CreateTempSubdirectory("stringee-es-rsmf-");
        try
        {
            var file = Path.Combine(dir.FullName, "all.rsmf");
            var export = await Run("export", "--format", "rsmf", "--all", "--out", file, "--pg", pg);
            Assert.True(export.Code == 0, export.Out);
            Assert.Equal(2, (await Run("export", "--format", "rsmf", "--conversation", "no-such", "--out", Path.Combine(dir.FullName, "none.rsmf"), "--pg", pg)).Code);
            Assert.False(File.Exists(Path.Combine(dir.FullName, "none.rsmf")));

            var mail = await MimeKit.MimeMessage.LoadAsync(file);
            Assert.Equal("2.0.0", mail.Headers["X-RSMF-Version"]);
            var attachment = Assert.Single(mail.Attachments.OfType<MimeKit.MimePart>());
            Assert.Equal("rsmf.zip", attachment.FileName);
            using var zipBytes = new MemoryStream();
            await attachment.Content!.DecodeToAsync(zipBytes);
            zipBytes.Position = 0;
            using var zip = new System.IO.Compression.ZipArchive(zipBytes);
            var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            string manifestText;
            using (var reader = new StreamReader(zip.GetEntry("rsmf_manifest.json")!.Open())) manifestText = await reader.ReadToEndAsync();

            // The schema, with formats (date-time, idn-email) asserted.
            using var manifest = System.Text.Json.JsonDocument.Parse(manifestText);
            Assert.Empty(RsmfSchema.Errors(manifest.RootElement));

            // Every reference resolves: participants, conversations, attachments; the headers agree with the events.
            var root = manifest.RootElement;
            var participants = root.GetProperty("participants").EnumerateArray().Select(p => p.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
            var conversations = root.GetProperty("conversations").EnumerateArray().ToList();
            var convIds = conversations.Select(c => c.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal);
            foreach (var c in conversations)
            {
                Assert.All(c.GetProperty("participants").EnumerateArray(), p => Assert.Contains(p.GetString()!, participants));
                Assert.Contains(c.GetProperty("custodian").GetString()!, participants);
            }
            var events = root.GetProperty("events").EnumerateArray().ToList();
            foreach (var e in events)
            {
                if (e.TryGetProperty("participant", out var p)) Assert.Contains(p.GetString()!, participants);
                Assert.Contains(e.GetProperty("conversation").GetString()!, convIds);
                foreach (var key in new[] { "edits", "read_receipts" })
                    if (e.TryGetProperty(key, out var list)) Assert.All(list.EnumerateArray(), x => Assert.Contains(x.GetProperty("participant").GetString()!, participants));
                if (e.TryGetProperty("attachments", out var files)) Assert.All(files.EnumerateArray(), a => Assert.Contains(a.GetProperty("id").GetString()!, names));
            }
            foreach (var p in root.GetProperty("participants").EnumerateArray())
                if (p.TryGetProperty("avatar", out var avatar)) Assert.Contains(avatar.GetString()!, names);
            Assert.Equal(events.Count.ToString(System.Globalization.CultureInfo.InvariantCulture), mail.Headers["X-RSMF-EventCount"]);
            var times = events.Select(e => e.GetProperty("timestamp").GetString()!).Order(StringComparer.Ordinal).ToList();
            Assert.Equal((times[0], times[^1]), (mail.Headers["X-RSMF-BeginDate"], mail.Headers["X-RSMF-EndDate"]));

            // What the demo did is there: the edit with both versions, the revoked message kept for audit, receipts, a live chat's customer.
            Assert.Contains(events, e => e.TryGetProperty("edits", out var ed) && ed.EnumerateArray().Any(x => x.GetProperty("previous").GetString() == "Launch is on Thursday"));
            var revoked = Assert.Single(events, e => e.TryGetProperty("deleted", out var d) && d.GetBoolean() && e.GetProperty("custom").EnumerateArray().Any(c => c.GetProperty("name").GetString() == "revoked"));
            Assert.Equal("", revoked.GetProperty("body").GetString());
            Assert.Contains(revoked.GetProperty("custom").EnumerateArray(), c => c.GetProperty("name").GetString() == "original_body" && c.GetProperty("value").GetString()!.Length > 0);
            Assert.Contains(events, e => e.TryGetProperty("read_receipts", out var r) && r.EnumerateArray().Any(x => x.GetProperty("action").GetString() == "read"));
            Assert.Contains(conversations, c => c.GetProperty("custom").EnumerateArray().Any(x => x.GetProperty("name").GetString() == "live_chat_customer_id"));
            Assert.Contains(events, e => e.GetProperty("type").GetString() == "join");
            Assert.Contains(conversations, c => c.GetProperty("type").GetString() == "channel");

            // Plain EML: one RFC 5322 message per conversation.
            var eml = dir.CreateSubdirectory("eml");
            var plain = await Run("export", "--format", "eml", "--all", "--out", eml.FullName, "--pg", pg);
            Assert.True(plain.Code == 0, plain.Out);
            var messages = eml.GetFiles("*.eml");
            Assert.Equal(convIds.Count, messages.Length);
            var group = await MimeKit.MimeMessage.LoadAsync(messages.Single(f => f.Name == System.Text.RegularExpressions.Regex.Match(demo.Out, @"audit --conversation (conv-[a-z0-9]+-\d+)").Groups[1].Value + ".eml").FullName);
            Assert.Contains("Launch is on Friday 10:00 UTC (edited; earlier: Launch is on Thursday | Launch is on Friday)", group.TextBody, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
