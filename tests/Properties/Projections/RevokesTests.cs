using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class RevokesTests() : ReducerLaws<Revokes.State>(Revokes.Reducer)
{
    [Fact]
    public void The_canonical_scenario_records_the_revoke() =>
        Assert.Equal(new Revokes.Revocation("c1", "m4", None), R.Fold(Canonical).ByMsg["m4"]);

    [Fact]
    public void Our_own_revoke_records_who_revoked()
    {
        var s = R.Fold(Seq(Connected("alice"),
            new Event.MessageRevokeRequested(new RevokeMessages(6L, "c1", Seq1("m2"), None)),
            Revoked("c1", "m2"),
            new Event.MessageRevokeAnswered(new RevokeMessagesResult(0, 6L, "c1", Seq1("m2")))));
        Assert.Equal(Some("alice"), s.ByMsg["m2"].By);
    }
}
