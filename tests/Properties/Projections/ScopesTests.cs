using EventSourced.Projections;
using EventSourced.Tests.Properties.Support;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>
/// A conversation's timeline folded from its scope's events and the session stream's equals the timeline the fold of the
/// whole log gives it; the outline is every other read model of that fold; and scopes join only what must be joined.
/// </summary>
public sealed class ScopesTests
{
    static Gen<Event> Of<T>() where T : Event => Generators.For<T>().Select(e => (Event)e);

    /// <summary>Commands, answers and notices of the timeline over three conversations, with request ids and local ids that collide.</summary>
    internal static readonly Gen<Seq<Event>> Crossing = Gen.OneOf(
            Of<MessageSendRequested>(), Of<MessageSent>(), Of<MessageReceived>(), Of<MessageEditRequested>(), Of<MessageEdited>(),
            Of<MessagePinRequested>(), Of<MessagePinAnswered>(), Of<MessagePinChanged>(), Of<HistoryClearRequested>(), Of<RequestAcknowledged>(),
            Of<RequestFailed>(), Of<RequestTimedOut>(), Of<ConversationCreated>(), Of<MessagesLoaded>(), Of<MessagesRevoked>(), Of<Disconnected>(),
            Of<Connected>(), Gen.Constant((Event)new LocalDataCleared()))
        .ListOf(40).Select(xs => toSeq(xs).Strict());

    /// <summary>
    /// Commands of the timeline under a few request ids in three conversations, and answers to them recorded in another
    /// conversation's stream or the session's; creation answers whose first message names another conversation.
    /// </summary>
    internal static readonly Gen<Seq<Event>> Colliding =
        (from id in Gen.Choose(0, 3).Select(n => Some((long)n))
         from conv in Gen.Elements("a", "b", "c")
         from other in Gen.Elements("a", "b", "c")
         from seq in Gen.Choose(1, 4)
         from kind in Gen.Choose(0, 9)
         select kind switch
         {
             0 => (Event)new MessageEditRequested(new EditMessage(id, conv, $"m{seq}", new Json.Str($"{{\"content\":\"e{seq}\"}}"))),
             1 => new RequestAcknowledged((short)(seq % 2 == 0 ? Service.ChatEditMessage : Service.ChatConversationClearHistory), new Ack(0, id, None)),
             2 => new MessagePinRequested(new PinMessage(id, conv, $"m{seq}", seq % 2 == 0)),
             3 => new MessagePinAnswered(new PinMessageResult(0, id, seq % 2 == 0, seq == 1 ? None : Some(other), Some($"m{seq}"))),
             4 => new HistoryClearRequested(new ClearHistory(id, conv, seq)),
             5 => new MessageSendRequested(new SendMessage(id, conv, 1, Json.Object(("content", $"s{seq}")), Some($"l{seq % 2}"))),
             6 => new MessageSent(new SendMessageResult(0, id, other, $"m{seq}", seq, seq, seq == 1 ? None : Some($"l{seq % 2}"), None)),
             7 => new MessageReceived(new MessageNotice(conv, $"m{seq}", "b", seq, seq, 1, Json.Object(("content", $"r{seq}")), None, None, None, None, None, None)),
             8 => Created(conv, other, seq),
             _ => new Disconnected("gone", seq == 1),
         })
        .ListOf(30).Select(xs => toSeq(xs).Strict());

    // 41's answer for conv, whose first message (lastMsg) names other.
    static Event Created(string conv, string other, int seq)
    {
        var first = BodyCodec.Encode(new MessageInfo($"m{seq}", seq, Some(other), None, Some(1L), Some(7), Some("a"), Some((Json)Json.Object(("content", "made"))),
            None, None, None, None, None));
        var info = new ConversationInfo(conv, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None, None,
            Some((Json)first), None, None, None, None, None);
        return new ConversationCreated(new CreateConversationResult(0, None, None, info, None));
    }

    static bool SameTimelines(Seq<Event> events)
    {
        var full = ReadModels.Reducer.Fold(events);
        var outline = Outline.Reducer.Fold(events);
        foreach (var c in full.Timeline.Conversations.Keys)
        {
            if (!outline.Scopes.Known.Contains(c)) return false;
            var part = Timeline.Reducer.Fold(events.Filter(Outline.Concerns(outline, c)));
            if (part.Conversations.Find(c) != full.Timeline.Conversations.Find(c) || Timeline.Pending(part, c) != Timeline.Pending(full.Timeline, c)
                || Timeline.View(part, c) != Timeline.View(full.Timeline, c))
                return false;
        }
        return true;
    }

    [Property(MaxTest = 500)]
    public Property A_conversations_timeline_from_its_scope_equals_the_whole_folds() =>
        Prop.ForAll(Gen.OneOf(Crossing, Colliding, Generators.Mixed).ToArbitrary(), events => SameTimelines(events).Label(string.Join("\n", events)));

    [Property(MaxTest = 200)]
    public Property The_outline_is_every_read_model_of_the_whole_fold_but_the_timeline() =>
        Prop.ForAll(Gen.OneOf(Crossing, Generators.Events).ToArbitrary(),
            events => (Outline.Reducer.Fold(events).Models == ReadModels.Reducer.Fold(events) with { Timeline = Timeline.State.Initial }).ToProperty());

    /// <summary>A client's own traffic: sends with fresh request and local ids answered in their conversation, notices, edits, reports.</summary>
    static readonly Gen<Seq<Event>> Ordinary =
        Gen.ListOf(Gen.Choose(0, 5).SelectMany(kind => Gen.Elements("a", "b", "c").Select(conv => (kind, conv))), 40).Select(picks =>
            toSeq(picks.Select((p, i) => (p, i)).SelectMany(x => Traffic(x.p.kind, x.p.conv, x.i))).Strict());

    static Event[] Traffic(int kind, string conv, int i) => kind switch
    {
        0 => [new MessageSendRequested(new SendMessage(Some(100L + i), conv, 1, Json.Object(("content", $"t{i}")), Some($"local-{i}"))),
            (Event)new MessageSent(new SendMessageResult(0, Some(100L + i), conv, $"{conv}-s{i}", 50 + i, 1000 + i, Some($"local-{i}"), None))],
        1 => [new MessageEditRequested(new EditMessage(Some(100L + i), conv, $"{conv}-{i % 7}", new Json.Str("{\"content\":\"e\"}"))),
            new RequestAcknowledged((short)Service.ChatEditMessage, new Ack(0, Some(100L + i), None))],
        2 => [new MessageEdited(new EditNotice(conv, $"{conv}-{i % 7}", new Json.Str("{\"content\":\"n\"}")))],
        3 => [new Disconnected("gone", true)],
        _ => [(Event)new MessageReceived(new MessageNotice(conv, $"{conv}-{i % 7}", "b", 1000 + i, i % 7 + 1, 1, Json.Object(("content", $"x{i}")),
            None, None, None, None, None, None))],
    };

    [Property(MaxTest = 200)]
    public Property A_clients_own_traffic_leaves_every_conversation_alone() =>
        Prop.ForAll(Ordinary.ToArbitrary(), events =>
        {
            var scopes = Outline.Reducer.Fold(events).Scopes;
            return (Scopes.Joined(scopes).IsEmpty && scopes.Known.ForAll(c => Scopes.Of(scopes, c) == Set<OrdStringOrdinal, string>(c)) && SameTimelines(events))
                .Label(string.Join("\n", events));
        });

    [Fact]
    public void An_answer_naming_another_conversation_joins_the_two_and_no_other()
    {
        // The server confirms a send in conversation a with a result that names b: the message lands in b with a's content.
        var events = toSeq(new Event[]
        {
            new MessageSendRequested(new SendMessage(Some(7L), "a", 1, Json.Object(("content", "hi")), Some("l1"))),
            new MessageReceived(new MessageNotice("c", "c-1", "b", 1, 1, 1, Json.Object(("content", "other")), None, None, None, None, None, None)),
            new MessageSent(new SendMessageResult(0, Some(7L), "b", "m1", 1, 2, Some("l1"), None)),
        });
        var outline = Outline.Reducer.Fold(events);
        Assert.Equal(Set<OrdStringOrdinal, string>("a", "b"), Scopes.Of(outline.Scopes, "b"));
        Assert.Equal(Set<OrdStringOrdinal, string>("c"), Scopes.Of(outline.Scopes, "c"));
        Assert.Equal(["user/session", "user/conversation/a", "user/conversation/b"], Outline.StreamsOf(outline, "user", "b").ToArray());
        Assert.Equal(Some("hi"), Timeline.ViewAt(Timeline.Reducer.Fold(events.Filter(Outline.Concerns(outline, "b"))), "b", 1).Map(v => v.Text));
        Assert.True(SameTimelines(events));
    }

    [Fact]
    public void A_command_that_takes_a_waiting_commands_request_id_joins_their_conversations()
    {
        // The acknowledgement (session stream) confirms b's edit, not a's, which the second command displaced.
        var events = toSeq(new Event[]
        {
            new MessageReceived(new MessageNotice("a", "m1", "b", 1, 1, 1, Json.Object(("content", "first")), None, None, None, None, None, None)),
            new MessageEditRequested(new EditMessage(Some(1L), "a", "m1", new Json.Str("{\"content\":\"edited\"}"))),
            new MessageEditRequested(new EditMessage(Some(1L), "b", "m1", new Json.Str("{\"content\":\"other\"}"))),
            new RequestAcknowledged((short)Service.ChatEditMessage, new Ack(0, Some(1L), None)),
        });
        var outline = Outline.Reducer.Fold(events);
        Assert.Equal(Set<OrdStringOrdinal, string>("a", "b"), Scopes.Of(outline.Scopes, "a"));
        Assert.Equal(Some("first"), Timeline.ViewAt(Timeline.Reducer.Fold(events.Filter(Outline.Concerns(outline, "a"))), "a", 1).Map(v => v.Text));
        Assert.True(SameTimelines(events));
    }

    [Fact]
    public void Groups_merge_transitively_and_a_group_lists_each_member_once()
    {
        var events = toSeq(new Event[]
        {
            new MessageSendRequested(new SendMessage(Some(1L), "a", 1, Json.Object(("content", "1")), Some("l1"))),
            new MessageSent(new SendMessageResult(0, Some(1L), "b", "m1", 1, 2, None, None)),
            new MessageSendRequested(new SendMessage(Some(2L), "c", 1, Json.Object(("content", "2")), Some("l2"))),
            new MessageSent(new SendMessageResult(0, Some(2L), "d", "m2", 1, 2, None, None)),
            new MessageSendRequested(new SendMessage(Some(3L), "d", 1, Json.Object(("content", "3")), Some("l3"))),
            new MessageSent(new SendMessageResult(0, Some(3L), "a", "m3", 2, 2, None, None)),
        });
        var scopes = Outline.Reducer.Fold(events).Scopes;
        var all = Set<OrdStringOrdinal, string>("a", "b", "c", "d");
        Assert.All(all, c => Assert.Equal(all, Scopes.Of(scopes, c)));
        Assert.Single(Scopes.Joined(scopes));
    }
}
