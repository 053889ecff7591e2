using EventSourced.Projections;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

public sealed class CoverageTests() : ReducerLaws<Coverage.State>(Coverage.Reducer)
{
    [Property(MaxTest = 300)]
    public Property Held_ranges_and_gaps_partition_one_to_the_highest_known_seq() =>
        Prop.ForAll(Generators.SeqOrdered.ToArbitrary(), events =>
        {
            var c = Coverage.Of(R.Fold(events), "a");
            var held = c.Held.Bind(r => toSeq(Enumerable.Range((int)r.From, (int)(r.To - r.From + 1)))).Map(i => (long)i);
            var gaps = c.Gaps.Bind(r => toSeq(Enumerable.Range((int)r.From, (int)(r.To - r.From + 1)))).Map(i => (long)i);
            var expected = events.Choose(e => e is Event.MessageReceived m && m.Packet.ConvId == "a" ? Some(m.Packet.Seq) : None).Distinct().OrderBy(x => x).ToSeq();
            var all = (held + gaps).OrderBy(x => x).ToSeq();
            return held.OrderBy(x => x).ToSeq() == expected && all == toSeq(Enumerable.Range(1, (int)c.KnownLast).Select(i => (long)i));
        });

    [Fact]
    public void Gaps_are_what_catch_up_must_fetch()
    {
        var c = Coverage.Of(R.Fold(Seq(Received("c1", "m1", 1, "b", "x"), Received("c1", "m2", 2, "b", "x"), Received("c1", "m5", 5, "b", "x"),
            Report("c1", "b", 7, 1))), "c1");
        Assert.Equal(Seq(new Coverage.Range(1, 2), new Coverage.Range(5, 5)), c.Held);
        Assert.Equal(Seq(new Coverage.Range(3, 4), new Coverage.Range(6, 7)), c.Gaps);
        Assert.Equal(2L, c.ContiguousUpTo);
    }
}
