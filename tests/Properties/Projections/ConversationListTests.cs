using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class ConversationListTests() : ReducerLaws<ConversationList.State>(ConversationList.Reducer)
{
    [Fact]
    public void Given_the_canonical_scenario_the_conversation_shows_participants_reads_and_the_last_message()
    {
        var c = R.Fold(Canonical).ById["c1"];
        Assert.Equal(("m4", 4L, 0, None), (c.Last.Map(l => l.Id).IfNone(""), c.LastSeq, c.Unread, c.PinnedMsgId));
        Assert.Equal(2L, c.Participants["bob"].LastMsgSeqSeen);
        Assert.Equal((2L, 0L), (c.Participants["carol"].LastMsgSeqReceived, c.Participants["carol"].LastMsgSeqSeen));
        Assert.Equal("admin", c.Participants["alice"].Role);
    }

    [Fact]
    public void Messages_from_others_are_unread_until_the_user_reads_them()
    {
        var s = R.Fold(Seq(Connected("alice"), Created("c1", "alice", "bob"), Received("c1", "m2", 2, "bob", "a"), Received("c1", "m3", 3, "bob", "b")));
        Assert.Equal((2, 1), (s.ById["c1"].Unread, ConversationList.UnreadConversations(s)));
        s = R.Observe(s, new Event.ConversationReadMarked(new ReportMessage(9L, "c1", 3, 0L, 2)));
        Assert.Equal((0, 0), (s.ById["c1"].Unread, ConversationList.UnreadConversations(s)));
    }

    [Fact]
    public void A_user_removed_from_a_conversation_has_left_it()
    {
        var s = R.Fold(Seq(Connected("bob"), Created("c1", "alice", "bob"),
            new Event.ParticipantRemovedNotified(new ParticipantRemovedNotice("c1", "alice", "{\"user\":\"bob\"}"))));
        Assert.True(s.ById["c1"].Left);
        Assert.False(s.ById["c1"].Participants.ContainsKey("bob"));
    }

    [Fact]
    public void An_ended_live_chat_says_who_ended_it()
    {
        var s = R.Fold(Seq(Created("c1", "agent", "cust"), new Event.ConversationEnded(new ConversationEndedNotice("c1", "agent"))));
        Assert.Equal((true, Some("agent")), (s.ById["c1"].Ended, s.ById["c1"].EndedBy));
    }

    [Fact]
    public void A_deleted_conversation_leaves_the_visible_list()
    {
        var s = R.Fold(Seq(Created("c1", "a", "b"), Created("c2", "a", "c"), new Event.ConversationDeleted(new DeleteConversationResult(0, 2L, "c1"))));
        Assert.Equal(Seq1("c2"), ConversationList.Visible(s).Map(c => c.Id));
    }

    [Fact]
    public void A_rename_takes_effect_when_the_server_acknowledges_it()
    {
        var s = R.Run(R.Start, Seq(Created("c1", "a", "b"), new Event.ConversationUpdateRequested(new UpdateConversation(7L, "c1", "renamed", None))));
        Assert.Equal(Some("team"), s.State.ById["c1"].Name);
        Assert.Equal(Some("renamed"), R.Step(s, new Event.RequestAcknowledged(63, new Ack(0, 7L, None))).State.ById["c1"].Name);
        Assert.Equal(Some("team"), R.Step(s, new Event.RequestFailed(63, new Failure(3, 7L, "not allowed"))).State.ById["c1"].Name);
        // An acknowledgement nobody waits for (its command already answered, or never sent) renames nothing.
        Assert.Equal(Some("team"), R.Observe(s.State, new Event.RequestAcknowledged(63, new Ack(0, 7L, None))).ById["c1"].Name);
    }
}
