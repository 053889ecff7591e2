namespace EventSourced.Projections;

/// <summary>
/// Time travel without refolding from the start: one fold of the log keeps the state after every
/// <c>every</c> events, and the state as of any position is the nearest checkpoint at or before it
/// plus at most <c>every - 1</c> events. Read models are immutable and share structure, so a
/// checkpoint costs only what changed since the one before it.
/// </summary>
/// <remarks>Answers exactly what <see cref="AsOf.Position{TState}"/> answers, for any order of positions.</remarks>
public sealed class Checkpoints<TState>
{
    readonly Reducer<TState> reducer;
    readonly Recorded[] log;
    // reach[i]: the highest position among the first i + 1 events. AsOf.Position stops at the first
    // event beyond the asked position, which is where reach first exceeds it; reach only grows.
    readonly long[] reach;
    readonly Folded<TState>[] states; // states[j]: the state (and what waited for answers) after the first j * every events
    readonly int every;

    Checkpoints(Reducer<TState> reducer, Recorded[] log, long[] reach, Folded<TState>[] states, int every) =>
        (this.reducer, this.log, this.reach, this.states, this.every) = (reducer, log, reach, states, every);

    /// <summary>Folds <paramref name="log"/> once, keeping a checkpoint every <paramref name="every"/> events (at least 1).</summary>
    public static Checkpoints<TState> Build(IEnumerable<Recorded> log, Reducer<TState> reducer, int every = 1_024)
    {
        every = Math.Max(1, every);
        var events = log as Recorded[] ?? log.ToArray();
        var reach = new long[events.Length];
        var states = new Folded<TState>[events.Length / every + 1];
        var state = reducer.Start;
        states[0] = state;
        var high = long.MinValue;
        for (var i = 0; i < events.Length; i++)
        {
            high = Math.Max(high, events[i].Meta.Position);
            reach[i] = high;
            state = reducer.Step(state, events[i].Event);
            if ((i + 1) % every == 0) states[(i + 1) / every] = state;
        }
        return new Checkpoints<TState>(reducer, events, reach, states, every);
    }

    /// <summary>How many states are kept (the initial one included).</summary>
    public int Count => states.Length;

    /// <summary>The state after every event folded (the end of the log).</summary>
    public TState Latest => Position(long.MaxValue);

    /// <summary>State after the event at local position <paramref name="position"/> (inclusive), as <see cref="AsOf.Position{TState}"/>.</summary>
    public TState Position(long position)
    {
        var taken = FirstBeyond(position);
        var from = taken / every;
        var state = states[from];
        for (var i = from * every; i < taken; i++) state = reducer.Step(state, log[i].Event);
        return state.State;
    }

    int FirstBeyond(long position)
    {
        int lo = 0, hi = reach.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (reach[mid] <= position) lo = mid + 1; else hi = mid;
        }
        return lo;
    }
}
