using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class TypingTests() : ReducerLaws<Typing.State>(Typing.Reducer)
{
    static Event Began(string conv, string user) => new Event.UserBeganTyping(new TypingNotice(conv, user, user.ToUpperInvariant()));

    [Fact]
    public void Typing_ends_with_an_end_notice_or_with_the_message_itself()
    {
        var s = R.Fold(Seq(Began("c1", "bob"), Began("c1", "carol")));
        Assert.Equal(2, Typing.In(s, "c1").Count);
        s = R.Observe(s, new Event.UserEndedTyping(new TypingNotice("c1", "bob", None)));
        s = R.Observe(s, Received("c1", "m1", 1, "carol", "done"));
        Assert.True(Typing.In(s, "c1").IsEmpty);
    }
}
