using EventSourced.Domain.Compliance;
using static EventSourced.Domain.Compliance.ComplianceEvent;

namespace EventSourced.Tests.Properties.Domain;

/// <summary>Legal holds and retention as decisions: what is held is never planned for removal, and every hold is placed once and released once.</summary>
public sealed class HoldsTests
{
    static long position;

    static ComplianceRecorded R(ComplianceEvent e) => new(new Envelope(Holds.Stream, ++position, position, 1_000 * position, None, None, Origin.Local, None, None, Raw.None), e);

    const long Day = 86_400_000;

    static Holds.Conversation Conv(string id, int channel, long last, params string[] users) => new(id, channel, last, toSeq(users), Seq1(1L));

    [Fact]
    public void A_hold_is_placed_once_with_a_reason_on_something_that_exists_and_released_once()
    {
        var none = Holds.State.Empty;
        Assert.Equal("a hold needs --reason TEXT (what matter it preserves)", Holds.Place(none, "conversation", "c1", " ", "officer", true).LeftToSeq().Head);
        Assert.Equal("conversation c1 is not in the log", Holds.Place(none, "conversation", "c1", "matter", "officer", false).LeftToSeq().Head);
        Assert.Equal("a hold is on a conversation or a user, not 'room'", Holds.Place(none, "room", "c1", "matter", "officer", true).LeftToSeq().Head);
        var placed = (ComplianceEvent)Holds.Place(none, "conversation", "c1", "matter", "officer", true);
        var held = Holds.Of([R(placed)]);
        Assert.StartsWith("conversation c1 is already held", Holds.Place(held, "conversation", "c1", "again", "officer", true).LeftToSeq().Head, StringComparison.Ordinal);
        Assert.Equal("conversation c2 is not held", Holds.Release(held, "conversation", "c2", "officer").LeftToSeq().Head);
        var released = Holds.Of([R(placed), R((ComplianceEvent)Holds.Release(held, "conversation", "c1", "officer"))]);
        Assert.True(released.Active.IsEmpty);
    }

    [Fact]
    public void Retention_removes_what_expired_by_its_channel_type_unless_a_hold_on_it_or_on_one_of_its_users_protects_it()
    {
        var holds = Holds.Of([R(new HoldPlaced("user", "carol", "matter 9", "officer")), R(new HoldPlaced("conversation", "c4", "matter 10", "officer"))]);
        var now = 400 * Day;
        var plan = Holds.Plan(holds, [
                Conv("c1", 0, now - 31 * Day, "alice", "bob"),      // normal, expired
                Conv("c2", 0, now - 29 * Day, "alice", "bob"),      // normal, not yet
                Conv("c3", 1, now - 366 * Day, "visitor", "carol"), // live chat, expired, carol is held
                Conv("c4", 0, now - 99 * Day, "alice"),             // expired, held itself
                Conv("c5", 2, now - 999 * Day, "alice"),            // facebook: no period, kept forever
            ], Map(("normal", 30 * Day), ("livechat", 365 * Day)), now);
        Assert.Equal(["c1"], plan.Remove.Map(p => p.Conversation.ConvId).ToArray());
        Assert.Equal("normal retention 30 days", plan.Remove.Head.Rule);
        Assert.Equal([("c3", "user carol"), ("c4", "conversation c4")], plan.Held.Map(h => (h.Conversation.ConvId, string.Join(",", h.Holds.Map(x => $"{x.Scope} {x.Target}")))).ToArray());
    }

    [Property]
    public bool Ranges_cover_exactly_the_positions(long[] positions) =>
        Holds.Ranges(positions).Bind(r => toSeq(Enumerable.Range(0, (int)(r.To - r.From + 1)).Select(i => r.From + i))).ToArray()
            .SequenceEqual(positions.Distinct().Order());

    [Fact]
    public void An_erasure_is_refused_and_recorded_under_a_hold_on_the_user_or_on_a_conversation_they_are_in_and_refused_unrecorded_for_an_unknown_user()
    {
        var convs = new[] { Conv("c1", 0, 1, "amy", "bob"), Conv("c2", 0, 1, "bob", "cid") };
        var known = new Holds.Subject(true, 1, 0);
        Assert.True(Holds.Erase(Holds.State.Empty, "amy", known, convs, false, "officer").IsRight);
        var unknown = (Holds.EraseRefusal)Holds.Erase(Holds.State.Empty, "zed", new Holds.Subject(false, 0, 0), convs, false, "officer");
        Assert.Equal(("user zed is not in the log", true), (unknown.Message, unknown.Record.IsNone));
        // Keys but no event left (a purged conversation): still theirs to erase.
        Assert.True(Holds.Erase(Holds.State.Empty, "zed", new Holds.Subject(false, 1, 0), convs, false, "officer").IsRight);

        var onConv = Holds.Of([R(new HoldPlaced("conversation", "c2", "matter 7", "officer"))]);
        var refused = (Holds.EraseRefusal)Holds.Erase(onConv, "cid", known, convs, false, "dpo");
        Assert.Equal("REFUSED: user cid is held by conversation c2 (officer: matter 7)", refused.Message);
        Assert.Equal(Some<ComplianceEvent>(new Refused("erase", "user", "cid", "held by conversation c2 (officer: matter 7)", "dpo")), refused.Record);
        Assert.True(Holds.Erase(onConv, "amy", known, convs, false, "dpo").IsRight);
        var onUser = Holds.Of([R(new HoldPlaced("user", "amy", "matter 8", "officer"))]);
        Assert.True(((Holds.EraseRefusal)Holds.Erase(onUser, "amy", known, convs, false, "dpo")).Record.IsSome);

        // Already erased and recorded: nothing to do; erased but not recorded (a crash between): recorded now.
        var done = (Holds.EraseRefusal)Holds.Erase(Holds.State.Empty, "amy", new Holds.Subject(true, 0, 1), convs, true, "dpo");
        Assert.Equal(("user amy is already erased", true), (done.Message, done.Record.IsNone));
        Assert.True(Holds.Erase(Holds.State.Empty, "amy", new Holds.Subject(true, 0, 1), convs, false, "dpo").IsRight);
    }
}
