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
        // "a/b" in "c" and "a" in "b/c" named the same row ("a/b/c/m1") before row ids were encoded. The rows are written set-based,
        // and one statement may not touch a row twice: the events of the chunk (and of a group commit) must be stored all the same.
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
        // Each user keeps rows of its own (their ids are encoded): neither overwrote the other's.
        foreach (var user in new[] { "a/b", "a" })
            await ClientLogs.AssertRowsEqualFoldAsync(log, user, stored.Where(r => Recording.UserOf(r.Meta.Stream) == user).Select(r => r.Event));
    }

    [Fact]
    public async Task Ids_holding_U0000_are_recorded_by_appends_and_imports_and_read_back_unchanged()
    {
        // PostgreSQL text holds no U+0000: an id that carries one must still be recorded (stream key, rows), never fail the append.
        await using var log = await ClientLogs.OpenAsync(Postgres.Schema());
        const string user = "nul\u0000user", conv = "c\u0000/1", other = "c\u0000%00";
        var appended = new[] { Scenario.Received(conv, "m\u00001", 1, "bob\u0000", "first\u0000"), Scenario.Received(other, "m1", 1, "bob", "other") }
            .Select((e, i) => Recording.Local(user, e, 1 + i)).ToList();
        foreach (var r in appended)
        {
            var a = await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r]);
            Assert.True(a.IsSucc, a.ToString());
        }
        var history = Records(user, Seq(Scenario.Received(conv, "m2", 2, "bob", "second"), Scenario.Received(other, "m\u00002", 2, "bob", "x")), 10);
        Assert.Equal(2, history.Count);
        var imported = await log.ImportAsync(history);
        Assert.True(imported.IsSucc, imported.ToString());

        var stored = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync()) stored.Add(r);
        Assert.Equal(appended.Concat(history).Select(r => r.Event).ToArray(), stored.Select(r => r.Event).ToArray());
        Assert.Equal(appended.Concat(history).Select(r => r.Meta.Stream).ToArray(), stored.Select(r => r.Meta.Stream).ToArray());
        Assert.Equal(2, stored.Select(r => r.Meta.Stream).Distinct().Count());
        Assert.All(stored, r => Assert.Equal(user, Recording.UserOf(r.Meta.Stream)));
        // The rows show U+0000 as U+FFFD (text cannot hold it); their ids, encoded, keep the two conversations apart.
        static string Shown(string s) => s.Replace('\u0000', '\uFFFD');
        var expected = ReadModels.Reducer.Fold(stored.Select(r => r.Event));
        var conversations = await log.ConversationRowsAsync(user);
        Assert.Equal(Rows.ConversationsOf(user, expected).Select(r => (r.Id, Shown(r.User), Shown(r.ConvId), r.LastSeq)).Order().ToArray(),
            conversations.Select(r => (r.Id, r.User, r.ConvId, r.LastSeq)).Order().ToArray());
        Assert.Equal(["c%00%2500", "c%00%2F1"], conversations.Select(r => r.Id[(r.Id.IndexOf('/') + 1)..]).Order(StringComparer.Ordinal).ToArray());
        var messages = await log.MessageRowsAsync(user);
        Assert.Equal(Rows.MessagesOf(user, expected).Select(r => (r.Id, Shown(r.ConvId), Shown(r.MsgId), Shown(r.Sender), r.Seq)).Order().ToArray(),
            messages.Select(r => (r.Id, r.ConvId, r.MsgId, r.Sender, r.Seq)).Order().ToArray());
        Assert.True(messages.Count == 4, string.Join(" ; ", messages.Select(m => m.Id)));
        Assert.Equal(2, (await log.MessageRowsAsync(user, conv)).Count);
        Assert.Empty(await log.MessageRowsAsync(user.Replace('\u0000', '\uFFFD')));
    }

    [Fact]
    public async Task Migrating_rows_written_before_ids_were_encoded_gives_every_user_their_rows_back()
    {
        var schema = Postgres.Schema();
        await using var log = await ClientLogs.OpenAsync(schema);
        var events = new (string User, Event Event)[]
        {
            ("a/b", Scenario.Received("c", "m1", 1, "bob", "first")),
            ("a", Scenario.Received("b/c", "m1", 1, "eve", "second")),
            ("x%y", Scenario.Received("p%q", "m/1", 1, "bob", "third")),
            ("plain", Scenario.Received("c1", "m1", 1, "bob", "fourth")),
        };
        foreach (var (user, e) in events)
            Assert.True((await log.AppendAsync(Recording.StreamOf(user, e), ExpectedVersion.Any, [Recording.Local(user, e, 1)])).IsSucc);
        // As the rows stood before: ids unencoded, so "a/b" in "c" and "a" in "b/c" shared one row and the last written ("a") won.
        await using (var conn = new Npgsql.NpgsqlConnection((await Postgres.Instance).ConnectionString))
        {
            await conn.OpenAsync();
            await using var old = new Npgsql.NpgsqlCommand(
                $"""
                delete from {schema}.mt_doc_conversation_row where data->>'User' = 'a/b';
                delete from {schema}.mt_doc_message_row where data->>'User' = 'a/b';
                update {schema}.mt_doc_conversation_row set id = (data->>'User') || '/' || (data->>'ConvId');
                update {schema}.mt_doc_message_row set id = (data->>'User') || '/' || (data->>'ConvId') || '/' || (data->>'MsgId');
                """, conn);
            await old.ExecuteNonQueryAsync();
        }
        Assert.Empty(await log.MessageRowsAsync("a/b"));

        var (deleted, users) = await log.MigrateRowsAsync();

        Assert.Equal((4L, 4), (deleted, users));
        foreach (var group in events.GroupBy(e => e.User))
            await ClientLogs.AssertRowsEqualFoldAsync(log, group.Key, group.Select(e => e.Event));
        Assert.Equal((0L, 0), await log.MigrateRowsAsync());
    }
}
