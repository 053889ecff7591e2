namespace EventSourced.Projections;

/// <summary>A read model's pure fold: where it starts and how one event changes it.</summary>
/// <typeparam name="TState">The read model.</typeparam>
/// <param name="Name">Stable name of the read model (used for storage and display).</param>
/// <param name="Initial">The state before any event.</param>
/// <param name="Evolve">Total and pure; returns the same instance for events that do not concern it.</param>
public sealed record Reducer<TState>(string Name, TState Initial, Func<TState, Event, TState> Evolve)
{
    /// <summary>Folds events from a given state.</summary>
    public TState Fold(TState state, IEnumerable<Event> events)
    {
        foreach (var e in events) state = Evolve(state, e);
        return state;
    }

    /// <summary>Folds events from the initial state.</summary>
    public TState Fold(IEnumerable<Event> events) => Fold(Initial, events);
}
