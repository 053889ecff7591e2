using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>The completeness certificate: what each recording holds and how every gap in it ended, read from the log alone.</summary>
public sealed class CompletenessTests
{
    static Completeness.Certificate Only(Seq<Recorded> log, string conv) => Completeness.Of(log).Filter(c => c.ConvId == conv).Single();

    [Fact]
    public void A_gap_with_a_recorded_fate_is_explained_and_a_silent_one_is_not()
    {
        // alice holds 1-2 and 6, the report says 6 exists: 3-5 is missing. Without a record of why, the certificate says so.
        var silent = Recordings("alice", Created("c1", "alice", "bob"), Received("c1", "m1", 1, "bob", "a"), Received("c1", "m2", 2, "bob", "b"),
            Received("c1", "m6", 6, "bob", "f"));
        var bare = Only(silent, "c1");
        Assert.Equal([new Coverage.Range(1, 2), new Coverage.Range(6, 6)], bare.Held.ToArray());
        Assert.Equal(("unexplained", 3L, 5L), (bare.Gaps.Single().Fate, bare.Gaps.Single().From, bare.Gaps.Single().To));
        Assert.False(bare.Explained);

        var detected = Only(silent.Concat(Recordings("alice", new GapDetected("c1", 3, 5)).Map(r => r with { Meta = r.Meta with { Position = 9 } })), "c1");
        Assert.Equal(("open: detected, not yet fetched", 9L), (detected.Gaps.Single().Fate, detected.Gaps.Single().Position));
        Assert.True(detected.Explained);

        var unrecoverable = Only(silent.Add(Recordings("alice", new GapUnrecoverable("c1", 3, 5, "the server returned no more messages")).Head), "c1");
        Assert.Equal("unrecoverable: the server returned no more messages", unrecoverable.Gaps.Single().Fate);

        // Filled: the catch-up loaded 3-5 and said so; the certificate holds 1-6 and keeps the filled gap on record.
        var filled = Only(silent.Concat(Recordings("alice", Received("c1", "m3", 3, "bob", "c"), Received("c1", "m4", 4, "bob", "d"), Received("c1", "m5", 5, "bob", "e"),
            new GapFilled("c1", 3, 5))), "c1");
        Assert.Equal([new Coverage.Range(1, 6)], filled.Held.ToArray());
        Assert.Equal("filled by the catch-up", filled.Gaps.Single().Fate);
        Assert.True(filled.Explained);
    }

    [Fact]
    public void Each_recording_gets_its_own_certificate_and_the_creator_holds_the_creation_message()
    {
        var first = Json.Object(("id", "m1"), ("seq", 1L), ("convId", "c1"), ("created", 1_000L), ("type", 7L), ("user", "alice"), ("content", Json.Object(("creator", "alice"))));
        var created = new ConversationCreated(new CreateConversationResult(0, 1L, "c1", Conversation("c1", "alice", "bob") with { LastMsg = Some<Json>(first) }, None));
        var log = Recordings("alice", created, Received("c1", "m2", 2, "bob", "x")).Concat(Recordings("bob", Received("c1", "m2", 2, "bob", "x")));
        var all = Completeness.Of(log);
        Assert.Equal(["alice", "bob"], all.Map(c => c.User).ToArray());
        var alice = all.Single(c => c.User == "alice");
        Assert.Equal([new Coverage.Range(1, 2)], alice.Held.ToArray());
        Assert.Empty(alice.Gaps);
        var bob = all.Single(c => c.User == "bob");
        Assert.Equal(("before this recording began (its first record is seq 2)", 1L, 1L), (bob.Gaps.Single().Fate, bob.Gaps.Single().From, bob.Gaps.Single().To));
    }

    [Fact]
    public void A_late_joiner_starts_at_its_first_seq_and_the_recordings_together_hold_the_whole_conversation()
    {
        var log = Recordings("visitor", Received("c1", "m1", 1, "visitor", "hi"), Received("c1", "m2", 2, "agent2", "hello"), Received("c1", "m3", 3, "visitor", "x"))
            .Concat(Recordings("agent1", Received("c1", "m4", 4, "agent1", "taking over"), Received("c1", "m6", 6, "agent1", "y")));
        var agent1 = Completeness.Of(log).Single(c => c.User == "agent1");
        Assert.Equal(["before this recording began (its first record is seq 4)", "unexplained"], agent1.Gaps.Map(g => g.Fate).ToArray());
        var (held, known, missing) = Completeness.Together(Completeness.Of(log));
        Assert.Equal([new Coverage.Range(1, 4), new Coverage.Range(6, 6)], held.ToArray());
        Assert.Equal(6, known);
        Assert.Equal([new Coverage.Range(5, 5)], missing.ToArray());
    }
}
