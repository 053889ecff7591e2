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
        var (requests, facts) = Correlation.Step(c.Requests, e);
        var decision = c.Decision;
        var models = c.Models;
        foreach (var f in facts)
        {
            decision = Decider.Apply(decision, f);
            models = ReadModels.Apply(models, f);
        }
        var (reactor, steps) = Projections.Reactor.React(c.Reactor, models, facts, received, now);
        return (new ClientCore(requests, decision, models, reactor), facts, steps);
    }

    /// <summary>The time has come (a wake-up the reactor asked for).</summary>
    public static (ClientCore Core, Seq<Projections.Reactor.Step> Steps) Tick(ClientCore c, long now)
    {
        var (reactor, steps) = Projections.Reactor.Tick(c.Reactor, now);
        return (c with { Reactor = reactor }, steps);
    }
}
