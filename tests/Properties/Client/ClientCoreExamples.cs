using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Client;

/// <summary>The two defects the correlation stage was built to end, as examples.</summary>
public sealed class ClientCoreExamples
{
    static (ClientCore Core, List<Reactor.Step> Steps) Run(params Event[] events)
    {
        var core = ClientCore.Initial(Simulation.Settings);
        var steps = new List<Reactor.Step>();
        foreach (var e in events)
        {
            (core, _, var s) = ClientCore.Recorded(core, e, received: Recording.Request(e).IsNone, 1_000);
            steps.AddRange(s);
        }
        return (core, steps);
    }

    [Fact]
    public void A_pin_answered_after_its_timeout_is_applied_once_and_by_every_read_model()
    {
        var (core, steps) = Run(
            Connected("alice"), Created("c1", "alice", "bob"), Received("c1", "m2", 2, "bob", "pin me"),
            new MessagePinRequested(new PinMessage(7L, "c1", "m2", true)),
            new RequestTimedOut(88, 7),
            new MessagePinAnswered(new PinMessageResult(0, 7L, true, None, None)));
        var m = core.Models;
        Assert.Equal(
            (Some("m2"), Some("m2"), Some("m2"), Some("m2")),
            (m.Pins.ByConv["c1"].Current, m.Timeline.Conversations["c1"].Pinned, m.Conversations.ById["c1"].PinnedMsgId, core.Decision.Chat.Conversations["c1"].PinnedMsgId));
        Assert.Single(m.Pins.ByConv["c1"].History);
        // The caller was told "unknown" when the time was up; that is the outcome it keeps (the shell hands over the first).
        var told = steps.OfType<Reactor.Step.Complete>().Where(c => c.RequestId == 7).ToList();
        Assert.IsType<Fact.Abandoned>(told[0].Outcome);
    }

    [Fact]
    public void A_refused_send_fails_only_its_own_caller_and_leaves_the_outbox()
    {
        var (core, steps) = Run(
            Connected("alice"), Created("c1", "alice", "bob"),
            SendRequested(11, "c1", "l-1", "one"), SendRequested(12, "c1", "l-2", "blocked"), SendRequested(13, "c1", "l-3", "three"),
            Sent(11, "c1", "l-1", "m2", 2),
            new RequestFailed(42, new Failure(12, 12L, "You are blocked")),
            Sent(13, "c1", "l-3", "m3", 3));
        var told = steps.OfType<Reactor.Step.CompleteSend>().ToDictionary(c => c.LocalId, c => c.Outcome);
        Assert.IsType<Fact.Confirmed>(told["l-1"]);
        Assert.Equal(12, Assert.IsType<Fact.Rejected>(told["l-2"]).Code);
        Assert.IsType<Fact.Confirmed>(told["l-3"]);
        Assert.Empty(Timeline.Outbox(core.Models.Timeline));
        Assert.Equal(Seq("one", "three"), Timeline.View(core.Models.Timeline, "c1").Filter(x => x.Type == 1).Map(x => Chat.TextOf(x.Content)));
    }

    [Fact]
    public void A_send_refused_for_now_stays_in_the_outbox_for_the_next_flush()
    {
        var (core, _) = Run(Connected("alice"), Created("c1", "alice", "bob"), SendRequested(11, "c1", "l-1", "later"),
            new RequestFailed(42, new Failure(20, 11L, "too many requests")));
        Assert.Equal(Seq1("l-1"), Timeline.Outbox(core.Models.Timeline).Map(o => o.LocalId));
    }

    [Fact]
    public void An_answer_of_another_service_confirms_nothing()
    {
        var (core, _) = Run(Connected("alice"), Created("c1", "alice", "bob"), Received("c1", "m2", 2, "bob", "x"),
            new MessagePinRequested(new PinMessage(7L, "c1", "m2", true)),
            new RequestAcknowledged(39, new Ack(0, 7L, None)));
        Assert.Equal(None, core.Models.Pins.ByConv.Find("c1").Bind(p => p.Current));
        Assert.True(core.Requests.Command(7).IsSome);
    }

    [Fact]
    public void A_catch_up_page_that_goes_unanswered_is_asked_for_again_on_the_same_connection()
    {
        var sim = new Simulation();
        sim.Run(new Act.Drop());
        for (var i = 0; i < 3; i++) sim.Run(new Act.BobSends());
        sim.Run(new Act.Reconnect());
        // The server's answer to the first catch-up page is lost; nothing else is, and the connection stays up.
        var lost = false;
        for (var round = 0; round < 40; round++)
        {
            while (sim.Inbound.Count > 0)
                if (!lost && sim.Inbound[0] is MessagesLoaded)
                {
                    sim.Run(new Act.Lose());
                    lost = true;
                }
                else sim.Run(new Act.Deliver());
            sim.Run(new Act.Wait(500));
        }
        Assert.True(lost);
        Assert.Equal(3, Timeline.View(sim.Core.Models.Timeline, "c1").Count(m => m.Sender == "bob"));
        var pages = sim.Log.OfType<MessagesLoadRequested>().GroupBy(m => (m.Request.ConvId, m.Request.SeqGreater)).Max(g => g.Count());
        Assert.True(pages >= 2, "the unanswered page was asked for again");
    }
}
