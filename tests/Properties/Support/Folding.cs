using EventSourced.Domain.Client;
using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Support;

/// <summary>Test shorthand for folding one more event that answers nothing waiting (a push, a local fact, an answer to nobody).</summary>
public static class Folding
{
    /// <summary>The state after <paramref name="e"/>, applied as a fact of its own (<see cref="Fact.Observed"/>).</summary>
    public static S Observe<S>(this Reducer<S> r, S state, Event e) => r.Apply(state, new Fact.Observed(e));
}
