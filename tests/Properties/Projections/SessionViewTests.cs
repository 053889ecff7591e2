using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

public sealed class SessionViewTests() : ReducerLaws<Session.State>(SessionView.Reducer)
{
    [Fact]
    public void Connection_facts_come_from_the_authen_answer()
    {
        var s = R.Fold(Seq1(Scenario.Connected("alice")));
        Assert.Equal((Session.Status.Connected, Some("alice"), Some(1L)), (s.Status, s.UserId, s.ProjectId));
    }
}
