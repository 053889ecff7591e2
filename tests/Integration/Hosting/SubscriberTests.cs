using EventSourced.Adapters.Client;
using Microsoft.Extensions.Logging;

namespace EventSourced.Tests.Integration.Hosting;

/// <summary>The rule for a subscriber that throws: its own subscription ends with an error logged; the client and every other subscriber go on.</summary>
public sealed class SubscriberTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    sealed class Captured : ILogger
    {
        public readonly System.Collections.Concurrent.ConcurrentQueue<(LogLevel Level, string Message, Exception? Error)> Entries = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception), exception));
    }

    [Fact]
    public async Task A_throwing_subscriber_is_logged_and_neither_the_client_nor_the_other_subscribers_notice()
    {
        var logs = new Captured();
        var user = ServerFixture.U("thrower");
        await using var client = new StringeeClient(Clients.Options(f.Server) with { Logger = logs });
        var thrown = 0;
        using var bad = client.Models.Subscribe(_ =>
        {
            Interlocked.Increment(ref thrown);
            throw new InvalidOperationException("a subscriber's bug");
        });
        using var badTimeline = client.Recorded.Subscribe(_ => throw new InvalidOperationException("another subscriber's bug"));
        var seen = new List<int>();
        Assert.True((await client.ConnectAsync(f.Token(user))).IsSucc);
        var conv = (await client.CreateConversationAsync(Seq1(ServerFixture.U("listener")))).Ok();
        using var good = client.Timeline(conv.Id).Subscribe(t => { lock (seen) seen.Add(t.Count); });
        var sent = await client.SendTextAsync(conv.Id, "still works");
        Assert.True(sent.IsSucc, sent.ToString());
        await client.Until(m => EventSourced.Projections.Timeline.View(m.Timeline, conv.Id).Exists(v => v.Text == "still works"));
        Assert.True(client.IsConnected);
        lock (seen) Assert.Contains(seen, n => n >= 1);
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Error?.Message == "a subscriber's bug" && e.Message.Contains("read-model", StringComparison.Ordinal));
        Assert.Contains(logs.Entries, e => e.Level == LogLevel.Error && e.Error?.Message == "another subscriber's bug" && e.Message.Contains("Recorded", StringComparison.Ordinal));
        // Rx ends the subscription whose observer threw: it heard one value, not every later one.
        Assert.Equal(1, thrown);
    }
}
