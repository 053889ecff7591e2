using System.Reactive.Linq;

namespace EventSourced.Projections;

/// <summary>
/// Read models as observables: <c>events.Scan(Initial, Evolve)</c>, emitting once for each
/// recorded event that changes the model and never for one that does not. Operators only; no
/// side effects, no clock.
/// </summary>
public static class Observables
{
    /// <summary>The states of a read model after each event that changed it.</summary>
    public static IObservable<TState> Project<TState>(this IObservable<Event> events, Reducer<TState> reducer) =>
        events
            .Scan((Previous: reducer.Initial, Current: reducer.Start), (acc, e) => (acc.Current.State, reducer.Step(acc.Current, e)))
            .Where(t => !ReferenceEquals(t.Previous, t.Current.State))
            .Select(t => t.Current.State);

    /// <summary>The states of a fold, starting from a given state (for example a snapshot), after each event that changed it.</summary>
    public static IObservable<TState> Project<TState>(this IObservable<Event> events, TState initial, Func<TState, Event, TState> evolve) =>
        events
            .Scan((Previous: initial, Current: initial), (acc, e) => (acc.Current, evolve(acc.Current, e)))
            .Where(t => !ReferenceEquals(t.Previous, t.Current))
            .Select(t => t.Current);

    /// <summary>The events of a feed of recorded events.</summary>
    public static IObservable<Event> Events(this IObservable<Recorded> recorded) => recorded.Select(r => r.Event);

    /// <summary>The user's view of one conversation's timeline, emitted when it changes.</summary>
    public static IObservable<Seq<Timeline.MessageView>> TimelineOf(this IObservable<Event> events, string convId) =>
        events.Project(Timeline.Reducer).Select(s => Timeline.View(s, convId)).DistinctUntilChanged();

    /// <summary>The visible conversation list, emitted when it changes.</summary>
    public static IObservable<Seq<ConversationList.Conversation>> ConversationListOf(this IObservable<Event> events) =>
        events.Project(ConversationList.Reducer).Select(ConversationList.Visible).DistinctUntilChanged();

    /// <summary>onObjectChange notifications derived from the feed.</summary>
    public static IObservable<ObjectChanges.Change> ObjectChangesOf(this IObservable<Event> events) =>
        events.SelectMany(e => ObjectChanges.Derive(e));

    /// <summary>
    /// A view as change sets: a <see cref="VectorDiff{T}.Reset"/> of the view now, then one batch per event that changed it.
    /// A change that does not follow the state the stream holds (one raced with the subscription) resets the view.
    /// </summary>
    public static IObservable<Seq<VectorDiff<T>>> ChangeSets<K, T>(this IObservable<ModelChange> changes, Func<ReadModels> current,
        Func<ReadModels, Seq<T>> view, Func<ReadModels, Changes.Keys<K>> keysOf,
        Func<Changes.Keys<K>, ModelChange, (Changes.Keys<K> Keys, Seq<VectorDiff<T>> Diffs)> step) =>
        Observable.Create<Seq<VectorDiff<T>>>(observer =>
        {
            var gate = new object();
            ReadModels at = ReadModels.Initial;
            Changes.Keys<K> keys = keysOf(ReadModels.Initial);
            lock (gate)
            {
                var subscription = changes.Subscribe(c =>
                {
                    lock (gate)
                    {
                        if (ReferenceEquals(c.After, at)) return;
                        if (ReferenceEquals(c.Before, at))
                        {
                            (keys, var diffs) = step(keys, c);
                            at = c.After;
                            if (!diffs.IsEmpty) observer.OnNext(diffs);
                            return;
                        }
                        at = c.After;
                        keys = keysOf(at);
                        observer.OnNext(Seq1<VectorDiff<T>>(new VectorDiff<T>.Reset(view(at))));
                    }
                }, observer.OnError, observer.OnCompleted);
                at = current();
                keys = keysOf(at);
                observer.OnNext(Seq1<VectorDiff<T>>(new VectorDiff<T>.Reset(view(at))));
                return subscription;
            }
        });
}
