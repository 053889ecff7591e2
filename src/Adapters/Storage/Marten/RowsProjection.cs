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
/// (this process is the log's only writer) and rebuilt from that user's streams the first time it is needed.
/// </summary>
public sealed class RowsProjection : ICommitObserver
{
    readonly OrderedDictionary<string, Folded<ReadModels>> committed = new(StringComparer.Ordinal);
    readonly Dictionary<string, Folded<ReadModels>> tentative = new(StringComparer.Ordinal);
    readonly Lock gate = new();
    readonly int capacity;
    Func<string, CancellationToken, Task<Folded<ReadModels>>>? load;

    /// <summary>A projection that keeps the state of at most <paramref name="capacity"/> users in memory (the least recently written are rebuilt when needed).</summary>
    public RowsProjection(int capacity = 64) => this.capacity = capacity;

    /// <summary>Set by the log once its store exists: how to rebuild a user's read models from what is already committed.</summary>
    internal void Attach(Func<string, CancellationToken, Task<Folded<ReadModels>>> loader) => load = loader;

    /// <summary>
    /// The rows that events about to be committed change, per user, folded from each user's state so far;
    /// the new states count once the log says the transaction committed (<see cref="Committed"/>).
    /// </summary>
    internal async Task<List<Rows.Change>> PlanAsync(IEnumerable<(string Stream, EventSourced.Domain.Client.Event Event)> events, CancellationToken ct)
    {
        var changes = new List<Rows.Change>();
        // Events arrive in the order they are appended (the log's position order); grouping keeps that order per user.
        foreach (var group in events.GroupBy(e => Recording.UserOfStream(e.Stream).IfNone(""), StringComparer.Ordinal))
        {
            if (group.Key.Length == 0) continue;
            var before = await StateOfAsync(group.Key, ct).ConfigureAwait(false);
            var (after, touched) = Rows.Fold(before, Rows.Touched.Nothing, group.Select(e => e.Event));
            changes.Add(Rows.Changes(group.Key, before.State, after.State, touched));
            lock (gate) tentative[group.Key] = after;
        }
        return changes;
    }

    /// <summary>Writes a change through a session (in its transaction).</summary>
    internal static void Write(IDocumentOperations operations, Rows.Change change)
    {
        if (change.IsEmpty) return;
        foreach (var id in change.DeletedConversations) operations.Delete<Rows.ConversationRow>(id);
        foreach (var id in change.DeletedMessages) operations.Delete<Rows.MessageRow>(id);
        if (!change.Conversations.IsEmpty) operations.Store(change.Conversations.ToArray());
        if (!change.Messages.IsEmpty) operations.Store(change.Messages.ToArray());
    }

    async Task<Folded<ReadModels>> StateOfAsync(string user, CancellationToken ct)
    {
        lock (gate)
        {
            if (tentative.TryGetValue(user, out var t)) return t;
            if (committed.TryGetValue(user, out var c)) return c;
        }
        return load is null ? ReadModels.Reducer.Start : await load(user, ct).ConfigureAwait(false);
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
