using System.Security.Cryptography;
using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>The RFC 9162 tree: roots, inclusion and consistency proofs, against the RFC's definition written out plainly here.</summary>
public sealed class MerkleTests
{
    // MTH exactly as RFC 9162 §2.1.1 states it, on the entries themselves.
    static byte[] Mth(IReadOnlyList<byte[]> entries)
    {
        if (entries.Count == 0) return SHA256.HashData(System.Array.Empty<byte>());
        if (entries.Count == 1) return SHA256.HashData([0, .. entries[0]]);
        var k = 1;
        while (k * 2 < entries.Count) k *= 2;
        return SHA256.HashData([1, .. Mth(entries.Take(k).ToList()), .. Mth(entries.Skip(k).ToList())]);
    }

    static readonly Arbitrary<List<byte[]>> Entries =
        Gen.ListOf(Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b))).Select(l => l.ToList()).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property Every_root_is_the_rfc_root() => Prop.ForAll(Entries, entries =>
    {
        var leaves = entries.Select(e => Merkle.LeafHash(e)).ToList();
        var tree = new Merkle.Tree(leaves);
        var frontier = Merkle.Frontier.Empty;
        for (var n = 0; n <= entries.Count; n++)
        {
            var expected = Mth(entries.Take(n).ToList());
            if (!tree.Root(0, n).SequenceEqual(expected)) return false.Label($"tree root of {n}");
            if (!frontier.Root().SequenceEqual(expected)) return false.Label($"frontier root of {n}");
            if (n < entries.Count) frontier = frontier.Append(leaves[n]);
        }
        return true.ToProperty();
    });

    [Property(MaxTest = 200)]
    public Property Every_inclusion_proof_verifies_and_a_changed_one_does_not() => Prop.ForAll(Entries, entries =>
    {
        var leaves = entries.Select(e => Merkle.LeafHash(e)).ToList();
        var tree = new Merkle.Tree(leaves);
        for (var n = 1; n <= leaves.Count; n++)
        {
            var root = tree.Root(0, n);
            for (var m = 0; m < n; m++)
            {
                var path = tree.InclusionProof(m, n);
                if (!Merkle.VerifyInclusion(m, n, leaves[m], path, root)) return false.Label($"leaf {m} of {n}");
                var other = Merkle.LeafHash([.. entries[m], 1]);
                if (Merkle.VerifyInclusion(m, n, other, path, root)) return false.Label($"a changed entry {m} of {n} verified");
                if (n > 1 && Merkle.VerifyInclusion((m + 1) % n, n, leaves[m], path, root) && !leaves[(m + 1) % n].SequenceEqual(leaves[m]))
                    return false.Label($"leaf {m} verified at another index");
                if (path.Count > 0 && Merkle.VerifyInclusion(m, n, leaves[m], path.Take(path.Count - 1).ToList(), root)) return false.Label($"a shortened path verified ({m} of {n})");
            }
        }
        return true.ToProperty();
    });

    [Property(MaxTest = 200)]
    public Property Every_consistency_proof_verifies_and_a_rewritten_history_does_not() => Prop.ForAll(Entries, entries =>
    {
        var leaves = entries.Select(e => Merkle.LeafHash(e)).ToList();
        var tree = new Merkle.Tree(leaves);
        for (var n = 1; n <= leaves.Count; n++)
            for (var m = 1; m <= n; m++)
            {
                var proof = tree.ConsistencyProof(m, n);
                if (!Merkle.VerifyConsistency(m, n, tree.Root(0, m), tree.Root(0, n), proof)) return false.Label($"{m} -> {n}");
                // The same later head does not extend a different earlier history.
                var rewritten = leaves.Take(m).ToList();
                rewritten[m - 1] = Merkle.LeafHash([.. entries[m - 1], 7]);
                if (Merkle.VerifyConsistency(m, n, Merkle.Root(rewritten), tree.Root(0, n), proof)) return false.Label($"rewritten {m} -> {n} verified");
            }
        return true.ToProperty();
    });

    [Fact]
    public void The_empty_tree_is_the_hash_of_nothing() =>
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", Convert.ToHexStringLower(Merkle.Frontier.Empty.Root()));
}
