using EventSourced.Domain.Server;
using Outcome = EventSourced.Domain.Server.Outcome;

namespace EventSourced.Tests.Properties.Domain.Server;

/// <summary>The refusals that keep one user from locking out, impersonating or overruling another (issue: nothing lost, nobody let in).</summary>
public sealed class ServerRulesTests
{
    static readonly ServerRules Rules = new(Map<OrdStringOrdinal, string, QueueRules>(("q", new QueueRules("q", "Q", Seq("ag1", "ag2"), 1_000, 5_000))));
    static readonly Caller Alice = new("a", 1, 1, None);
    static readonly Caller Bob = new("b", 2, 1, None);

    static int R(Outcome o) => (int)o.Reply.Bind(r => r["r"]).Map(j => ((Json.Number)j).Value).IfNone(-99);

    static Outcome Create(ServerState s, Caller by, Seq<string> people, bool group = true) =>
        ServerDecider.Handle(s, Rules, by, Service.ChatCreateConversation, new CreateConversation(1L, people, group, false, "room", None, None, None, None, None, None), 10);

    static (ServerState State, string Conv) Conversation(bool group, ServerState? from = null)
    {
        var start = from ?? ServerState.Initial;
        var created = Create(start, Alice, Seq1("b"), group);
        var s = ServerState.Fold(start, created.Events);
        return (s, ((ServerEvent.ConversationCreated)created.Events.Head).ConvId);
    }

    static ServerState Post(ServerState s, Caller by, string conv, string text) =>
        ServerState.Fold(s, ServerDecider.Handle(s, Rules, by, Service.ChatMessage, new SendMessage(2L, conv, 1, Json.Object(("content", text)), None), 20).Events);

    [Fact]
    public void A_create_with_more_participants_than_the_cap_is_refused_and_decides_nothing()
    {
        var outcome = Create(ServerState.Initial, Alice, toSeq(Enumerable.Range(0, 40_000).Select(i => $"invented-{i}")));
        Assert.Equal((ServerErrors.TooLarge, 0), (R(outcome), outcome.Events.Count));
    }

    [Theory]
    [InlineData("bob\r\nX: 1")]
    [InlineData("")]
    [InlineData(" ")]
    public void A_participant_id_the_server_would_not_issue_is_refused(string id) =>
        Assert.Equal(ServerErrors.InvalidRequest, R(Create(ServerState.Initial, Alice, Seq1(id))));

    [Fact]
    public void Adding_past_the_cap_is_refused()
    {
        var (s, conv) = Conversation(group: true);
        var outcome = ServerDecider.Handle(s, Rules with { MaxParticipants = 3 }, Alice, Service.ChatAddParticipant,
            new AddParticipants(3L, conv, Seq("c", "d")), 30);
        Assert.Equal((ServerErrors.TooLarge, 0), (R(outcome), outcome.Events.Count));
    }

    [Property(MaxTest = 50)]
    public Property A_listing_never_outgrows_the_reply_budget_however_many_and_large_the_conversations(PositiveInt budgetKb, PositiveInt count)
    {
        var rules = Rules with { MaxReplyBytes = 2_000 + (budgetKb.Get % 64) * 1024 };
        var s = ServerState.Initial;
        for (var i = 0; i < count.Get % 60 + 1; i++)
        {
            var created = ServerDecider.Handle(s, rules, Alice, Service.ChatCreateConversation,
                new CreateConversation(1L, toSeq(Enumerable.Range(0, 30).Select(j => $"member-{i}-{j}-{new string('x', 60)}")), true, false, $"room {i}", None, None, None, None, None, None), 10 + i);
            s = ServerState.Fold(s, created.Events);
        }
        var listed = ServerDecider.Handle(s, rules, Alice, Service.ChatConversationLoad,
            new LoadConversations(9L, 0, long.MaxValue, 500, None, None, None, None, None), 1_000);
        var reply = (Json.Obj)listed.Reply;
        return (reply.ToUtf8().Length <= rules.MaxReplyBytes && R(listed) == 0).ToProperty();
    }

    [Property(MaxTest = 100)]
    public Property Within_one_millisecond_a_listing_still_puts_the_last_touched_conversation_first(PositiveInt count, int seed)
    {
        var s = ServerState.Initial;
        var convs = new List<string>();
        for (var i = 0; i < count.Get % 12 + 2; i++)
        {
            (s, var conv) = Conversation(group: true, s);
            convs.Add(conv);
        }
        var order = convs.OrderBy(c => HashCode.Combine(c, seed)).ToList();
        foreach (var conv in order) s = Post(s, Alice, conv, "same millisecond");
        var listed = ((Json.Arr)((Json.Obj)ServerDecider.Handle(s, Rules, Alice, Service.ChatConversationLoad,
                new LoadConversations(9L, 0, long.MaxValue, 50, None, None, None, None, None), 100).Reply)["listConvs"].Case!)
            .Items.Map(j => ((Json.Str)((Json.Obj)j)["convId"].Case!).Value).ToList();
        return listed.SequenceEqual(Enumerable.Reverse(order)).Label($"posted {string.Join(",", order)}; listed {string.Join(",", listed)}");
    }

    [Fact]
    public void A_listing_honours_the_channel_type_and_ended_filters_the_sdks_send()
    {
        var (s, conv) = Conversation(group: true);
        s = ServerState.Fold(s, Seq1<ServerEvent>(new ServerEvent.ChatEnded(conv, "a", 50)));
        var (s2, open) = Conversation(group: true, s);
        Seq<string> Listed(Option<Seq<int>> types, Option<int> ended) =>
            ((Json.Arr)((Json.Obj)ServerDecider.Handle(s2, Rules, Alice, Service.ChatConversationLoad,
                new LoadConversations(9L, 0, long.MaxValue, 50, None, None, None, types, ended), 100).Reply)["listConvs"].Case!)
            .Items.Map(j => ((Json.Str)((Json.Obj)j)["convId"].Case!).Value).ToSeq();
        Assert.Equal(Seq1(open), Listed(None, 0));
        Assert.Equal(Seq1(conv), Listed(None, 1));
        Assert.Equal(2, Listed(None, 2).Count);
        Assert.Empty(Listed(Some(Seq1(1)), None));
        Assert.Equal(2, Listed(Some(Seq1(0)), None).Count);
    }

    [Fact]
    public void In_a_one_to_one_conversation_the_creator_can_neither_revoke_nor_delete_nor_remove_the_other()
    {
        var (s0, conv) = Conversation(group: false);
        var s = Post(s0, Bob, conv, "mine");
        var bobs = s.Conversations[conv].Messages.Values.Find(m => m.Sender == "b").Map(m => m.Id).IfNone("");
        var revoke = ServerDecider.Handle(s, Rules, Alice, Service.ChatRevokeMessage, new RevokeMessages(3L, conv, Seq1(bobs), None), 30);
        var delete = ServerDecider.Handle(s, Rules, Alice, Service.ChatDeleteMessage, new DeleteMessages(4L, conv, Seq1(bobs)), 30);
        var remove = ServerDecider.Handle(s, Rules, Alice, Service.ChatRemoveParticipant, new RemoveParticipants(5L, conv, Seq1("b")), 30);
        Assert.Equal((ServerErrors.NotAllowed, ServerErrors.NotAllowed, ServerErrors.NotAllowed), (R(revoke), R(delete), R(remove)));
        Assert.Empty(revoke.Events + delete.Events + remove.Events);
    }

    [Fact]
    public void In_a_group_the_admin_still_revokes_a_members_message()
    {
        var (s0, conv) = Conversation(group: true);
        var s = Post(s0, Bob, conv, "mine");
        var bobs = s.Conversations[conv].Messages.Values.Find(m => m.Sender == "b").Map(m => m.Id).IfNone("");
        Assert.Equal(0, R(ServerDecider.Handle(s, Rules, Alice, Service.ChatRevokeMessage, new RevokeMessages(3L, conv, Seq1(bobs), None), 30)));
    }

    [Theory]
    [InlineData("x@example.com\r\nBcc: victim@example.com", "example.com")]
    [InlineData("x@example.com", "example.com\r\nSubject: pwned")]
    [InlineData("not an address", "")]
    [InlineData("a@b@c", "")]
    public void A_transcript_request_with_a_header_breaking_address_or_domain_is_refused(string email, string domain)
    {
        var (s, conv) = Conversation(group: true);
        var outcome = ServerDecider.Handle(s, Rules, Alice, Service.SendEmailTranscript, new SendTranscript(3L, conv, email, domain), 30);
        Assert.Equal((ServerErrors.InvalidRequest, 0), (R(outcome), outcome.Events.Count));
    }

    [Fact]
    public void A_live_chat_is_transferred_to_another_agent_only()
    {
        var ag1 = new Caller("ag1", 3, 1, None);
        var queued = ServerDecider.Handle(ServerState.Initial, Rules, new Caller("visitor-1", 4, 1, None), Service.ChatCreateConversation,
            new CreateConversation(1L, Seq<string>(), true, false, "q", None, None, None, 1, None, None), 10);
        var conv = ((ServerEvent.ConversationCreated)queued.Events.Head).ConvId;
        var s = ServerState.Fold(ServerState.Initial, queued.Events
            + Seq<ServerEvent>(new ServerEvent.ChatOffered(conv, "ag1", 11), new ServerEvent.ChatAnswered(conv, "ag1", true, 12)));
        Assert.Equal(ServerErrors.NotAllowed, R(ServerDecider.Handle(s, Rules, ag1, Service.ChatTransferToAnotherAgent, new TransferChat(5L, conv, "mallory", None, None), 20)));
        Assert.Equal(0, R(ServerDecider.Handle(s, Rules, ag1, Service.ChatTransferToAnotherAgent, new TransferChat(6L, conv, "ag2", None, None), 20)));
    }

    [Fact]
    public void A_message_larger_than_the_cap_is_refused()
    {
        var (s, conv) = Conversation(group: true);
        var outcome = ServerDecider.Handle(s, Rules with { MaxMessageBytes = 1_000 }, Alice, Service.ChatMessage,
            new SendMessage(2L, conv, 1, Json.Object(("content", new string('x', 2_000))), None), 20);
        Assert.Equal((ServerErrors.TooLarge, 0), (R(outcome), outcome.Events.Count));
    }

    [Property(MaxTest = 100)]
    public Property A_minted_visitor_is_never_anyone_the_server_knows(NonEmptyString nonce)
    {
        var (s, _) = Conversation(group: true);
        var known = ServerState.Fold(s, Seq1<ServerEvent>(new ServerEvent.UserUpdated($"visitor-{nonce.Get}", None, None, None, None, 1)));
        return (ServerDecider.NewVisitor(known, Rules, nonce.Get).IsNone
                && ServerDecider.NewVisitor(s, Rules, "b").Map(v => v != "b").IfNone(true)
                && ServerDecider.NewVisitor(ServerState.Initial, Rules with { }, "x") == Some("visitor-x")).ToProperty();
    }

    [Fact]
    public void Ids_carry_the_epoch_so_a_new_log_never_hands_out_an_old_id()
    {
        ServerState Epoch(string e) => ServerState.Fold(ServerState.Initial, Seq1<ServerEvent>(new ServerEvent.IdEpochStarted(e, 1)));
        var (first, c1) = Conversation(group: true, Epoch("aaaa"));
        var (second, c2) = Conversation(group: true, Epoch("bbbb"));
        Assert.Equal("conv-aaaa-1", c1);
        Assert.NotEqual(c1, c2);
        Assert.DoesNotContain(first.MessageIndex.Keys, second.MessageIndex.ContainsKey);
    }

    [Fact]
    public void A_create_without_isGroup_or_distinct_takes_the_android_defaults()
    {
        var body = Json.Object(("requestId", 1L), ("participants", new Json.Arr(Seq1<Json>("b"))), ("name", "n"));
        var decoded = BodyCodec.Decode<CreateConversation>(body);
        Assert.Equal(Right<string, (bool, bool)>((false, false)), decoded.Map(c => (c.IsGroup, c.Distinct)));
        var load = BodyCodec.Decode<LoadMessages>(Json.Object(("requestId", 2L), ("convId", "c"), ("seqGreater", 0L), ("limit", 20L), ("sort", "ASC")));
        Assert.Equal(Right<string, long>(9007199254740991L), load.Map(l => l.SeqSmaller));
    }
}
