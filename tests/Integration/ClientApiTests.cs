using System.Reactive.Linq;
using System.Reactive.Threading.Tasks;
using EventSourced.Adapters.Client;
using EventSourced.Domain.Client;
using EventSourced.Projections;
using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration;

/// <summary>Every function and every event of the seed API, through the results and the observables.</summary>
public sealed class ClientApiTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    static readonly ConversationOptions Group = new("group", true, false, None, None);

    [Fact]
    public async Task Connection_events_and_errors()
    {
        var u = U("conn");
        await using var c = new StringeeClient(Clients.Options(f.Server));
        var connected = c.OnConnect.First(_ => true);
        (await c.ConnectAsync(f.Token(u))).Ok();
        Assert.Equal(new ConnectionChange(u, 1, false), await connected);
        Assert.True(c.IsConnected);
        var disconnected = c.OnDisConnect.First(_ => true);
        (await c.DisconnectAsync()).Ok();
        Assert.False((await disconnected).IsReconnecting);
        var afterwards = await c.GetUnreadConversationCountAsync();
        Assert.Equal((-1, "StringeeClient is not initialized or connected"), afterwards.Match(_ => (0, ""), e => (e.Code, e.Message)));

        await using var bad = new StringeeClient(Clients.Options(f.Server));
        var failure = bad.OnFailWithError.First(_ => true);
        var expired = bad.OnRequestAccessToken.First(_ => true);
        var r = await bad.ConnectAsync(TokenIssuer.Issue(f.Server.Config.DefaultKey, DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 7200, 60, u));
        Assert.Equal(6, r.Match(_ => 0, e => e.Code));
        Assert.Equal(6, (await failure).Code);
        await expired;

        // onRequestAccessToken asks for a new token; connecting with it resumes.
        (await bad.ConnectAsync(f.Token(u))).Ok();
        Assert.True(bad.IsConnected);

        await using var forged = new StringeeClient(Clients.Options(f.Server));
        var forgedToken = f.Token(u)[..^4] + "AAAA";
        Assert.Equal((10, "Access token signature is invalid"), (await forged.ConnectAsync(forgedToken)).Match(_ => (0, ""), e => (e.Code, e.Message)));
        Assert.False(forged.Current.Session.LastError.IsNone);
    }

    [Fact]
    public async Task With_no_server_list_the_client_asks_the_rest_address_endpoint()
    {
        var u = U("disc");
        await using var c = new StringeeClient(Clients.Options(f.Server) with { Servers = Seq<Uri>() });
        (await c.ConnectAsync(f.Token(u))).Ok();
        Assert.Equal(Some($"ws://127.0.0.1:{f.Server.Port}/"), c.Current.Session.Server);
    }

    [Fact]
    public async Task Conversation_functions_and_object_changes()
    {
        string a = U("a"), b = U("b"), c = U("c");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        var changes = new List<ObjectChange>();
        using var _ = alice.OnObjectChange.Subscribe(x => { lock (changes) changes.Add(x); });

        var conv = (await alice.CreateConversationAsync(Seq1(b), Group)).Ok();
        Assert.Equal((conv.Id, true), ((await alice.GetConversationByIdAsync(conv.Id)).Ok().Id, conv.IsGroup));
        var one = (await alice.CreateConversationAsync(Seq1(c))).Ok();
        Assert.Equal(one.Id, (await alice.GetConversationWithUserAsync(c)).Ok().Id);
        Assert.Equal(2, (await alice.GetLastConversationsAsync(10)).Ok().Count);
        Assert.Equal(2, (await alice.GetConversationsAfterAsync(0, 10)).Ok().Count);
        Assert.Empty((await alice.GetConversationsBeforeAsync(1, 10)).Ok());
        Assert.Equal(Set(conv.Id, one.Id), toSet((await alice.GetLocalConversationsAsync(a, 10)).Ok().Map(x => x.Id)));

        (await alice.UpdateConversationAsync(conv.Id, "renamed", None)).Ok();
        Assert.Equal(Some("renamed"), alice.Current.Conversations.ById[conv.Id].Name);
        Assert.Equal(Seq1(c), (await alice.AddParticipantsAsync(conv.Id, Seq1(c))).Ok());
        Assert.Equal(Seq1(c), (await alice.RemoveParticipantsAsync(conv.Id, Seq1(c))).Ok());

        (await alice.SendTextAsync(conv.Id, "one")).Ok();
        (await alice.SendTextAsync(conv.Id, "two")).Ok();
        await bob.Until(m => m.Conversations.ById.Find(conv.Id).Exists(x => x.Unread >= 2));
        Assert.Equal(1, (await bob.GetUnreadConversationCountAsync()).Ok());
        (await bob.MarkConversationAsReadAsync(conv.Id)).Ok();
        Assert.Equal(0, bob.Current.Conversations.ById[conv.Id].Unread);
        Assert.Equal(0, (await bob.GetUnreadConversationCountAsync()).Ok());
        (await bob.DeleteConversationAsync(conv.Id)).Ok();
        Assert.DoesNotContain(ConversationList.Visible(bob.Current.Conversations), x => x.Id == conv.Id);

        lock (changes)
        {
            Assert.Contains(changes, x => x.ObjectType == 0 && x.ChangeType == 0 && x.ObjectChanges.Exists(o => o is ConversationList.Conversation cv && cv.Id == conv.Id));
            Assert.Contains(changes, x => x.ObjectType == 1 && x.ChangeType == 0 && x.ObjectChanges.Exists(o => o is Timeline.Message));
        }
    }

    [Fact]
    public async Task Message_functions_typing_custom_messages_push_and_clearDb()
    {
        string a = U("a"), b = U("b");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        var conv = (await alice.CreateConversationAsync(Seq1(b), Group)).Ok();
        var sent = new List<Timeline.MessageView>();
        for (var i = 1; i <= 5; i++) sent.Add((await alice.SendTextAsync(conv.Id, $"m{i}")).Ok());
        Assert.Equal(Seq(2L, 3L, 4L, 5L, 6L), toSeq(sent).Map(m => m.Seq));

        await bob.Until(m => Timeline.View(m.Timeline, conv.Id).Count == 6);
        Assert.Equal(Seq(5L, 6L), (await bob.GetLocalMessagesAsync(conv.Id, 2)).Ok().Map(m => m.Seq));
        Assert.Equal(Seq(4L, 5L, 6L), (await bob.GetLastMessagesAsync(conv.Id, 3)).Ok().Map(m => m.Seq));
        Assert.Equal(Seq(3L, 4L), (await bob.GetMessagesAfterAsync(conv.Id, 2, 2)).Ok().Map(m => m.Seq));
        Assert.Equal(Seq(3L, 4L), (await bob.GetMessagesBeforeAsync(conv.Id, 5, 2)).Ok().Map(m => m.Seq));

        (await alice.DeleteMessageAsync(conv.Id, sent[0].Id)).Ok();
        Assert.DoesNotContain(Timeline.View(alice.Current.Timeline, conv.Id), m => m.Id == sent[0].Id);
        (await alice.PinMessageAsync(conv.Id, sent[1].Id, true)).Ok();
        await bob.Until(m => m.Pins.ByConv.Find(conv.Id).Exists(p => p.Current == Some(sent[1].Id)));
        (await alice.EditMessageAsync(conv.Id, sent[1].Id, "m2 (edited)")).Ok();
        await bob.Until(m => Timeline.View(m.Timeline, conv.Id).Exists(x => x.Id == sent[1].Id && x.Edited));
        (await alice.RevokeMessageAsync(conv.Id, sent[2].Id)).Ok();
        await bob.Until(m => Revokes.Of(m.Revokes, conv.Id, sent[2].Id).IsSome);

        var began = alice.OnUserBeginTyping.First(t => t.ConvId == conv.Id);
        var ended = alice.OnUserEndTyping.First(t => t.ConvId == conv.Id);
        (await bob.SendBeginTypingAsync(conv.Id)).Ok();
        Assert.Equal(b, (await began).UserId);
        (await bob.SendEndTypingAsync(conv.Id)).Ok();
        await ended;

        var custom = bob.OnCustomMessage.First(_ => true);
        (await alice.SendCustomMessageAsync(b, "{\"kind\":\"ping\"}")).Ok();
        Assert.Equal("{\"kind\":\"ping\"}", await custom);

        (await bob.RegisterPushAsync("token-1", true, false)).Ok();
        Assert.Contains("token-1", bob.Current.Session.PushTokens);
        (await bob.UnregisterPushAsync("token-1")).Ok();
        Assert.DoesNotContain("token-1", bob.Current.Session.PushTokens);
        (await bob.UpdateUserInfoAsync("Bob", "bob@example.test", None)).Ok();

        var recorded = new List<Recorded>();
        using (bob.Recorded.Subscribe(recorded.Add))
        {
            (await bob.ClearDbAsync()).Ok();
        }
        Assert.Empty(Timeline.View(bob.Current.Timeline, conv.Id));
        // clearDb is itself recorded; the audit record before it stays in the log.
        Assert.IsType<Event.LocalDataCleared>(recorded.Single().Event);
    }

    [Fact]
    public async Task Calls_ring_onIncomingCall_and_onIncomingCall2()
    {
        string a = U("a"), b = U("b");
        await using var alice = await Clients.Connected(f, a);
        await using var bob = await Clients.Connected(f, b);
        var ring = bob.OnIncomingCall.First(_ => true);
        var ring2 = bob.OnIncomingCall2.First(_ => true);
        var id = (await alice.StartCallAsync(b, isVideo: true)).Ok();
        var call = await ring;
        Assert.Equal((id, a, b, 1, true), (call.CallId, call.From, call.To, call.CallType, call.IsVideoCall));
        (await alice.StartCallAsync(b, isVideo: false, call2: true)).Ok();
        Assert.False((await ring2).IsVideoCall);
    }

    [Fact]
    public async Task Bad_arguments_get_the_seeds_codes_and_messages()
    {
        await using var alice = await Clients.Connected(f, U("a"));
        static (int, string) Of<T>(Fin<T> r) => r.Match(_ => (0, ""), e => (e.Code, e.Message));
        Assert.Equal((-2, "Conversation ID can not be null"), Of(await alice.UpdateConversationAsync("", "x", None)));
        Assert.Equal((-2, "User id can not be null"), Of(await alice.GetLocalConversationsAsync("", 5)));
        Assert.Equal((-2, "Data is empty."), Of(await alice.RegisterPushAsync("", true, false)));
        Assert.Equal((-3, "No message found."), Of(await alice.EditMessageAsync("c", "m", "x")));
        Assert.Equal((3, "Conversation conv-999 not found"), Of(await alice.SendTextAsync("conv-999", "x")));
        await using var offline = new StringeeClient(Clients.Options(f.Server));
        Assert.Equal((-1, "StringeeClient is not initialized or connected"), Of(await offline.SendTextAsync("c", "x")));
        Assert.Equal((-1, "StringeeClient is not initialized or connected"), Of(await offline.CreateConversationAsync(Seq1("x"))));
    }
}
