using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>SeqMap behaves as LanguageExt's <c>Map&lt;long, T&gt;</c> under every sequence of its operations, whatever order the seqs come in.</summary>
public sealed class SeqMapTests
{
    abstract record Op;
    sealed record Add(long Key, int Value) : Op;
    sealed record Set(long Key, int Value) : Op;
    sealed record DropUpTo(long Key) : Op;

    // Mostly the next seq (a message arriving), sometimes a jump, an earlier seq (a history load), a repeat, an update
    // or a cut (a read mark): long runs, so the trie grows past its root and its tail is pushed many times.
    static Gen<List<Op>> Ops(int size) => Gen.Sized(n =>
    {
        var step = Gen.Frequency(
            (40, Gen.Constant<Func<long, Op>>(last => new Add(last + 1, (int)(last % 97)))),
            (4, Gen.Choose(2, 60).Select<int, Func<long, Op>>(j => last => new Add(last + j, j))),
            (6, Gen.Choose(0, 3000).Select<int, Func<long, Op>>(k => _ => new Add(k, k % 13))),
            (4, Gen.Choose(0, 3000).Select<int, Func<long, Op>>(k => _ => new Set(k, -k))),
            (1, Gen.Choose(0, 3000).Select<int, Func<long, Op>>(k => _ => new DropUpTo(k))));
        return Gen.ListOf(step, Math.Max(1, size)).Select(fs =>
        {
            var ops = new List<Op>();
            long last = 0;
            foreach (var f in fs)
            {
                var op = f(last);
                if (op is Add a && a.Key > last) last = a.Key;
                ops.Add(op);
            }
            return ops;
        });
    });

    static (SeqMap<int> Ours, Map<long, int> Model) Run(IEnumerable<Op> ops)
    {
        var ours = SeqMap<int>.Empty;
        var model = Map<long, int>();
        foreach (var op in ops)
            (ours, model) = op switch
            {
                Add a => (ours.TryAdd(a.Key, a.Value), model.TryAdd(a.Key, a.Value)),
                Set s => (ours.SetItem(s.Key, s.Value), model.ContainsKey(s.Key) ? model.SetItem(s.Key, s.Value) : model),
                DropUpTo d => (ours.RemoveUpTo(d.Key), model.Filter((k, _) => k > d.Key)),
                _ => throw new InvalidOperationException(),
            };
        return (ours, model);
    }

    static string Show(IEnumerable<(long, int)> entries) => string.Join(" ", entries.Take(40));

    [Property(MaxTest = 60)]
    public Property Every_sequence_of_operations_gives_the_map_of_the_same_sequence() => Prop.ForAll(Gen.Choose(1, 6000).SelectMany(Ops).ToArbitrary(), ops =>
    {
        var (ours, model) = Run(ops);
        var expected = model.AsEnumerable().Select(kv => (kv.Key, kv.Value)).ToList();
        var actual = ours.ToList();
        if (ours.Count != model.Count) return false.Label($"count {ours.Count}, map {model.Count}");
        if (!actual.SequenceEqual(expected)) return false.Label($"entries {Show(actual)} / map {Show(expected)}");
        if (!ours.Values.SequenceEqual(model.Values)) return false.Label("values out of order");
        if (!ours.Keys.SequenceEqual(model.Keys)) return false.Label("keys out of order");
        foreach (var k in Enumerable.Range(-1, 3100).Select(i => (long)i).Concat(model.Keys.Take(200)))
            if (ours.Find(k) != model.Find(k) || ours.ContainsKey(k) != model.ContainsKey(k)) return false.Label($"find {k}: {ours.Find(k)} / {model.Find(k)}");
        var rnd = new Random(ops.Count);
        for (var r = 0; r < 20; r++)
        {
            long from = rnd.Next(-5, 3200), to = from + rnd.Next(-3, 400);
            var range = ours.FindRange(from, to).ToList();
            var mrange = model.AsEnumerable().Where(kv => kv.Key >= from && kv.Key <= to).Select(kv => kv.Value).ToList();
            if (!range.SequenceEqual(mrange)) return false.Label($"range {from}..{to}");
        }
        return true.ToProperty();
    });

    [Property(MaxTest = 60)]
    public Property Maps_of_equal_entries_are_equal_however_they_were_built() => Prop.ForAll(Gen.Choose(1, 3000).SelectMany(Ops).ToArbitrary(), ops =>
    {
        var (ours, model) = Run(ops);
        // The same entries added in one ascending pass (all in the run) and in a shuffled order (most below it).
        var ascending = model.AsEnumerable().Aggregate(SeqMap<int>.Empty, (m, kv) => m.TryAdd(kv.Key, kv.Value));
        var shuffled = model.AsEnumerable().OrderBy(kv => (kv.Key * 7919) % 101).Aggregate(SeqMap<int>.Empty, (m, kv) => m.TryAdd(kv.Key, kv.Value));
        var changed = model.IsEmpty ? ours.TryAdd(1, 1) : ours.SetItem(model.Keys.Last(), model.Values.Last() + 1);
        return (ours.Equals(ascending) && ascending.Equals(shuffled) && ours.GetHashCode() == shuffled.GetHashCode() && !ours.Equals(changed))
            .Label($"equal {ours.Equals(ascending)} {ascending.Equals(shuffled)}, hash {ours.GetHashCode() == shuffled.GetHashCode()}, changed {!ours.Equals(changed)}");
    });

    [Fact]
    public void Nothing_to_change_returns_the_same_map()
    {
        var m = Enumerable.Range(1, 100).Aggregate(SeqMap<int>.Empty, (s, i) => s.TryAdd(i, i));
        Assert.Same(m, m.TryAdd(50, 0));
        Assert.Same(m, m.SetItem(1_000, 0));
        Assert.Same(m, m.RemoveUpTo(0));
        Assert.Equal(0, m.RemoveUpTo(100).Count);
    }
}
