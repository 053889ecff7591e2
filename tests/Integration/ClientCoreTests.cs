using EventSourced.Adapters.Client;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>The client core's rules end to end, on the real server and real sockets.</summary>
public sealed class ClientCoreTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task A_refused_send_fails_only_its_own_caller_and_leaves_the_outbox_while_the_sends_beside_it_land()
    {
        string a = U("alice"), b = U("bob"), c = U("carol");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        var open = (await alice.CreateConversationAsync(Seq1(b), new ConversationOptions("open", true, false, None, None))).Ok().Id;
        var closed = (await bob.CreateConversationAsync(Seq(a, c), new ConversationOptions("closed", true, false, None, None))).Ok().Id;
        (await bob.RemoveParticipantsAsync(closed, Seq1(a))).Ok();

        // Four sends in flight at once; the server refuses the one to the conversation alice was removed from (r = 4).
        var sends = new[] { (open, "one"), (closed, "refused"), (open, "two"), (open, "three") }
            .Select(x => alice.SendTextAsync(x.Item1, x.Item2)).ToArray();
        var results = await Task.WhenAll(sends);

        Assert.Equal(4, results[1].Match(_ => 0, e => e.Code));
        Assert.All(new[] { results[0], results[2], results[3] }, r => Assert.True(r.IsSucc, r.ToString()));
        Assert.Empty(Timeline.Outbox(alice.Current.Timeline));
        Assert.Equal(Seq("one", "two", "three"), Timeline.View(alice.Current.Timeline, open).Filter(m => m.Type == 1).Map(m => Chat.TextOf(m.Content)));

        // A reconnect sends nothing again: the refused message is not pending any more.
        var back = alice.OnConnect.First(x => x.IsReconnecting, seconds: 10);
        alice.DropConnection();
        await back;
        await alice.Until(m => Timeline.View(m.Timeline, open).Count(x => x.Type == 1) == 3, seconds: 10);
        Assert.DoesNotContain(f.Server.Hub.State.Conversations[closed].Messages.Values, m => Chat.TextOf(m.Content) == "refused");
        Assert.Empty(Timeline.Outbox(alice.Current.Timeline));
    }

    [Fact]
    public async Task The_timeline_as_change_sets_follows_sends_edits_pins_and_revokes_one_item_at_a_time()
    {
        string a = U("alice"), b = U("bob");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        var conv = (await alice.CreateConversationAsync(Seq1(b), new ConversationOptions("diffs", true, false, None, None))).Ok().Id;
        var batches = new List<Seq<VectorDiff<Timeline.MessageView>>>();
        using var sub = alice.TimelineChanges(conv).Subscribe(d => { lock (batches) batches.Add(d); });
        var first = (await alice.SendTextAsync(conv, "first")).Ok();
        (await alice.SendTextAsync(conv, "second")).Ok();
        (await alice.EditMessageAsync(conv, first.Id, "first, edited")).Ok();
        (await alice.PinMessageAsync(conv, first.Id, true)).Ok();
        (await bob.SendTextAsync(conv, "from bob")).Ok();
        await alice.Until(m => Timeline.View(m.Timeline, conv).Count(x => x.Type == 1) == 3);
        // Batches are emitted right after the snapshot; delivery reports may still be moving states: wait (bounded) until they settle.
        List<Seq<VectorDiff<Timeline.MessageView>>> seen = [];
        var rebuilt = System.Collections.Immutable.ImmutableList<Timeline.MessageView>.Empty;
        for (var i = 0; i < 50; i++)
        {
            lock (batches) seen = batches.ToList();
            rebuilt = seen.Aggregate(System.Collections.Immutable.ImmutableList<Timeline.MessageView>.Empty, (l, d) => EventSourced.Projections.Changes.Apply(l, d));
            if (rebuilt.SequenceEqual(Timeline.View(alice.Current.Timeline, conv))) break;
            await Task.Delay(100);
        }
        Assert.Equal(Timeline.View(alice.Current.Timeline, conv), toSeq(rebuilt));
        Assert.IsType<VectorDiff<Timeline.MessageView>.Reset>(seen[0].Single());
        // After the first batch, no batch resets the view: every change is an insert or an update at an index.
        Assert.All(seen.Skip(1).SelectMany(x => x), d => Assert.IsNotType<VectorDiff<Timeline.MessageView>.Reset>(d));
    }
}
