using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

/// <summary><c>audit --message</c>: every version of a message from every recording, each with its actor, clocks and log position.</summary>
public sealed class AuditHistoryTests
{
    [Fact]
    public void Every_version_is_numbered_once_with_who_and_when_from_every_recording()
    {
        var position = 0L;
        Recorded R(string user, Event e, Option<long> serverTime = default) =>
            new(new Envelope(Recording.StreamOf(user, e), ++position, position, 10_000 + position, serverTime, None, Origin.Received, None, None, Raw.None), e);
        var log = Seq(
            R("alice", SendRequested(11, "c1", "l-1", "Launch Thursday")),
            R("alice", Sent(11, "c1", "l-1", "m2", 2)),
            R("bob", Received("c1", "m2", 2, "alice", "Launch Thursday")),
            R("bob", Received("c1", "m3", 3, "bob", "unrelated")),
            R("bob", Edited("c1", "m2", "Launch Friday")),
            R("carol", new MessagesLoaded(new MessagesResult(0, 5L, Seq1(new MessageInfo("m2", 2, Some("c1"), None, Some(1_002L), Some(1), Some("alice"),
                Some<Json>(Json.Object(("content", "Launch Friday"))), None, None, None, Some(0), Some(1L)))))),
            R("bob", Revoked("c1", "m2")));
        var history = Audit.History(log, "m2");
        Assert.Equal(
            [("alice", "sent (seq 2)", "alice", 1, "Launch Thursday"), ("bob", "received (seq 2)", "alice", 1, "Launch Thursday"),
             ("bob", "edited", "alice", 2, "Launch Friday"), ("carol", "loaded (seq 2)", "alice", 2, "Launch Friday"), ("bob", "revoked", "alice", 0, "")],
            history.Map(v => (v.RecordedBy, v.Kind, v.Actor, v.Number, v.Content)).ToArray());
        Assert.Equal([2L, 3, 5, 6, 7], history.Map(v => v.Position).ToArray());
        Assert.Equal(1_002L, history[1].ServerTime);
        Assert.Equal(10_003L, history[1].LocalTime);
        Assert.Empty(Audit.History(log, "m9"));
    }
}
