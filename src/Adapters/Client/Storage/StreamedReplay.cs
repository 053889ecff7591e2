using EventSourced.Projections;

namespace EventSourced.Adapters.Storage;

/// <summary>
/// A replay of a log of any length in memory that follows its conversations, not its messages: one pass folds each
/// user's <see cref="Outline"/> (every read model but the timeline, and each conversation's scope), then each
/// conversation's timeline is folded from its own streams and the session stream when it is asked for, and let go.
/// Every stream is read by its key, never the whole log again.
/// The pass holds O(users × conversations); a conversation's fold holds that conversation.
/// </summary>
public static class StreamedReplay
{
    /// <summary>
    /// One user's outline. <c>Misplaced</c>: events found in a stream other than the one <see cref="Recording.StreamOf"/>
    /// names for them (a log written by another writer), and <c>MisplacedIn</c> the streams that hold them: each
    /// conversation's fold reads those streams too, so that the result stays the fold of the user's whole log.
    /// </summary>
    public sealed record UserOutline(string User, Folded<Outline> Folded, long Events, long Misplaced, Set<OrdStringOrdinal, string> MisplacedIn)
    {
        /// <summary>The outline at the end of the log.</summary>
        public Outline State => Folded.State;

        /// <summary>Every conversation the user's timeline may hold, in ordinal order.</summary>
        public Seq<string> Conversations => State.Scopes.Known.ToSeq();

        /// <summary>The streams a conversation's timeline is folded from: the session stream, its scope's, and those holding misplaced events.</summary>
        public Seq<string> StreamsOf(string convId) =>
            Outline.StreamsOf(State, User, convId).Concat(MisplacedIn).Distinct().ToSeq();
    }

    /// <summary>Reads the whole log once and folds every user's outline.</summary>
    public static async Task<IReadOnlyDictionary<string, UserOutline>> OutlinesAsync(IEventLog log, CancellationToken ct = default)
    {
        var byUser = new Dictionary<string, Pass>(StringComparer.Ordinal);
        await foreach (var r in log.ReadAllAsync(1, ct).ConfigureAwait(false))
        {
            var user = Recording.UserOf(r.Meta.Stream);
            if (!byUser.TryGetValue(user, out var pass)) byUser[user] = pass = new Pass();
            pass.Folded = Outline.Reducer.Step(pass.Folded, r.Event);
            pass.Events++;
            if (r.Meta.Stream == Recording.StreamOf(user, r.Event)) continue;
            pass.Misplaced++;
            pass.MisplacedIn = pass.MisplacedIn.TryAdd(r.Meta.Stream);
        }
        return byUser.ToDictionary(kv => kv.Key, kv => new UserOutline(kv.Key, kv.Value.Folded, kv.Value.Events, kv.Value.Misplaced, kv.Value.MisplacedIn),
            StringComparer.Ordinal);
    }

    // One user's outline while the pass goes: updated in place, not a new record per event.
    sealed class Pass
    {
        public Folded<Outline> Folded = Outline.Reducer.Start;
        public long Events;
        public long Misplaced;
        public Set<OrdStringOrdinal, string> MisplacedIn = Set<OrdStringOrdinal, string>();
    }

    /// <summary>
    /// Every read model of one user's fold restricted to one conversation's scope: its <c>Timeline</c> holds that
    /// conversation (with the others of its scope) exactly as a fold of the user's whole log holds it.
    /// </summary>
    public static async Task<ReadModels> ConversationAsync(IEventLog log, UserOutline outline, string convId, CancellationToken ct = default)
    {
        var folded = ReadModels.Reducer.Start;
        await foreach (var r in ConversationEventsAsync(log, outline, convId, ct).ConfigureAwait(false)) folded = ReadModels.Reducer.Step(folded, r.Event);
        return folded.State;
    }

    /// <summary>
    /// The events of one user that a conversation's timeline is folded from, in log order: the session stream's, those of
    /// the conversation's scope, and those of its scope among the streams that hold misplaced events.
    /// </summary>
    public static IAsyncEnumerable<Recorded> ConversationEventsAsync(IEventLog log, UserOutline outline, string convId, CancellationToken ct = default) =>
        Filter(Merge(outline.StreamsOf(convId).Map(s => log.ReadStreamAsync(s, 1, ct)).ToArray(), ct), Outline.Concerns(outline.State, convId), ct);

    static async IAsyncEnumerable<Recorded> Filter(IAsyncEnumerable<Recorded> source, Func<Event, bool> keep,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        await foreach (var r in source.WithCancellation(ct).ConfigureAwait(false))
            if (keep(r.Event)) yield return r;
    }

    // Streams in global position order (each stream is in that order already).
    static async IAsyncEnumerable<Recorded> Merge(IAsyncEnumerable<Recorded>[] streams, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct = default)
    {
        var heads = new IAsyncEnumerator<Recorded>?[streams.Length];
        try
        {
            for (var i = 0; i < streams.Length; i++)
            {
                var e = streams[i].GetAsyncEnumerator(ct);
                heads[i] = e;
                if (!await e.MoveNextAsync().ConfigureAwait(false))
                {
                    await e.DisposeAsync().ConfigureAwait(false);
                    heads[i] = null;
                }
            }
            while (true)
            {
                var next = -1;
                for (var i = 0; i < heads.Length; i++)
                    if (heads[i] is { } h && (next < 0 || h.Current.Meta.Position < heads[next]!.Current.Meta.Position)) next = i;
                if (next < 0) yield break;
                var head = heads[next]!;
                yield return head.Current;
                if (!await head.MoveNextAsync().ConfigureAwait(false))
                {
                    await head.DisposeAsync().ConfigureAwait(false);
                    heads[next] = null;
                }
            }
        }
        finally
        {
            foreach (var h in heads)
                if (h is not null) await h.DisposeAsync().ConfigureAwait(false);
        }
    }
}
