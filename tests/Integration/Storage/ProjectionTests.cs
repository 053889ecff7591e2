using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Projections;
using EventSourced.Tests.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using EventSourced.Tests.Properties.Projections;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>The inline Marten projection writes exactly the rows of the pure fold, through group commit and a restart.</summary>
public sealed class ProjectionTests
{
    // Appends without waiting between events, so that many land in one transaction (group commit).
    static async Task AppendAllAsync(MartenClientLog log, string user, Seq<Event> events, long at)
    {
        var pending = events.Select((e, i) => Recording.Local(user, e, at + i))
            .Select(r => log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r])).ToList();
        foreach (var fin in await Task.WhenAll(pending)) Assert.True(fin.IsSucc, fin.ToString());
    }

    [Fact]
    public async Task Rows_in_postgres_equal_the_pure_fold_on_generated_sequences_across_a_restart()
    {
        var schema = Postgres.Schema();
        var cases = Gen.Zip(Generators.Mixed, Generators.Mixed).Sample(20, 12).ToList();
        await using (var log = await ClientLogs.OpenAsync(schema))
        {
            for (var i = 0; i < cases.Count; i++)
            {
                await AppendAllAsync(log, $"u{i}", cases[i].Item1, 1_000);
                await ClientLogs.AssertRowsEqualFoldAsync(log, $"u{i}", cases[i].Item1);
            }
        }
        // A new process knows no user: it rebuilds each from the log before applying the next events.
        await using (var log = await ClientLogs.OpenAsync(schema))
        {
            for (var i = 0; i < cases.Count; i++)
            {
                await AppendAllAsync(log, $"u{i}", cases[i].Item2, 5_000);
                await ClientLogs.AssertRowsEqualFoldAsync(log, $"u{i}", cases[i].Item1 + cases[i].Item2);
            }
        }
    }

    [Fact]
    public async Task Two_writers_of_one_user_keep_the_rows_equal_to_the_fold_of_everything_both_wrote()
    {
        // Two recorders (two stores, as two processes would have) write one user's streams in turn: each one's
        // remembered state of that user goes stale whenever the other writes, and must be caught up, never trusted.
        var schema = Postgres.Schema();
        await using var first = await ClientLogs.OpenAsync(schema);
        await using var second = await ClientLogs.OpenAsync(schema);
        var turns = Generators.Mixed.Sample(12, 8).ToList();
        var all = Seq<Event>();
        for (var i = 0; i < turns.Count; i++)
        {
            var writer = i % 2 == 0 ? first : second;
            await AppendAllAsync(writer, "shared", turns[i], 1_000 * (i + 1));
            all += turns[i];
            await ClientLogs.AssertRowsEqualFoldAsync(writer, "shared", all);
        }
        await ClientLogs.AssertRowsEqualFoldAsync(first, "shared", all);
    }

    [Fact]
    public async Task A_rejected_append_leaves_the_rows_as_they_were()
    {
        await using var log = await ClientLogs.OpenAsync(Postgres.Schema());
        var first = Recording.Local("amy", Scenario.Received("c1", "m1", 1, "bob", "one"), 1);
        Assert.True((await log.AppendAsync(first.Meta.Stream, ExpectedVersion.NoStream, [first])).IsSucc);
        var edit = Recording.Local("amy", Scenario.Edited("c1", "m1", "changed"), 2);
        var rejected = await log.AppendAsync(edit.Meta.Stream, ExpectedVersion.NoStream, [edit]);
        Assert.True(rejected.IsFail);
        var row = Assert.Single(await log.MessageRowsAsync("amy"));
        Assert.Single(row.Versions);
        // The next accepted event starts from the committed state, not from the rejected one.
        var second = Recording.Local("amy", Scenario.Received("c1", "m2", 2, "bob", "two"), 3);
        Assert.True((await log.AppendAsync(second.Meta.Stream, ExpectedVersion.Exactly(1), [second])).IsSucc);
        Assert.Equal([1, 1], (await log.MessageRowsAsync("amy")).Select(r => r.Versions.Count));
    }
}
