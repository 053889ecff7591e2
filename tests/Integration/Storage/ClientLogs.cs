using EventSourced.Adapters.Storage.Marten;
using EventSourced.Projections;

namespace EventSourced.Tests.Integration.Storage;

/// <summary>A client log on the test PostgreSQL, and the check that its rows are the pure fold's.</summary>
static class ClientLogs
{
    public static async Task<MartenClientLog> OpenAsync(string schema)
    {
        var pg = await Postgres.Instance;
        var log = new MartenClientLog(pg.ConnectionString, schema);
        await log.InitializeAsync();
        return log;
    }

    public static async Task AssertRowsEqualFoldAsync(MartenClientLog log, string user, IEnumerable<Event> events)
    {
        var expected = ReadModels.Reducer.Fold(events);
        Assert.Equal(Rows.ConversationsOf(user, expected).OrderBy(r => r.ConvId, StringComparer.Ordinal).ToArray(),
            (await log.ConversationRowsAsync(user)).OrderBy(r => r.ConvId, StringComparer.Ordinal).ToArray());
        // Versions shown in the failure: the rows keep content sealed, and each version must open to the fold's.
        static string Show(Rows.MessageRow r) => $"{r.Id} {string.Join(" | ", r.Versions.Select(v => v.Length > 60 ? v[..60] : v))}";
        Assert.Equal(Rows.MessagesOf(user, expected).OrderBy(r => r.Id, StringComparer.Ordinal).Select(Show).ToArray(),
            (await log.MessageRowsAsync(user)).OrderBy(r => r.Id, StringComparer.Ordinal).Select(Show).ToArray());
        Assert.Equal(Rows.MessagesOf(user, expected).OrderBy(r => r.Id, StringComparer.Ordinal).ToArray(),
            (await log.MessageRowsAsync(user)).OrderBy(r => r.Id, StringComparer.Ordinal).ToArray());
    }
}
