using System.Reactive.Subjects;
using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class ObservablesTests
{
    [Fact]
    public void A_conversations_timeline_emits_only_when_that_conversation_changes()
    {
        var feed = new Subject<Event>();
        var views = new List<Seq<Timeline.MessageView>>();
        using var _ = feed.TimelineOf("c1").Subscribe(views.Add);
        feed.OnNext(Received("c1", "m1", 1, "bob", "x"));
        feed.OnNext(Received("c2", "m9", 1, "bob", "elsewhere"));
        feed.OnNext(new Event.UserBeganTyping(new TypingNotice("c1", "bob", None)));
        feed.OnNext(Edited("c1", "m1", "y"));
        Assert.Equal(2, views.Count);
        Assert.Equal("y", Chat.TextOf(views[^1].Single().Content));
    }

    [Fact]
    public void One_packet_gives_one_emission_per_affected_model()
    {
        var feed = new Subject<Event>();
        var list = 0;
        var timeline = 0;
        var typing = 0;
        using var a = feed.Project(ConversationList.Reducer).Subscribe(_ => list++);
        using var b = feed.Project(Timeline.Reducer).Subscribe(_ => timeline++);
        using var c = feed.Project(Typing.Reducer).Subscribe(_ => typing++);
        feed.OnNext(Received("c1", "m1", 1, "bob", "x"));
        Assert.Equal((1, 1, 0), (list, timeline, typing));
    }

    [Fact]
    public void Object_changes_follow_the_feed()
    {
        var feed = new Subject<Event>();
        var changes = new List<ObjectChanges.Change>();
        using var _ = feed.ObjectChangesOf().Subscribe(changes.Add);
        feed.OnNext(Revoked("c1", "m1"));
        Assert.Equal(new ObjectChanges.Change(1, 1, "c1", Seq1("m1")), changes.Single());
    }
}
