using JasperFx.Events;
using Marten;
using Marten.Events.Projections;

namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// The async-daemon projection of the analytics tables (<see cref="AnalyticsViews.Tables"/>): for each range of
/// events the daemon hands it, set-based, idempotent SQL over that range, committed with the daemon's progress.
/// The work stays in PostgreSQL, where the event JSON already is.
/// </summary>
public sealed class AnalyticsProjection(string schema) : IProjection
{
    readonly IReadOnlyList<(string Sql, int Ranges)> statements =
        AnalyticsViews.Apply(schema).Select(sql => (sql, sql.Count(c => c == '?') / 2)).ToList();

    /// <inheritdoc />
    public Task ApplyAsync(IDocumentOperations operations, IReadOnlyList<IEvent> events, CancellationToken cancellation)
    {
        if (events.Count == 0) return Task.CompletedTask;
        long from = long.MaxValue, to = long.MinValue;
        foreach (var e in events)
        {
            from = Math.Min(from, e.Sequence);
            to = Math.Max(to, e.Sequence);
        }
        foreach (var (sql, ranges) in statements)
            operations.QueueSqlCommand(sql, Enumerable.Range(0, ranges).SelectMany(_ => new object[] { from, to }).ToArray());
        return Task.CompletedTask;
    }
}
