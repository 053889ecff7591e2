using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class RevokesTests() : ReducerLaws<Revokes.State>(Revokes.Reducer)
{
    [Fact]
    public void The_canonical_scenario_records_the_revoke() =>
        Assert.Equal(Some(new Revokes.Revocation("c1", "m4", None)), Revokes.Of(R.Fold(Canonical), "c1", "m4"));

    [Fact]
    public void Our_own_revoke_records_who_revoked()
    {
        var s = R.Fold(Seq(Connected("alice"),
            new Event.MessageRevokeRequested(new RevokeMessages(6L, "c1", Seq1("m2"), None)),
            Revoked("c1", "m2"),
            new Event.MessageRevokeAnswered(new RevokeMessagesResult(0, 6L, "c1", Seq1("m2")))));
        Assert.Equal(Some("alice"), Revokes.Of(s, "c1", "m2").Bind(r => r.By));
    }

    [Fact]
    public void A_message_id_names_a_message_within_its_conversation_only()
    {
        // Revoking "m1" of one conversation leaves the "m1" of another as it was, and our answer for one names only that one.
        var s = R.Fold(Seq(Connected("alice"), Revoked("c1", "m1"),
            new Event.MessageRevokeAnswered(new RevokeMessagesResult(0, 6L, "c2", Seq1("m1")))));
        Assert.Equal(Some(new Revokes.Revocation("c1", "m1", None)), Revokes.Of(s, "c1", "m1"));
        Assert.Equal(Some(new Revokes.Revocation("c2", "m1", Some("alice"))), Revokes.Of(s, "c2", "m1"));
        Assert.True(Revokes.Of(s, "c3", "m1").IsNone);
    }
}
