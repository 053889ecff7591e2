using EventSourced.Adapters.Storage;
using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>The streamed replay on PostgreSQL: one pass for the outlines, then each conversation from its own streams.</summary>
public sealed class StreamedReplayTests
{
    static MessageNotice Notice(string conv, int seq, string text) =>
        new(conv, $"{conv}/{seq}", "carol", 1_000 + seq, seq, 1, Json.Object(("content", text)), None, None, None, None, None, None);

    [Fact]
    public async Task Every_conversation_of_every_user_folded_from_its_streams_equals_the_fold_of_the_users_whole_log()
    {
        await using var log = await ClientLogs.OpenAsync(Postgres.Schema());
        var recorded = new List<(string User, Event Event)>();
        var t = 0L;
        async Task RecordAsync(string user, Event e, string? stream = null)
        {
            recorded.Add((user, e));
            Assert.True((await log.AppendAsync(stream ?? Recording.StreamOf(user, e), ExpectedVersion.Any, [Recording.Local(user, e, ++t)])).IsSucc);
        }
        // Ids with slashes and line breaks: stream keys are encoded, folds are not confused.
        string[] users = ["alice", "bob/ops", "eve\r\nx"];
        string[] convs = ["c1", "c/2", "c\n3"];
        foreach (var user in users)
        {
            await RecordAsync(user, new Connected(new AuthenResult(0, 1L, None, user, None, 1L, 1L, 60_000L, None, None, false, None, None), false));
            for (var i = 1; i <= 40; i++)
                foreach (var c in convs)
                {
                    await RecordAsync(user, new MessageReceived(Notice(c, i, $"{user} {c} {i}")));
                    if (i % 5 == 0) await RecordAsync(user, new MessageEdited(new EditNotice(c, $"{c}/{i - 1}", new Json.Str("{\"content\":\"edited\"}"))));
                    if (i % 7 == 0) await RecordAsync(user, new MessagesRevoked(new RevokeNotice(c, Seq1($"{c}/{i - 2}"))));
                }
            // A send in c1 confirmed by an answer that names c/2: the two conversations are one scope.
            await RecordAsync(user, new MessageSendRequested(new SendMessage(Some(9L), "c1", 1, Json.Object(("content", "mine")), Some("l9"))));
            await RecordAsync(user, new MessageSent(new SendMessageResult(0, Some(9L), "c/2", "c/2/mine", 41, 2_000, Some("l9"), None)));
        }
        // Another writer filed one of bob's notices in a stream of no conversation: each of bob's conversations reads that stream too.
        await RecordAsync("bob/ops", new MessageReceived(Notice("c1", 99, "misfiled")), Recording.ConversationStream("bob/ops", "elsewhere"));

        var outlines = await StreamedReplay.OutlinesAsync(log);
        Assert.Equal(users.Order(StringComparer.Ordinal), outlines.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1, outlines["bob/ops"].Misplaced);
        Assert.Equal([Recording.ConversationStream("bob/ops", "elsewhere")], outlines["bob/ops"].MisplacedIn.ToArray());
        Assert.Equal(0, outlines["alice"].Misplaced);
        foreach (var user in users)
        {
            var whole = ReadModels.Reducer.Fold(recorded.Where(x => x.User == user).Select(x => x.Event));
            var outline = outlines[user];
            Assert.Equal(whole with { Timeline = Timeline.State.Initial }, outline.State.Models);
            Assert.Equal(convs.Order(StringComparer.Ordinal), outline.Conversations);
            Assert.Equal(Set<OrdStringOrdinal, string>("c1", "c/2"), Scopes.Of(outline.State.Scopes, "c1"));
            foreach (var c in convs)
            {
                var one = (await StreamedReplay.ConversationAsync(log, outline, c)).Timeline;
                Assert.Equal(whole.Timeline.Conversations.Find(c), one.Conversations.Find(c));
                Assert.Equal(Timeline.View(whole.Timeline, c), Timeline.View(one, c));
            }
        }
        // The misfiled notice is bob's: his c1 holds it, as the whole log's fold does.
        Assert.True(Timeline.Find((await StreamedReplay.ConversationAsync(log, outlines["bob/ops"], "c1")).Timeline, "c1", "c1/99").IsSome);
    }
}
