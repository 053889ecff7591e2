using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>The laws, applied to every read model: each test class below inherits them with its reducer.</summary>
public abstract class ReducerLaws<S>(Reducer<S> reducer)
{
    protected Reducer<S> R { get; } = reducer;

    [Property(MaxTest = 200)] public Property Evolve_is_total() => Laws.Total(R);
    [Property(MaxTest = 200)] public Property Fold_of_a_split_equals_fold_of_the_whole() => Laws.FoldSplits(R);
    [Property(MaxTest = 200)] public Property A_duplicated_packet_changes_nothing() => Laws.DuplicateIsNoOp(R);
    [Property(MaxTest = 100)] public Property Any_delivery_order_of_messages_and_reports_gives_the_same_state() => Laws.SeqDecidesOrder(R);

    [Property(MaxTest = 100)]
    public Property The_observables_last_value_equals_the_fold() =>
        Prop.ForAll(Generators.Events.ToArbitrary(), events =>
        {
            var values = new List<S>();
            using (System.Reactive.Linq.Observable.ToObservable(events).Project(R).Subscribe(values.Add)) { }
            var expected = R.Fold(events);
            return values.Count == 0 ? Equals(expected, R.Initial) : Equals(values[^1], expected);
        });

    [Property(MaxTest = 100)]
    public Property The_observable_emits_once_per_event_that_changes_the_model_and_never_otherwise() =>
        Prop.ForAll(Generators.Events.ToArbitrary(), events =>
        {
            var count = 0;
            using (System.Reactive.Linq.Observable.ToObservable(events).Project(R).Subscribe(_ => count++)) { }
            var changes = 0;
            var s = R.Start;
            foreach (var e in events)
            {
                var n = R.Step(s, e);
                if (!ReferenceEquals(n.State, s.State)) changes++;
                s = n;
            }
            return count == changes;
        });
}
