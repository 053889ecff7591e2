using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.Erasure;
using EventSourced.Adapters.Storage.Marten;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>
/// Crypto-shredding on a real PostgreSQL: what is stored is sealed, reads open it, an erased subject's values and raw packets read
/// as erased while everyone else's stay, and two writers making a new subject's key at once share one. Subjects are unique per
/// test: the keys table is the database's, shared by every log in it.
/// </summary>
public sealed class ErasureTests
{
    static string Unique(string name) => $"{name}-{Guid.NewGuid():N}"[..16];

    // A received message as the client records it: the typed event and the packet's exact bytes.
    static Recorded Received(string user, string conv, long seq, string from, string text, string? displayName = null)
    {
        var notice = new MessageNotice(conv, $"msg-{seq}", from, 1_000 + seq, seq, 1, Json.Object(("content", text)), None, Optional(displayName), None, None, None, None);
        var raw = Json.Object(("service", 43), ("body", BodyCodec.Encode(notice))).ToUtf8();
        var r = Recording.Local(user, new Event.MessageReceived(notice), 1_000 + seq);
        return r.WithMeta(r.Meta with { Origin = Origin.Received, Raw = new Raw(raw), Seq = seq });
    }

    static async Task<string> StoredAsync(string schema)
    {
        await using var conn = new Npgsql.NpgsqlConnection((await Postgres.Instance).ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new Npgsql.NpgsqlCommand($"select coalesce(string_agg(data::text, E'\\n'), '') from {schema}.mt_events", conn);
        return (string)(await cmd.ExecuteScalarAsync())!;
    }

    static async Task<Seq<long>> EraseAsync(string subject)
    {
        await using var conn = new Npgsql.NpgsqlConnection((await Postgres.Instance).ConnectionString);
        await conn.OpenAsync();
        return await SubjectKeys.EraseAsync(conn, subject, "test", CancellationToken.None);
    }

    [Fact]
    public async Task What_is_stored_is_sealed_reads_open_it_and_an_erased_senders_values_and_raw_packets_read_as_erased()
    {
        var schema = Postgres.Schema();
        var (amy, erin, carl) = (Unique("amy"), Unique("erin"), Unique("carl"));
        var appended = new[]
        {
            Received(amy, "c1", 1, erin, "erin's secret plan", "Erin E."),
            Received(amy, "c1", 2, carl, "carl's reply", "Carl C."),
        };
        await using var log = await ClientLogs.OpenAsync(schema);
        foreach (var r in appended) await AppendAsync(log, r);

        var stored = await StoredAsync(schema);
        foreach (var plain in new[] { "secret plan", "Erin E.", "carl's reply", "Carl C." }) Assert.DoesNotContain(plain, stored, StringComparison.Ordinal);
        var read = await ReadAsync(log);
        Assert.Equal(appended.Select(r => (r.Event, r.Meta.Raw)), read.Select(r => (r.Event, r.Meta.Raw)));

        Assert.Single(await EraseAsync(erin));
        var after = await ReadAsync(log);
        var erased = (Event.MessageReceived)after[0].Event;
        Assert.Equal(Json.Object(("content", "[erased]")), erased.Packet.Message);
        Assert.Equal(Some("[erased]"), erased.Packet.DisplayName);
        Assert.Equal(erin, erased.Packet.From);
        Assert.Equal(0, after[0].Meta.Raw.Length);
        Assert.Equal((appended[1].Event, appended[1].Meta.Raw), (after[1].Event, after[1].Meta.Raw));
        // Nothing stored changed: the log still proves itself.
        Assert.True((await log.VerifyAsync()).Ok);
        Assert.Equal(stored, await StoredAsync(schema));
        // A second erasure finds no live key.
        Assert.Empty(await EraseAsync(erin));
    }

    [Fact]
    public async Task A_subject_who_comes_back_after_an_erasure_gets_a_new_key_and_a_sealed_value_altered_in_place_reads_unreadable()
    {
        var schema = Postgres.Schema();
        var (amy, erin) = (Unique("amy"), Unique("erin"));
        await using var log = await ClientLogs.OpenAsync(schema);
        var first = Received(amy, "c1", 1, erin, "before");
        await AppendAsync(log, first);
        await EraseAsync(erin);
        var second = Received(amy, "c1", 2, erin, "after");
        await AppendAsync(log, second);
        var read = await ReadAsync(log);
        Assert.Equal(Json.Object(("content", "[erased]")), ((Event.MessageReceived)read[0].Event).Packet.Message);
        Assert.Equal(Json.Object(("content", "after")), ((Event.MessageReceived)read[1].Event).Packet.Message);

        // Shifting the ciphertext (as an administrator could) fails its authentication: the value reads
        // unreadable, never as something else, and verify names the event.
        await using (var conn = new Npgsql.NpgsqlConnection((await Postgres.Instance).ConnectionString))
        {
            await conn.OpenAsync();
            await using var cmd = new Npgsql.NpgsqlCommand(
                $"update {schema}.mt_events set data = jsonb_set(data, '{{Data}}', to_jsonb(regexp_replace(data->>'Data', '(u0001sealed:v1:[0-9]+:[a-z]:[0-9a-f]+:)', '\\1AAAA'))) where seq_id = {read[1].Meta.Position}", conn);
            Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        }
        var altered = await ReadAsync(log);
        Assert.Equal(Json.Object(("content", "[unreadable]")), ((Event.MessageReceived)altered[1].Event).Packet.Message);
        var verified = await log.VerifyAsync();
        Assert.False(verified.Ok);
        Assert.Equal(read[1].Meta.Position, ((Finding)verified.First).Position);
    }

    [Fact]
    public async Task An_edit_notice_which_does_not_say_whose_message_it_edits_is_sealed_under_the_senders_key()
    {
        var (amy, erin) = (Unique("amy"), Unique("erin"));
        await using var log = await ClientLogs.OpenAsync(Postgres.Schema());
        var message = Received(amy, "c1", 1, erin, "first draft");
        await AppendAsync(log, message);
        // Appended alone, later: its sender is found in amy's message rows, not in the append.
        var edit = Recording.Local(amy, new Event.MessageEdited(new EditNotice("c1", "msg-1", new Json.Str("""{"content":"second draft"}"""))), 2_000);
        await AppendAsync(log, edit);
        Assert.Equal(new Json.Str("""{"content":"second draft"}"""), ((Event.MessageEdited)(await ReadAsync(log))[1].Event).Packet.NewContent);
        await EraseAsync(erin);
        var after = await ReadAsync(log);
        Assert.Equal(new Json.Str("[erased]"), ((Event.MessageEdited)after[1].Event).Packet.NewContent);
        Assert.Equal(["""{"content":"[erased]"}"""], (await log.MessageRowsAsync(amy)).Single().Versions.Distinct());
    }

    [Fact]
    public async Task Two_writers_making_a_new_subjects_key_at_the_same_moment_share_one_key()
    {
        var erin = Unique("erin");
        var cs = (await Postgres.Instance).ConnectionString;
        await using var first = new Npgsql.NpgsqlConnection(cs);
        await using var second = new Npgsql.NpgsqlConnection(cs);
        await first.OpenAsync();
        await second.OpenAsync();
        // The first transaction makes the key and has not committed when the second asks for it: the second waits on the unique
        // index, its insert then does nothing and its statement does not see the new row, so it must read it again.
        await using var tx1 = await first.BeginTransactionAsync();
        var made = (await SubjectKeys.ForAsync(first, [erin], CancellationToken.None))[erin];
        await using var tx2 = await second.BeginTransactionAsync();
        var waiting = SubjectKeys.ForAsync(second, [erin], CancellationToken.None);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted);
        await tx1.CommitAsync();
        var found = (await waiting.WaitAsync(TimeSpan.FromSeconds(10)))[erin];
        await tx2.CommitAsync();
        Assert.Equal((made.Id, Convert.ToHexString(made.Bytes)), (found.Id, Convert.ToHexString(found.Bytes)));
        Assert.Equal([(made.Id, false)], (await SubjectKeys.OfAsync(first, erin, CancellationToken.None)).ToArray());
    }

    [Theory]
    [InlineData(10)]
    [InlineData(5_000)]
    public async Task Equal_values_of_one_subject_seal_to_one_digest_and_every_token_opens_to_its_own_value(int count)
    {
        // Small appends seal in order, large ones on every core with a cipher state per worker: either way each token is its own
        // value's, and the keyed digest SQL compares (same()) is equal exactly where the subject and the value are.
        var subjects = new[] { Unique("fay"), Unique("gil") };
        var texts = new[] { "{\"content\":\"hello\"}", "{\"content\":\"bye\"}", "{\"content\":\"" + new string('x', 1_500) + "\"}", "\"a\\u0000b\"" };
        var values = Enumerable.Range(0, count).Select(i => (Subject: subjects[i % 2], Text: texts[i / 2 % texts.Length])).ToList();
        await using var conn = new Npgsql.NpgsqlConnection((await Postgres.Instance).ConnectionString);
        await conn.OpenAsync();
        var tokens = await Sealer.SealAsync(conn, values.Select(v => (v.Subject, System.Text.Encoding.UTF8.GetBytes(v.Text), 'o')).ToList(), CancellationToken.None);
        var parsed = tokens.Select(t => (Token: Sealer.Token.Parse(t), Digest: t.Split(':')[4])).ToArray();
        Assert.All(parsed, p => Assert.True(p.Token.IsSome));
        var cache = new Sealer.KeyCache();
        await Sealer.LoadAsync(conn, cache, parsed.Select(p => ((Sealer.Token)p.Token).KeyId).Distinct(), CancellationToken.None);
        for (var i = 0; i < count; i++)
        {
            Assert.Equal(Json.Parse(System.Text.Encoding.UTF8.GetBytes(values[i].Text)), Json.Parse(System.Text.Encoding.UTF8.GetBytes(Sealer.OpenText(new Json.Str(tokens[i]).ToJsonString(), cache))));
            // The next value (the other subject), two on (another text), eight on (the same subject and text, where there is one).
            foreach (var j in new[] { (i + 1) % count, (i + 2) % count, (i + 8) % count })
                Assert.Equal(values[i] == values[j], parsed[i].Digest == parsed[j].Digest);
        }
        Assert.Contains(Enumerable.Range(0, count), i => values[i] == values[(i + 8) % count]);
        Assert.Equal(tokens.Length, tokens.Distinct().Count());
    }

    static async Task AppendAsync(MartenClientLog log, Recorded r)
    {
        var appended = await log.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r]);
        Assert.True(appended.IsSucc, appended.ToString());
    }

    static async Task<List<Recorded>> ReadAsync(MartenClientLog log)
    {
        var all = new List<Recorded>();
        await foreach (var r in log.ReadAllAsync()) all.Add(r);
        return all;
    }
}
