using System.Reactive.Linq;
using EventSourced.Adapters.Client;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.InMemory;

namespace EventSourced.Tests.Properties.Client;

/// <summary>Attaching a client to its log: only the user's own streams are read, and never a partial replay is decided on.</summary>
public sealed class AttachTests
{
    /// <summary>A log that says how far a user's history goes but replays it slowly, and counts what it is asked.</summary>
    sealed class SlowLog(IEventLog inner, bool stall) : IEventLog
    {
        // Appends made as another process would: in the log, but not in this process's live feed.
        readonly System.Collections.Concurrent.ConcurrentDictionary<long, byte> elsewhere = new();
        public async Task ElsewhereAsync(string stream, Recorded r)
        {
            // Marked before the append: the in-memory feed tells subscribers during the append itself.
            elsewhere[inner.LastPosition + 1] = 0;
            Assert.True((await inner.AppendAsync(stream, ExpectedVersion.Any, [r])).IsSucc);
        }
        public int WholeLogSubscriptions;
        public List<string> PrefixSubscriptions { get; } = [];
        public Task<Fin<AppendResult>> AppendAsync(string stream, ExpectedVersion expected, IReadOnlyList<Recorded> events, CancellationToken ct = default) =>
            inner.AppendAsync(stream, expected, events, ct);
        public IAsyncEnumerable<Recorded> ReadStreamAsync(string stream, long fromVersion = 1, CancellationToken ct = default) => inner.ReadStreamAsync(stream, fromVersion, ct);
        public IAsyncEnumerable<Recorded> ReadAllAsync(long fromPosition = 1, CancellationToken ct = default) => inner.ReadAllAsync(fromPosition, ct);
        public long LastPosition => inner.LastPosition;
        public IObservable<Recorded> Subscribe(long fromPosition = 1)
        {
            Interlocked.Increment(ref WholeLogSubscriptions);
            return inner.Subscribe(fromPosition);
        }
        public IObservable<Recorded> Subscribe(string streamPrefix, long fromPosition = 1)
        {
            lock (PrefixSubscriptions) PrefixSubscriptions.Add(streamPrefix);
            return stall ? Observable.Never<Recorded>() : inner.Subscribe(streamPrefix, fromPosition).Where(r => !elsewhere.ContainsKey(r.Meta.Position));
        }
        public Task<long> LastPositionAsync(string streamPrefix, CancellationToken ct = default) => inner.LastPositionAsync(streamPrefix, ct);
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    static string Token(string user) => $"{B64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}")}.{B64($"{{\"jti\":\"t\",\"userId\":\"{user}\",\"exp\":4102444800}}")}.c2ln";
    static string B64(string s) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    static async Task<InMemoryEventLog> HistoryAsync()
    {
        var log = new InMemoryEventLog();
        foreach (var user in new[] { "alice", "bob" })
            await log.AppendAsync(Recording.SessionStream(user), ExpectedVersion.Any, [Recording.Local(user, new Event.ConnectRequested("t", user, None), 1)]);
        return log;
    }

    [Fact]
    public async Task A_replay_that_does_not_finish_in_time_fails_the_connect_with_minus_5_and_decides_nothing()
    {
        var log = new SlowLog(await HistoryAsync(), stall: true);
        await using var client = new StringeeClient(new ClientOptions(Seq1(new Uri("ws://127.0.0.1:9/"))) { Log = log, ConnectTimeout = TimeSpan.FromMilliseconds(300) });
        var before = log.LastPosition;
        var connected = await client.ConnectAsync(Token("alice"));
        Assert.Equal(-5, connected.Match(_ => 0, e => e.Code));
        Assert.Contains("replay", connected.Match(_ => "", e => e.Message), StringComparison.OrdinalIgnoreCase);
        Assert.Equal(before, log.LastPosition);
        Assert.False(client.IsConnected);
    }

    [Fact]
    public async Task A_client_reads_its_own_streams_by_prefix_and_never_the_whole_log()
    {
        var log = new SlowLog(await HistoryAsync(), stall: false);
        await using var client = new StringeeClient(new ClientOptions(Seq1(new Uri("ws://127.0.0.1:9/"))) { Log = log, ConnectTimeout = TimeSpan.FromMilliseconds(300), MaxReconnectAttempts = 0 });
        await client.ConnectAsync(Token("alice"));
        Assert.Equal(0, log.WholeLogSubscriptions);
        lock (log.PrefixSubscriptions) Assert.Equal(["alice/"], log.PrefixSubscriptions);
        Assert.Equal(Some("alice"), client.Current.Session.UserId);
    }

    [Fact]
    public async Task A_write_to_the_users_streams_from_elsewhere_is_reported_and_nothing_is_dropped()
    {
        var log = new SlowLog(await HistoryAsync(), stall: false);
        await using var client = new StringeeClient(new ClientOptions(Seq1(new Uri("ws://127.0.0.1:9/"))) { Log = log, ConnectTimeout = TimeSpan.FromMilliseconds(300), MaxReconnectAttempts = 0 });
        var faults = new List<RecordingFault>();
        using var watching = client.OnRecordingFault.Subscribe(f => { lock (faults) faults.Add(f); });
        await client.ConnectAsync(Token("alice"));
        Assert.True((await client.ClearDbAsync()).IsSucc);
        lock (faults) Assert.Empty(faults);

        await log.ElsewhereAsync(Recording.SessionStream("alice"), Recording.Local("alice", new Event.LocalDataCleared(), 2));
        Assert.True((await client.ClearDbAsync()).IsSucc);
        lock (faults) Assert.Equal(RecordingFaultKind.ConcurrentWriter, Assert.Single(faults).Kind);
        var session = new List<Recorded>();
        await foreach (var r in log.ReadStreamAsync(Recording.SessionStream("alice"))) session.Add(r);
        Assert.Equal(3, session.Count(r => r.Event is Event.LocalDataCleared));
    }

    static readonly ConversationInfo Listed = new("c1", "team", true, false, "alice", 1L, 5_000L, None, 0, 5L, None, None, None, None, 0, None, None, None,
        None, None, None, None, None, None, None);

    [Fact]
    public async Task Replaying_the_history_reacts_to_none_of_it()
    {
        var inner = new InMemoryEventLog();
        var history = new Event[]
        {
            new Event.ConnectRequested("t", "alice", None),
            new Event.Connected(new AuthenResult(0, 1L, None, "alice", None, 1L, 1L, 60_000L, None, None, false, None, None), false),
            new Event.PingReceived(new Ping(9L)),
            new Event.MessageReceived(new MessageNotice("c1", "m5", "bob", 1_000, 5, 1, Json.Object(("content", "old")), None, None, None, None, None, None)),
            new Event.MessagePinRequested(new PinMessage(3L, "c1", "m5", true)),
            // A catch-up that was under way: two listing pages and their answers (a conversation known up to seq 5).
            new Event.ConversationsLoadRequested(new LoadConversations(4L, 0, 9007199254740991, 500, None, None, None, None, None)),
            new Event.ConversationsLoaded(new ConversationsResult(0, 4L, Seq1(Listed))),
            new Event.ConversationsLoadRequested(new LoadConversations(5L, 0, 5_001, 500, None, None, None, None, None)),
            new Event.ConversationsLoaded(new ConversationsResult(0, 5L, Seq1(Listed))),
        };
        foreach (var e in history)
        {
            var r = Recording.Local("alice", e, 1);
            await inner.AppendAsync(r.Meta.Stream, ExpectedVersion.Any, [r]);
        }
        var before = inner.LastPosition;
        await using (var client = new StringeeClient(new ClientOptions(Seq1(new Uri("ws://127.0.0.1:9/")))
            { Log = inner, ConnectTimeout = TimeSpan.FromMilliseconds(300), RequestTimeout = TimeSpan.FromMilliseconds(100), MaxReconnectAttempts = 0 }))
        {
            await client.ConnectAsync(Token("alice"));
            await Task.Delay(600);
        }
        var added = new List<Event>();
        await foreach (var r in inner.ReadAllAsync(before + 1)) added.Add(r.Event);
        Assert.DoesNotContain(added, e => e is Event.PingAnswered or Event.MessageDeliveryReported or Event.RequestTimedOut or Event.GapDetected or Event.GapFilled or Event.GapUnrecoverable
            or Event.ConversationsLoadRequested or Event.MessagesLoadRequested);
        Assert.Contains(added, e => e is Event.Disconnected);
    }
}
