using JasperFx.Events;
using Marten;
using Marten.Events.Projections;
using EventSourced.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>Told by the log whether the transaction a projection wrote into was committed.</summary>
public interface ICommitObserver
{
    /// <summary>The transaction committed: what the projection computed for it is now true.</summary>
    void Committed();

    /// <summary>The transaction failed: forget what was computed for it.</summary>
    void Abandoned();
}

/// <summary>
/// The inline projection of the client's read models: in the same transaction as the events (the log
/// calls it for each append and import, with the events in plaintext), it folds them with the same pure
/// <see cref="ReadModels.Reducer"/> the in-process read models use and plans the conversation and message
/// rows (<see cref="Rows"/>) that changed. Rows are per user; a user's state is kept in memory once known
/// and rebuilt from that user's streams the first time it is needed.
/// </summary>
/// <remarks>
/// Other processes may record into the same log (many clients, one database). Every transaction runs under the
/// evidence tree's lock, so the log can tell whether anyone else committed since its own last transaction
/// (<see cref="OthersWrote"/>). When someone did, each remembered state is caught up from the log (the user's events
/// after the last one it folded) before it is used again; when no one did, the states are used as they are.
/// </remarks>
public sealed class RowsProjection : ICommitObserver
{
    // A user's state, the position of the last of that user's events folded into it, and the epoch it was last known current in.
    sealed record Known(Folded<ReadModels> State, long AsOf, long Epoch);

    internal delegate Task<(Folded<ReadModels> State, long AsOf)> CatchUp(string user, Folded<ReadModels> state, long asOf, CancellationToken ct);

    readonly OrderedDictionary<string, Known> committed = new(StringComparer.Ordinal);
    readonly Dictionary<string, Known> tentative = new(StringComparer.Ordinal);
    readonly Lock gate = new();
    readonly int capacity;
    // Moves on whenever another writer committed since this log's last transaction: a state from an earlier epoch may be stale.
    long epoch;
    CatchUp? load;

    /// <summary>A projection that keeps the state of at most <paramref name="capacity"/> users in memory (the least recently written are rebuilt when needed).</summary>
    public RowsProjection(int capacity = 64) => this.capacity = capacity;

    /// <summary>Set by the log once its store exists: how to fold a user's committed events after a position into a state.</summary>
    internal void Attach(CatchUp loader) => load = loader;

    /// <summary>Told under the tree's lock, before a transaction plans anything: another writer committed since this log's last transaction.</summary>
    internal void OthersWrote()
    {
        lock (gate) epoch++;
    }

    /// <summary>
    /// The rows that events about to be committed change, per user, folded from each user's state so far;
    /// the new states count once the log says the transaction committed (<see cref="Committed"/>). Each event's
    /// position is given when known (an import), else told later (<see cref="Saved"/>).
    /// </summary>
    internal async Task<List<Rows.Change>> PlanAsync(IEnumerable<(string Stream, EventSourced.Domain.Client.Event Event, long Position)> events, CancellationToken ct)
    {
        var changes = new List<Rows.Change>();
        // Events arrive in the order they are appended (the log's position order); grouping keeps that order per user.
        foreach (var group in events.GroupBy(e => Recording.UserOfStream(e.Stream).IfNone(""), StringComparer.Ordinal))
        {
            if (group.Key.Length == 0) continue;
            var before = await StateOfAsync(group.Key, ct).ConfigureAwait(false);
            var (after, touched) = Rows.Fold(before.State, Rows.Touched.Nothing, group.Select(e => e.Event));
            changes.Add(Rows.Changes(group.Key, before.State.State, after.State, touched));
            var asOf = Math.Max(before.AsOf, group.Max(e => e.Position));
            lock (gate) tentative[group.Key] = new Known(after, asOf, epoch);
        }
        return changes;
    }

    /// <summary>The positions the transaction's events were saved at (before it commits).</summary>
    internal void Saved(IEnumerable<(string Stream, long Position)> events)
    {
        lock (gate)
            foreach (var (stream, position) in events)
                if (Recording.UserOfStream(stream).Case is string user && tentative.TryGetValue(user, out var t) && t.AsOf < position)
                    tentative[user] = t with { AsOf = position };
    }

    async Task<Known> StateOfAsync(string user, CancellationToken ct)
    {
        Known? known;
        long now;
        lock (gate)
        {
            if (tentative.TryGetValue(user, out var t)) return t;
            now = epoch;
            known = committed.GetValueOrDefault(user);
            if (known is not null && known.Epoch == now) return known;
        }
        // Not known, or known from before another writer committed: fold what the log holds after it (all of it when not known).
        if (load is null) return new Known(known?.State ?? ReadModels.Reducer.Start, known?.AsOf ?? 0, now);
        var (state, asOf) = await load(user, known?.State ?? ReadModels.Reducer.Start, known?.AsOf ?? 0, ct).ConfigureAwait(false);
        return new Known(state, asOf, now);
    }

    /// <inheritdoc />
    public void Committed()
    {
        lock (gate)
        {
            foreach (var (user, state) in tentative)
            {
                committed.Remove(user);
                committed.Add(user, state);
            }
            tentative.Clear();
            while (committed.Count > capacity) committed.RemoveAt(0);
        }
    }

    /// <inheritdoc />
    public void Abandoned()
    {
        lock (gate) tentative.Clear();
    }
}
