namespace EventSourced.Projections;

/// <summary>
/// The whole client as a value: the commands waiting for answers, the decision state, the read models
/// and the reactor, all moved by the same facts. <see cref="Recorded"/> is the one step the shell runs for
/// every event it records (received → record → fold → facts → reactor → steps), so a test that drives this
/// with a simulated server and a virtual clock exercises exactly what the client does.
/// </summary>
public sealed record ClientCore(Correlation.State Requests, ClientState Decision, ReadModels Models, Projections.Reactor.State Reactor)
{
    /// <summary>A client with nothing recorded.</summary>
    public static ClientCore Initial(Projections.Reactor.Settings settings) =>
        new(Correlation.State.Empty, ClientState.Initial, ReadModels.Initial, Projections.Reactor.State.Initial(settings));

    /// <summary>One recorded event: its facts folded everywhere, then the reactor's steps.</summary>
    public static (ClientCore Core, Seq<Fact> Facts, Seq<Projections.Reactor.Step> Steps) Recorded(ClientCore c, Event e, bool received, long now)
    {
        var (folded, facts) = Fold(c, e);
        var (reactor, steps) = Projections.Reactor.React(c.Reactor, folded.Models, facts, received, now);
        return (folded with { Reactor = reactor }, facts, steps);
    }

    /// <summary>
    /// One event of the history a client replays when it attaches: folded like any other, reacted to by no one.
    /// What the client did about it then is in the log already; doing it again now (answering an old ping, reporting
    /// old deliveries, timing out old requests) would write new events about the past.
    /// </summary>
    public static (ClientCore Core, Seq<Fact> Facts) Replayed(ClientCore c, Event e) => Fold(c, e);

    static (ClientCore Core, Seq<Fact> Facts) Fold(ClientCore c, Event e)
    {
        var (requests, facts) = Correlation.Step(c.Requests, e);
        var decision = c.Decision;
        var models = c.Models;
        foreach (var f in facts)
        {
            decision = Decider.Apply(decision, f);
            models = ReadModels.Apply(models, f);
        }
        return (c with { Requests = requests, Decision = decision, Models = models }, facts);
    }

    /// <summary>The time has come (a wake-up the reactor asked for).</summary>
    public static (ClientCore Core, Seq<Projections.Reactor.Step> Steps) Tick(ClientCore c, long now)
    {
        var (reactor, steps) = Projections.Reactor.Tick(c.Reactor, now);
        return (c with { Reactor = reactor }, steps);
    }
}
