using EventSourced.Domain.Server;

namespace EventSourced.Tests.Properties.Domain.Server;

public sealed class ServerDeciderTests
{
    static readonly ServerRules Rules = new(Map<OrdStringOrdinal, string, QueueRules>(("q", new QueueRules("q", "Q", Seq("ag1", "ag2"), 1_000, 5_000))));
    static readonly Caller Alice = new("a", 1, 1, None);

    static ServerState Chatting()
    {
        var created = ServerDecider.Handle(ServerState.Initial, Rules, Alice, Service.ChatCreateConversation,
            new CreateConversation(1L, Seq1("b"), true, false, "room", None, None, None, None, None, None), 10);
        var s = ServerState.Fold(ServerState.Initial, created.Events);
        var sent = ServerDecider.Handle(s, Rules, Alice, Service.ChatMessage, new SendMessage(2L, "conv-1", 1, Json.Object(("content", "hi")), "l1"), 20);
        return ServerState.Fold(s, sent.Events);
    }

    public static TheoryData<Service> RequestServices()
    {
        var data = new TheoryData<Service>();
        foreach (var (s, d, _) in Protocol.Table.Where(t => t.Direction == Direction.ClientToServer && t.Service != Service.Authen)) data.Add(s);
        return data;
    }

    [Theory]
    [MemberData(nameof(RequestServices))]
    public void Every_request_gets_a_result_code_and_its_request_id_back_whatever_its_fields(Service service)
    {
        var type = (Type)Protocol.BodyType(service, Direction.ClientToServer);
        var state = Chatting();
        var property = Prop.ForAll(Generators.For(type).ToArbitrary(), body =>
        {
            var outcome = ServerDecider.Handle(state, Rules, Alice, service, (Body)body, 100);
            return outcome.Reply.Match(
                r => r["r"].IsSome && (((IRequest)body).RequestId.IsNone || r["requestId"] == ((IRequest)body).RequestId.Map(id => (Json)id)),
                () => service == Service.Ping);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(40), property);
    }

    [Fact]
    public void The_first_message_after_creation_has_seq_2_and_the_creation_message_seq_1()
    {
        var conv = Chatting().Conversations["conv-1"];
        Assert.Equal(Seq((1L, 7), (2L, 1)), conv.Messages.Values.Map(m => (m.Seq, m.Type)).ToSeq());
    }

    [Fact]
    public void A_non_participant_is_refused_and_nothing_is_decided()
    {
        var outcome = ServerDecider.Handle(Chatting(), Rules, new Caller("eve", 9, 1, None), Service.ChatMessage,
            new SendMessage(5L, "conv-1", 1, Json.Object(("content", "x")), None), 100);
        Assert.Empty(outcome.Events);
        Assert.Empty(outcome.Deliveries);
        Assert.Equal(Some<Json>(4L), outcome.Reply.Bind(r => r["r"]));
    }

    [Fact]
    public void An_edit_is_fanned_out_as_a_json_string_as_android_reads_it()
    {
        var s = Chatting();
        var msg = s.Conversations["conv-1"].Messages[2].Id;
        var outcome = ServerDecider.Handle(s, Rules, Alice, Service.ChatEditMessage, new EditMessage(3L, "conv-1", msg, Json.Object(("content", "fixed"))), 30);
        var notice = outcome.Deliveries.Single().Packet;
        Assert.Equal((short)Service.ChatEditMessageFromServer, notice.Service);
        Assert.Equal(Some<Json>(new Json.Str("{\"content\":\"fixed\"}")), notice.Body["newContent"]);
    }

    [Property(MaxTest = 200)]
    public Property Evolve_is_total_over_any_server_events() =>
        Prop.ForAll(Generators.For<ServerEvent>().ListOf(30).ToArbitrary(), events => ServerState.Fold(ServerState.Initial, events) is not null);
}
