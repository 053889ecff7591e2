using EventSourced.Domain.Server;

namespace EventSourced.Tests.Properties.Domain.Server;

public sealed class RoutingTests
{
    static readonly ServerRules Rules = new(Map<OrdStringOrdinal, string, QueueRules>(("q", new QueueRules("q", "Q", Seq("ag1", "ag2"), 1_000, 5_000))));

    static ServerState Queued(long at) => ServerState.Fold(ServerState.Initial, Seq<ServerEvent>(
        new ServerEvent.ConversationCreated("c", "cust", "q", true, false, 1, None, None, Seq1("cust"), "q", at),
        new ServerEvent.ChatQueued("c", "q", "cust", "Customer", at)));

    /// <summary>Runs routing every 100 ms from 0 to <paramref name="until"/>, with the given agents online.</summary>
    static (ServerState State, Seq<ServerEvent> Events) Run(ServerState s, long until, Func<string, bool> online)
    {
        var all = Seq<ServerEvent>();
        for (var now = 0L; now <= until; now += 100)
        {
            var o = Routing.Step(s, Rules, now, online);
            s = ServerState.Fold(s, o.Events);
            all += o.Events;
        }
        return (s, all);
    }

    [Property(MaxTest = 100)]
    public Property With_nobody_online_a_chat_times_out_in_the_queue_exactly_once_and_is_never_offered(NonNegativeInt extra)
    {
        var (state, events) = Run(Queued(0), 5_000 + extra.Get % 3_000, _ => false);
        return (events.Count(e => e is ServerEvent.ChatQueueTimedOut) == 1 && !events.Exists(e => e is ServerEvent.ChatOffered)
            && state.Requests["c"].Status == RequestStatus.TimedOut).ToProperty();
    }

    [Fact]
    public void An_unanswered_offer_times_out_and_goes_to_the_next_agent_then_the_queue_times_out()
    {
        var (state, events) = Run(Queued(0), 6_000, _ => true);
        Assert.Equal(Seq<string>("offer ag1", "timeout ag1", "offer ag2", "timeout ag2", "queue timeout"), events.Map(e => e switch
        {
            ServerEvent.ChatOffered o => $"offer {o.Agent}",
            ServerEvent.ChatAgentTimedOut t => $"timeout {t.Agent}",
            ServerEvent.ChatQueueTimedOut => "queue timeout",
            _ => "?",
        }));
        Assert.Equal(RequestStatus.TimedOut, state.Requests["c"].Status);
    }

    [Fact]
    public void An_accepted_chat_is_never_offered_again()
    {
        var s = ServerState.Fold(Queued(0), Seq<ServerEvent>(new ServerEvent.ChatOffered("c", "ag1", 0), new ServerEvent.ChatAnswered("c", "ag1", true, 50)));
        var (state, events) = Run(s, 6_000, _ => true);
        Assert.Empty(events);
        Assert.True(state.Conversations["c"].Members.ContainsKey("ag1"));
    }
}
