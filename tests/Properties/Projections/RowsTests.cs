using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class RowsTests
{
    static (Map<string, Rows.ConversationRow> Conversations, Map<string, Rows.MessageRow> Messages) All(ReadModels s) =>
        (toMap(Rows.ConversationsOf("alice", s).Map(r => (r.Id, r))), toMap(Rows.MessagesOf("alice", s).Map(r => (r.Id, r))));

    static (Map<string, Rows.ConversationRow>, Map<string, Rows.MessageRow>) Apply((Map<string, Rows.ConversationRow> C, Map<string, Rows.MessageRow> M) rows, Rows.Change ch) =>
        (ch.Conversations.Fold(ch.DeletedConversations.Fold(rows.C, (m, id) => m.Remove(id)), (m, r) => m.AddOrUpdate(r.Id, r)),
         ch.Messages.Fold(ch.DeletedMessages.Fold(rows.M, (m, id) => m.Remove(id)), (m, r) => m.AddOrUpdate(r.Id, r)));

    [Fact]
    public void Applying_the_changes_of_a_batch_to_the_rows_before_it_gives_the_rows_after_it() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(Generators.Mixed.ToArbitrary(), Generators.Mixed.ToArbitrary(), (a, b) =>
        {
            var before = ReadModels.Reducer.Run(ReadModels.Reducer.Start, a);
            var (after, touched) = Rows.Fold(before, Rows.Touched.Nothing, b);
            var expected = All(after.State);
            var actual = Apply(All(before.State), Rows.Changes("alice", before.State, after.State, touched));
            return expected.Item1 == actual.Item1 && expected.Item2 == actual.Item2;
        }));

    [Fact]
    public void Changes_of_a_run_are_the_changes_of_its_parts_applied_in_turn() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(200), Prop.ForAll(Generators.Mixed.ToArbitrary(), (events) =>
        {
            var rows = All(ReadModels.Initial);
            var s = ReadModels.Reducer.Start;
            foreach (var e in events)
            {
                var (n, t) = Rows.Fold(s, Rows.Touched.Nothing, Seq1(e));
                rows = Apply(rows, Rows.Changes("alice", s.State, n.State, t));
                s = n;
            }
            var expected = All(ReadModels.Reducer.Fold(events));
            return rows.Item1 == expected.Item1 && rows.Item2 == expected.Item2;
        }));

    [Fact]
    public void A_message_row_keeps_every_version_the_pin_and_who_revoked()
    {
        var s = Fold(Canonical);
        var rows = toMap(Rows.MessagesOf("alice", s).Map(r => (r.MsgId, r)));
        Assert.Equal(["{\"content\":\"hi alice\"}", "{\"content\":\"hi alice!\"}", "{\"content\":\"hi Alice!\"}"], rows["m3"].Versions);
        Assert.True(rows["m3"].Edited);
        Assert.False(rows["m3"].Pinned); // pinned, then unpinned
        Assert.True(rows["m4"].Revoked);
        Assert.Equal("alice/c1/m4", rows["m4"].Id);
        var conv = Assert.Single(Rows.ConversationsOf("alice", s));
        Assert.Equal(["alice:admin", "bob:member", "carol:member"], conv.Participants);
    }

    [Fact]
    public void A_pin_moving_rewrites_the_rows_of_both_messages()
    {
        var before = ReadModels.Reducer.Run(ReadModels.Reducer.Start, Canonical.Add(Pinned("c1", "m2", true)));
        var (after, touched) = Rows.Fold(before, Rows.Touched.Nothing, Seq1(Pinned("c1", "m3", true)));
        var changed = Rows.Changes("alice", before.State, after.State, touched).Messages.Map(r => (r.MsgId, r.Pinned));
        Assert.Equal([("m2", false), ("m3", true)], changed.OrderBy(x => x.MsgId));
    }

    [Fact]
    public void A_read_report_rewrites_no_message_row()
    {
        var before = ReadModels.Reducer.Run(ReadModels.Reducer.Start, Canonical);
        var (after, touched) = Rows.Fold(before, Rows.Touched.Nothing, Seq1(Report("c1", "carol", 4, 2)));
        var ch = Rows.Changes("alice", before.State, after.State, touched);
        Assert.Empty(ch.Messages);
        Assert.Single(ch.Conversations);
    }

    [Fact]
    public void An_acknowledged_edit_or_pin_of_our_own_rewrites_that_message_row()
    {
        var before = ReadModels.Reducer.Run(ReadModels.Reducer.Start, Canonical.Add(new Event.MessageEditRequested(new EditMessage(7L, "c1", "m2", new Json.Str(Json.Object(("content", "hello all")).ToJsonString()))))
            .Add(new Event.MessagePinRequested(new PinMessage(8L, "c1", "m4", true))));
        var (after, touched) = Rows.Fold(before, Rows.Touched.Nothing, Seq<Event>(
            new Event.RequestAcknowledged((short)Service.ChatEditMessage, new Ack(0, 7L, None)),
            new Event.MessagePinAnswered(new PinMessageResult(0, 8L, true, "c1", "m4"))));
        var changed = toMap(Rows.Changes("alice", before.State, after.State, touched).Messages.Map(r => (r.MsgId, r)));
        Assert.Equal(2, changed["m2"].Versions.Count);
        Assert.True(changed["m4"].Pinned);
    }

    [Fact]
    public void The_creation_message_row_is_written_in_the_conversation_the_message_names()
    {
        var info = Conversation("c2", "alice", "bob") with
        {
            LastMsg = Some<Json>(Json.Object(("id", "m7"), ("seq", 1L), ("convId", "c9"), ("type", 7L), ("user", "alice"), ("content", Json.Object(("content", "created"))))),
        };
        var before = ReadModels.Reducer.Run(ReadModels.Reducer.Start, Canonical);
        var (after, touched) = Rows.Fold(before, Rows.Touched.Nothing, Seq1<Event>(new Event.ConversationCreated(new CreateConversationResult(0, 1L, None, info, None))));
        var changed = Rows.Changes("alice", before.State, after.State, touched).Messages;
        Assert.Equal(new[] { "alice/c9/m7" }, changed.Map(r => r.Id).ToArray());
    }
}
