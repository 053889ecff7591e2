using EventSourced.Projections;
using static EventSourced.Projections.Transcript;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>
/// The merge of recordings: a join (commutative, associative, idempotent), equal to any single
/// complete recording, and reporting every contradiction between copies instead of choosing one.
/// </summary>
public sealed class TranscriptTests
{
    // What the server holds of one conversation: per seq a message with its history and whether it was revoked.
    sealed record Truth(string ConvId, Seq<(long Seq, string Sender, Seq<Json.Obj> Versions, bool Revoked)> Messages);

    static readonly string[] Users = ["alice", "bob", "carol", "dave"];

    static Json.Obj Text(string t) => Json.Object(("content", t));

    static readonly Gen<Truth> Truths =
        from conv in Gen.Elements("c1", "c/2", "c\n3")
        from n in Gen.Choose(1, 12)
        from messages in Gen.ListOf(
            from sender in Gen.Elements(Users)
            from edits in Gen.Choose(0, 3)
            from revoked in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
            select (sender, edits, revoked), n)
        select new Truth(conv, messages.Select((m, i) => ((long)(i + 1), m.sender,
            toSeq(Enumerable.Range(0, m.edits + 1).Select(v => Text($"m{i + 1} v{v}"))), m.revoked)).ToSeq());

    static Copy CopyOf(string user, string conv, (long Seq, string Sender, Seq<Json.Obj> Versions, bool Revoked) m, int versions, bool revoked, long seenAt) =>
        new(user, conv, m.Seq, $"msg-{m.Seq}", m.Sender, 1, 1_000 * m.Seq, m.Versions.Take(versions).ToSeq(), revoked, false, seenAt, seenAt);

    static Merged Of(IEnumerable<Copy> copies) => MergeAll(copies.Select(c => new Merged(
        Map<OrdStringOrdinal, string, Map<long, LanguageExt.HashSet<Copy>>>((c.ConvId, Map((c.Seq, LanguageExt.HashSet<Copy>.Empty.Add(c))))))));

    // A client's partial recording of the truth: some messages, a prefix of each history, the revoke seen or not.
    static Gen<Merged> Partial(Truth t) =>
        from user in Gen.Elements(Users)
        from picks in Gen.ListOf(
            from keep in Gen.Elements(true, true, false)
            from versions in Gen.Choose(1, 4)
            from seesRevoke in Gen.Elements(true, false)
            from at in Gen.Choose(0, 10_000)
            select (keep, versions, seesRevoke, at), t.Messages.Count)
        select Of(t.Messages.Zip(picks).Where(p => p.Item2.keep).Select(p =>
            CopyOf(user, t.ConvId, p.Item1, Math.Min(p.Item2.versions, p.Item1.Versions.Count), p.Item1.Revoked && p.Item2.seesRevoke, p.Item2.at)));

    static Merged Complete(Truth t, string user) => Of(t.Messages.Select(m => CopyOf(user, t.ConvId, m, m.Versions.Count, m.Revoked, 5)));

    static readonly Arbitrary<(Truth, Merged, Merged, Merged)> Three =
        (from t in Truths from a in Partial(t) from b in Partial(t) from c in Partial(t) select (t, a, b, c)).ToArbitrary();

    [Property(MaxTest = 300)]
    public Property Merging_is_commutative() => Prop.ForAll(Three, x => Merge(x.Item2, x.Item3) == Merge(x.Item3, x.Item2));

    [Property(MaxTest = 300)]
    public Property Merging_is_associative() => Prop.ForAll(Three, x =>
        Merge(Merge(x.Item2, x.Item3), x.Item4) == Merge(x.Item2, Merge(x.Item3, x.Item4)));

    [Property(MaxTest = 300)]
    public Property Merging_is_idempotent() => Prop.ForAll(Three, x => Merge(x.Item2, x.Item2) == x.Item2 && Merge(Merge(x.Item2, x.Item3), x.Item3) == Merge(x.Item2, x.Item3));

    static Seq<(long, string, string, Seq<Json.Obj>, bool)> Content(Seq<Transcript.Message> ms) => ms.Map(m => (m.Seq, m.MsgId, m.Sender, m.Versions, m.Revoked));

    [Property(MaxTest = 300)]
    public Property The_merge_equals_any_single_complete_recording() => Prop.ForAll(Three, x =>
    {
        var (t, a, b, c) = x;
        var complete = Complete(t, "eve");
        var merged = MergeAll([a, complete, b, c]);
        var expected = Content(Messages(complete, t.ConvId));
        return (Content(Messages(merged, t.ConvId)) == expected).Label("content")
            .And(Disagreements(merged).IsEmpty.Label($"disagreements: {string.Join("; ", Disagreements(merged))}"))
            .And((expected.Count == t.Messages.Count).Label("the complete recording holds every message"));
    });

    [Property(MaxTest = 300)]
    public Property Partial_recordings_together_hold_every_message_any_of_them_holds() => Prop.ForAll(Three, x =>
    {
        var (t, a, b, c) = x;
        var merged = MergeAll([a, b, c]);
        var held = new[] { a, b, c }.SelectMany(r => Messages(r, t.ConvId).Map(m => m.Seq)).Distinct().Order().ToSeq();
        var witnesses = Messages(merged, t.ConvId).ForAll(m => m.SeenBy.Map(w => w.User).ToHashSet().SetEquals(
            new[] { a, b, c }.Where(r => Messages(r, t.ConvId).Exists(n => n.Seq == m.Seq)).SelectMany(r => Messages(r, t.ConvId).Find(n => n.Seq == m.Seq).Map(n => n.SeenBy.Map(w => w.User)).IfNone(Seq<string>()))));
        return (Messages(merged, t.ConvId).Map(m => m.Seq) == held).Label("each seq once").And(witnesses.Label("who saw each message"));
    });

    [Property(MaxTest = 200)]
    public Property A_contradicting_copy_is_reported_never_chosen_silently() => Prop.ForAll(
        (from t in Truths from i in Gen.Choose(0, 11) from what in Gen.Elements("sender", "content", "message id") select (t, i % t.Messages.Count, what)).ToArbitrary(),
        x =>
        {
            var (t, i, what) = x;
            var m = t.Messages[i];
            var honest = CopyOf("alice", t.ConvId, m, m.Versions.Count, m.Revoked, 1);
            var forged = what switch
            {
                "sender" => honest with { User = "mallory", Sender = honest.Sender + "x" },
                "content" => honest with { User = "mallory", Versions = Seq1(Text("forged")) },
                _ => honest with { User = "mallory", MsgId = "msg-forged" },
            };
            var merged = Of([honest, forged]);
            var reported = Disagreements(merged);
            return reported.Exists(d => d.Seq == m.Seq && d.What == what && d.Users.Contains("alice") && d.Users.Contains("mallory")).Label(string.Join("; ", reported))
                .And(Messages(merged, t.ConvId).ForAll(n => n.Seq != m.Seq || n.Disputed).Label("the message is marked disputed"));
        });

    [Fact]
    public void The_same_message_id_at_two_seqs_is_reported()
    {
        var one = new Copy("alice", "c", 1, "msg-1", "bob", 1, 10, Seq1(Text("hi")), false, false, 1, 1);
        var two = one with { User = "carol", Seq = 2 };
        var d = Disagreements(Of([one, two]));
        Assert.Contains(d, x => x.MsgId == "msg-1" && x.What.StartsWith("seq", StringComparison.Ordinal));
    }

    [Fact]
    public void A_recording_from_events_keeps_when_the_client_first_saw_each_message()
    {
        var events = new[]
        {
            EventSourced.Domain.Client.Recording.Local("alice", Scenario.Connected("alice"), 500),
            EventSourced.Domain.Client.Recording.Local("alice", Scenario.Created("c1", "alice", "bob"), 600),
            EventSourced.Domain.Client.Recording.Local("alice", Scenario.Received("c1", "msg-1", 1, "bob", "hello"), 1_000),
            EventSourced.Domain.Client.Recording.Local("alice", Scenario.Edited("c1", "msg-1", "hello!"), 1_500),
            EventSourced.Domain.Client.Recording.Local("alice", Scenario.Received("c1", "msg-2", 2, "bob", "again"), 2_000),
        };
        var merged = FromLog("alice", events);
        var ms = Messages(merged, "c1");
        Assert.Equal(new[] { 1L, 2L }, ms.Map(m => m.Seq).ToArray());
        Assert.Equal(new[] { 1_000L, 2_000L }, ms.Map(m => m.SeenBy.Head.SeenAt).ToArray());
        Assert.Equal(new[] { "hello", "hello!" }, ms.Head.Versions.Map(v => Chat.TextOf(v)).ToArray());
    }
}
