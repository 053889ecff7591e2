using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Marten;
using EventSourced.Projections;
using EventSourced.Tests.Properties.Support;
using FsCheck;
using FsCheck.Fluent;
using EventSourced.Tests.Properties.Projections;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>
/// A history import (binary COPY into Marten's tables) is the same log as appends would have made:
/// Marten reads it back, positions follow the import order, versions continue each stream, the rows
/// equal the pure fold, and appends after it carry on.
/// </summary>
public sealed class ImportTests
{
    static List<Recorded> Records(string user, Seq<Event> events, long at) =>
        events.Select((e, i) => Recording.Local(user, e, at + i)).ToList();

    [Fact]
    public async Task An_import_reads_back_as_appended_with_rows_equal_to_the_pure_fold_and_appends_carry_on()
    {
        var schema = Postgres.Schema();
        var cases = Gen.Zip(Generators.Mixed, Generators.Mixed).Sample(25, 6).ToList();
        var users = Enumerable.Range(0, cases.Count).Select(i => $"u{i}").ToArray();
        await using (var log = await ClientLogs.OpenAsync(schema))
        {
            // Some history appended the usual way first: the import continues those streams.
            for (var i = 0; i < cases.Count; i += 2)
                foreach (var r in Records(users[i], cases[i].Item1.Take(3).ToSeq(), 1))
                    Assert.True((await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r])).IsSucc);
            var before = log.LastPosition;
            // Users interleaved, as a history export would list them; chunks of 7 cross every boundary.
            var history = cases.SelectMany((c, i) => Records(users[i], (i % 2 == 0 ? c.Item1.Skip(3) : c.Item1).ToSeq(), 100).Select((r, k) => (r, k)))
                .OrderBy(x => x.k).Select(x => x.r).ToList();
            var emitted = new List<Recorded>();
            using var feed = log.Subscribe(before + 1).Subscribe(emitted.Add);
            var imported = await log.ImportAsync(history, chunkSize: 7);
            var result = Assert.IsType<ImportResult>(imported.Match(r => r, e => (object)e.Message));
            Assert.Equal(history.Count, result.Count);
            Assert.Equal(history.Count == 0 ? 0 : before + 1, result.FirstPosition);
            Assert.Equal(log.LastPosition, result.LastPosition);

            // Marten reads the import back in import order, each stream's versions counting on from its appends.
            var all = new List<Recorded>();
            await foreach (var r in log.ReadAllAsync(before + 1)) all.Add(r);
            Assert.Equal(history.Select(r => r.Event).ToArray(), all.Select(r => r.Event).ToArray());
            Assert.Equal(all.Select(r => r.Meta.Position).Order().ToArray(), all.Select(r => r.Meta.Position).ToArray());
            Assert.Equal(all.Select(r => r.Meta.Position).ToArray(), emitted.Select(r => r.Meta.Position).ToArray());
            foreach (var stream in history.Select(r => r.Meta.Stream).Distinct())
            {
                var versions = new List<long>();
                await foreach (var r in log.ReadStreamAsync(stream)) versions.Add(r.Meta.Version);
                Assert.Equal(Enumerable.Range(1, versions.Count).Select(v => (long)v).ToArray(), versions.ToArray());
            }
            for (var i = 0; i < cases.Count; i++) await ClientLogs.AssertRowsEqualFoldAsync(log, users[i], cases[i].Item1);
        }
        // After a restart, appends with a version check continue the imported streams, and the rows keep up.
        await using (var log = await ClientLogs.OpenAsync(schema))
        {
            for (var i = 0; i < cases.Count; i++)
            {
                foreach (var r in Records(users[i], cases[i].Item2, 10_000))
                {
                    var version = 0L;
                    await foreach (var s in log.ReadStreamAsync(r.Meta.Stream)) version = s.Meta.Version;
                    Assert.True((await log.AppendAsync(r.Meta.Stream, version == 0 ? ExpectedVersion.NoStream : ExpectedVersion.Exactly(version), [r])).IsSucc);
                }
                await ClientLogs.AssertRowsEqualFoldAsync(log, users[i], cases[i].Item1 + cases[i].Item2);
            }
        }
    }

    [Fact]
    public async Task A_record_without_a_stream_stops_the_import_and_keeps_the_chunks_before_it()
    {
        await using var log = await ClientLogs.OpenAsync(Postgres.Schema());
        var good = Enumerable.Range(1, 6).Select(i => Recording.Local("amy", Scenario.Received("c1", $"m{i}", i, "bob", $"text {i}"), i)).ToList();
        var bad = good[4] with { Meta = good[4].Meta with { Stream = "" } };
        var history = good.Take(4).Append(bad).Append(good[5]).ToList();

        var imported = await log.ImportAsync(history, chunkSize: 3);

        var error = imported.Match(_ => throw new Xunit.Sdk.XunitException("the import should have stopped"), e => e);
        Assert.Equal(EventLogErrors.ImportStopped, error.Code);
        Assert.Contains("after 3 records", error.Message);
        Assert.Contains("record 5 has no stream", error.Message);
        var stored = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync()) stored.Add(r);
        Assert.Equal(good.Take(3).Select(r => r.Event).ToArray(), stored.Select(r => r.Event).ToArray());
        Assert.Equal(new[] { "m1", "m2", "m3" }, (await log.MessageRowsAsync("amy")).Select(r => r.MsgId).ToArray());
    }

    [Fact]
    public async Task Row_ids_that_meet_across_users_never_fail_the_events_of_their_transaction()
    {
        // "a/b" in "c" and "a" in "b/c" name the same row ("a/b/c/m1"). The rows are written set-based, and one statement may not
        // touch a row twice: the events of the chunk (and of a group commit) must be stored all the same.
        await using var log = await ClientLogs.OpenAsync(Postgres.Schema());
        var history = new[]
        {
            Recording.Local("a/b", Scenario.Received("c", "m1", 1, "bob", "first"), 1),
            Recording.Local("a", Scenario.Received("b/c", "m1", 1, "bob", "second"), 2),
        }.ToList();
        var imported = await log.ImportAsync(history);
        Assert.True(imported.IsSucc, imported.ToString());
        var later = new[]
        {
            Recording.Local("a/b", Scenario.Received("c", "m2", 2, "bob", "third"), 3),
            Recording.Local("a", Scenario.Received("b/c", "m2", 2, "bob", "fourth"), 4),
        };
        var appended = await Task.WhenAll(later.Select(r => log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r])));
        Assert.All(appended, a => Assert.True(a.IsSucc, a.ToString()));
        var stored = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync()) stored.Add(r);
        Assert.Equal(4, stored.Count);
    }
}
