using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using EventSourced.Adapters.Client;

namespace EventSourced.Tests.Integration;

/// <summary>Helpers for tests of the StringeeClient against the local server.</summary>
public static class Clients
{
    public static ClientOptions Options(StringeeServer server) =>
        new(Seq1(new Uri(server.Url)), new Uri($"http://127.0.0.1:{server.Port}/"))
        {
            RequestTimeout = TimeSpan.FromSeconds(5), ConnectTimeout = TimeSpan.FromSeconds(5), ReconnectBackoff = TimeSpan.FromMilliseconds(100),
        };

    public static async Task<StringeeClient> Connected(ServerFixture f, string user)
    {
        var c = new StringeeClient(Options(f.Server));
        var r = await c.ConnectAsync(f.Token(user));
        Assert.True(r.IsSucc, $"connect {user}: {r}");
        return c;
    }

    public static T Ok<T>(this Fin<T> r) => r.Match(v => v, e => throw new Xunit.Sdk.XunitException($"expected success, got {e.Code}: {e.Message}"));

    /// <summary>The first value matching within a bounded wait.</summary>
    public static Task<T> First<T>(this IObservable<T> source, Func<T, bool> match, int seconds = 5) =>
        source.Where(match).FirstAsync().Timeout(TimeSpan.FromSeconds(seconds)).ToTask();

    /// <summary>Waits until a condition over a client's read models holds (bounded).</summary>
    public static Task<EventSourced.Projections.ReadModels> Until(this StringeeClient c, Func<EventSourced.Projections.ReadModels, bool> condition, int seconds = 5) =>
        c.Models.Where(condition).FirstAsync().Timeout(TimeSpan.FromSeconds(seconds)).ToTask();
}
