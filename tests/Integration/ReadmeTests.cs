using EventSourced.Adapters.Client;

namespace EventSourced.Tests.Integration;

/// <summary>The README's client sample, kept true by running it.</summary>
public sealed class ReadmeTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task The_readme_client_sample_runs()
    {
        var token = f.Token(ServerFixture.U("readme"));
        var bob = "bob";
        // --- the sample, as in the README (server address from the fixture) ---
        await using var client = new StringeeClient(new ClientOptions(Seq1(new Uri(f.Server.Url))));
        using var typing = client.OnUserBeginTyping.Subscribe(t => Console.WriteLine($"{t.DisplayName} is typing"));
        var connected = await client.ConnectAsync(token);
        var conv = (await client.CreateConversationAsync(Seq1(bob))).Match(c => c, e => throw new InvalidOperationException(e.Message));
        var sent = await client.SendTextAsync(conv.Id, "hello");
        using var view = client.Timeline(conv.Id).Subscribe(messages => Console.WriteLine($"{messages.Count} messages"));
        // --- end of the sample ---
        Assert.True(connected.IsSucc);
        Assert.True(sent.IsSucc);
    }
}
