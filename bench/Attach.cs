using System.Diagnostics;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using static LanguageExt.Prelude;

namespace EventSourced.Bench;

/// <summary>
/// #12: what a client pays to attach to a shared log, which is what it reads for its own user (where that user's
/// streams end, then their events folded into the read models): the target user's events among many other users'
/// (a compliance lab's database) beside the same user's events alone in a log. The cost must follow the user's events,
/// not the log's size.
/// </summary>
static class Attach
{
    public sealed record Result(double SharedMs, double AloneMs, int UserEvents, int LogEvents);

    const string Target = "target";

    // Events of one user: messages in a handful of conversations, stamped at increasing times.
    static IEnumerable<Recorded> Of(string user, int count, long offset)
    {
        for (var i = 0; i < count; i++)
        {
            var conv = $"{user}-c{i % 8}";
            var seq = i / 8 + 1;
            var e = new Event.MessageReceived(new MessageNotice(conv, $"{conv}-m{seq}", "peer", 1_700_000_000_000 + offset + i, seq, 1,
                Json.Object(("content", $"message {i} of {user}")), None, None, None, None, None, None));
            var r = Recording.Local(user, e, 1_700_000_000_000 + offset + i);
            yield return r with { Meta = r.Meta with { Origin = Origin.Received } };
        }
    }

    public static async Task<Result> RunAsync(string cs, int logEvents, int userEvents)
    {
        // The shared log: the target's events interleaved with 99 other users' (round robin: every 100th event is the target's).
        var perOther = (logEvents - userEvents) / 99;
        var sources = new IEnumerator<Recorded>?[100];
        sources[0] = Of(Target, userEvents, 0).GetEnumerator();
        for (var u = 1; u < 100; u++) sources[u] = Of($"user{u}", perOther, 0).GetEnumerator();
        var shared = new List<Recorded>(logEvents);
        for (var (i, live) = (0, 100); live > 0; i++)
        {
            var source = sources[i % 100];
            if (source is null) continue;
            if (source.MoveNext()) shared.Add(source.Current);
            else
            {
                sources[i % 100] = null;
                live--;
            }
        }
        var alone = Of(Target, userEvents, 0).ToList();
        var sharedMs = await TimeAttachAsync(cs, shared);
        var aloneMs = await TimeAttachAsync(cs, alone);
        return new Result(sharedMs, aloneMs, userEvents, shared.Count);
    }

    static async Task<double> TimeAttachAsync(string cs, List<Recorded> events)
    {
        var schema = $"attach_{Guid.NewGuid():N}"[..20];
        try
        {
            await using var log = new MartenClientLog(cs, schema) { WithoutEvidence = true };
            await log.InitializeAsync();
            var imported = await log.ImportAsync(events);
            if (imported.IsFail) throw new InvalidOperationException($"import failed: {imported.Match(_ => "", e => e.Message)}");
            await Analyze(cs, schema);
            // Warm once, then the median of three.
            var times = new List<double>();
            for (var i = 0; i < 4; i++)
            {
                var watch = Stopwatch.StartNew();
                var end = await log.LastPositionAsync(Recording.UserPrefix(Target));
                var models = await log.ReadModelsOfAsync(Target);
                watch.Stop();
                if (end == 0 || models.Timeline.Conversations.Count == 0) throw new InvalidOperationException("the target user's events were not read");
                if (i > 0) times.Add(watch.Elapsed.TotalMilliseconds);
            }
            return times.Order().ElementAt(times.Count / 2);
        }
        finally
        {
            await using var conn = new Npgsql.NpgsqlConnection(cs);
            await conn.OpenAsync();
            await using var drop = new Npgsql.NpgsqlCommand($"drop schema if exists {schema} cascade", conn);
            await drop.ExecuteNonQueryAsync();
        }
    }

    // Fresh statistics, as autovacuum would have after a bulk load, so the planner sees the log as it is.
    static async Task Analyze(string cs, string schema)
    {
        await using var conn = new Npgsql.NpgsqlConnection(cs);
        await conn.OpenAsync();
        await using var analyze = new Npgsql.NpgsqlCommand($"analyze {schema}.mt_events", conn);
        await analyze.ExecuteNonQueryAsync();
    }
}
