using System.Reactive.Linq;
using EventSourced.Adapters.Client;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

public sealed class ClientTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Two_clients_chat_with_edits_pins_revokes_and_reads_and_their_read_models_agree()
    {
        string a = U("alice"), b = U("bob");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        var conv = (await alice.CreateConversationAsync(Seq1(b), new ConversationOptions("team", true, false, None, None))).Ok();
        Assert.Equal("team", conv.Name.IfNone(""));
        var bobSees = bob.Timeline(conv.Id).First(v => v.Exists(m => m.Type == 7));
        var hello = (await alice.SendTextAsync(conv.Id, "hello")).Ok();
        Assert.Equal(2L, hello.Seq);
        Assert.True(hello.State >= Timeline.MessageState.Sent); // bob's automatic delivery report may already be in
        // Read-your-writes: the Task completed, so the observable shows the message already.
        Assert.Contains(await alice.Timeline(conv.Id).FirstAsync(), m => m.Id == hello.Id);
        await bobSees;
        await bob.Until(m => Projections.Timeline.Find(m.Timeline, conv.Id, hello.Id).IsSome);

        var reply = (await bob.SendTextAsync(conv.Id, "hi alice")).Ok();
        await alice.Until(m => Projections.Timeline.Find(m.Timeline, conv.Id, reply.Id).IsSome);
        (await alice.EditMessageAsync(conv.Id, hello.Id, "hello, team")).Ok();
        (await alice.EditMessageAsync(conv.Id, hello.Id, "hello, team!")).Ok();
        (await alice.PinMessageAsync(conv.Id, hello.Id, true)).Ok();
        (await bob.RevokeMessageAsync(conv.Id, reply.Id)).Ok();
        (await alice.PinMessageAsync(conv.Id, hello.Id, false)).Ok();
        (await bob.MarkConversationAsReadAsync(conv.Id)).Ok();

        await alice.Until(m => Projections.Timeline.View(m.Timeline, conv.Id).Exists(x => x.Id == hello.Id && x.State == Timeline.MessageState.Read));
        await bob.Until(m => Projections.Timeline.View(m.Timeline, conv.Id).Exists(x => x.Id == hello.Id && Chat.TextOf(x.Content) == "hello, team!")
            && m.Pins.ByConv.Find(conv.Id).Exists(p => p.History.Count == 2));
        await alice.Until(m => Projections.Timeline.View(m.Timeline, conv.Id).Exists(x => x.Id == reply.Id && x.Revoked));

        Seq<(string, string, bool, bool)> Shape(StringeeClient c) => Projections.Timeline.View(c.Current.Timeline, conv.Id)
            .Map(m => (m.Id, Chat.TextOf(m.Content), m.Revoked, m.Edited));
        Assert.Equal(Shape(alice), Shape(bob));
        Assert.Equal(alice.Current.Pins.ByConv[conv.Id], bob.Current.Pins.ByConv[conv.Id]);
        Assert.Equal(Seq("hello", "hello, team", "hello, team!"),
            Projections.Timeline.Find(bob.Current.Timeline, conv.Id, hello.Id).Map(m => m.Versions.Map(Chat.TextOf)).IfNone(Seq<string>()));
        Assert.Equal("hi alice", Projections.Timeline.Find(alice.Current.Timeline, conv.Id, reply.Id).Map(m => Chat.TextOf(m.Original)).IfNone(""));
    }
}
