namespace EventSourced.Projections;

/// <summary>
/// A read model's pure fold over facts (<see cref="Fact"/>): where it starts and how one fact
/// changes it. Events become facts in one place, <see cref="Correlation.Step"/>, which pairs each
/// answer with the command it answers; no read model keeps requests of its own.
/// </summary>
/// <typeparam name="TState">The read model.</typeparam>
/// <param name="Name">Stable name of the read model (used for storage and display).</param>
/// <param name="Initial">The state before any event.</param>
/// <param name="Apply">Total and pure; returns the same instance for facts that do not concern it.</param>
public sealed record Reducer<TState>(string Name, TState Initial, Func<TState, Fact, TState> Apply)
{
    /// <summary>Nothing folded yet.</summary>
    public Folded<TState> Start => new(Initial, Correlation.State.Empty);

    /// <summary>One event: its facts, applied in order (the same instance when nothing changed).</summary>
    public Folded<TState> Step(Folded<TState> f, Event e)
    {
        // The facts apart, so that a fold builds no sequence for an event that abandons no command (nearly every one).
        var (requests, abandoned, fact) = Correlation.StepOne(f.Requests, e);
        var state = f.State;
        if (!abandoned.IsEmpty)
            foreach (var a in abandoned) state = Apply(state, a);
        state = Apply(state, fact);
        return ReferenceEquals(state, f.State) && ReferenceEquals(requests, f.Requests) ? f : new Folded<TState>(state, requests);
    }

    /// <summary><see cref="Step"/>, with the facts the event stood for.</summary>
    public (Folded<TState> Folded, Seq<Fact> Facts) StepWithFacts(Folded<TState> f, Event e)
    {
        var (requests, facts) = Correlation.Step(f.Requests, e);
        var state = f.State;
        foreach (var fact in facts) state = Apply(state, fact);
        return (ReferenceEquals(state, f.State) && ReferenceEquals(requests, f.Requests) ? f : new Folded<TState>(state, requests), facts);
    }

    /// <summary>Folds events on from a folded state.</summary>
    public Folded<TState> Run(Folded<TState> f, IEnumerable<Event> events)
    {
        foreach (var e in events) f = Step(f, e);
        return f;
    }

    /// <summary>Folds events from the start.</summary>
    public TState Fold(IEnumerable<Event> events) => Run(Start, events).State;
}

/// <summary>A read model with the commands still waiting for answers at that point of the log: what a fold resumes from.</summary>
public sealed record Folded<TState>(TState State, Correlation.State Requests);

/// <summary>Reducers of read models that need no answer paired with its command.</summary>
public static class Reducers
{
    /// <summary>A reducer that applies each recorded event as it is (every fact that stands for one).</summary>
    public static Reducer<TState> OfEvents<TState>(string name, TState initial, Func<TState, Event, TState> evolve) =>
        new(name, initial, (s, f) => f is Fact.Of o ? evolve(s, o.Event) : s);
}
