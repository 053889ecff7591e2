using System.Security.Cryptography;

namespace EventSourced.Projections;

/// <summary>
/// The Merkle tree of RFC 9162 (Certificate Transparency 2.0, §2.1) over the whole log: leaf hashes
/// <c>SHA-256(0x00 || entry)</c>, node hashes <c>SHA-256(0x01 || left || right)</c>, the tree of n leaves
/// split at the largest power of two below n. An inclusion proof shows an entry is in a tree head; a
/// consistency proof shows a later tree head extends an earlier one. Anyone can check both with this
/// file's verifiers (or any RFC 9162 implementation) and a tree head, without the database.
/// </summary>
public static class Merkle
{
    /// <summary>Bytes of a SHA-256 hash.</summary>
    public const int HashSize = 32;

    /// <summary>The hash of an empty tree: SHA-256 of nothing.</summary>
    public static byte[] EmptyRoot => SHA256.HashData(ReadOnlySpan<byte>.Empty);

    /// <summary>The leaf hash of an entry: <c>SHA-256(0x00 || entry)</c>.</summary>
    public static byte[] LeafHash(ReadOnlySpan<byte> entry)
    {
        using var h = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        h.AppendData([0]);
        h.AppendData(entry);
        return h.GetHashAndReset();
    }

    /// <summary>An interior node: <c>SHA-256(0x01 || left || right)</c>.</summary>
    public static byte[] NodeHash(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        Span<byte> buffer = stackalloc byte[1 + 2 * HashSize];
        buffer[0] = 1;
        left.CopyTo(buffer[1..]);
        right.CopyTo(buffer[(1 + HashSize)..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The next link of a stream's hash chain: <c>SHA-256(previous || leaf)</c> (the first link's previous is 32 zero bytes).</summary>
    public static byte[] ChainHash(ReadOnlySpan<byte> previous, ReadOnlySpan<byte> leaf)
    {
        Span<byte> buffer = stackalloc byte[2 * HashSize];
        previous.CopyTo(buffer);
        leaf.CopyTo(buffer[HashSize..]);
        return SHA256.HashData(buffer);
    }

    /// <summary>The chain's start.</summary>
    public static byte[] ChainStart => new byte[HashSize];

    static long SplitPoint(long n)
    {
        var k = 1L;
        while (k << 1 < n) k <<= 1;
        return k;
    }

    /// <summary>MTH of every leaf (RFC 9162 §2.1.1).</summary>
    public static byte[] Root(IReadOnlyList<byte[]> leaves) => new Tree(leaves).Root(0, leaves.Count);

    /// <summary>
    /// A tree over leaf hashes with every perfect subtree's hash kept (about 2n hashes), so a root of any
    /// prefix, an inclusion proof or a consistency proof costs O(log n) after one O(n) build.
    /// </summary>
    public sealed class Tree
    {
        readonly List<byte[][]> levels = [];

        /// <summary>Builds the levels over the leaves.</summary>
        public Tree(IReadOnlyList<byte[]> leaves)
        {
            levels.Add(leaves.ToArray());
            while (levels[^1].Length > 1)
            {
                var below = levels[^1];
                var level = new byte[below.Length / 2][];
                for (var i = 0; i < level.Length; i++) level[i] = NodeHash(below[2 * i], below[2 * i + 1]);
                if (level.Length == 0) break;
                levels.Add(level);
            }
        }

        /// <summary>Leaves in the tree.</summary>
        public long Size => levels[0].Length;

        /// <summary>The leaf hash at an index.</summary>
        public byte[] Leaf(long index) => levels[0][index];

        /// <summary>MTH of leaves [from, to).</summary>
        public byte[] Root(long from, long to)
        {
            var n = to - from;
            if (n == 0) return EmptyRoot;
            if ((n & (n - 1)) == 0 && from % n == 0)
            {
                var level = System.Numerics.BitOperations.Log2((ulong)n);
                return levels[level][from / n];
            }
            var k = SplitPoint(n);
            return NodeHash(Root(from, from + k), Root(from + k, to));
        }

        /// <summary>PATH(m, D[0:n]) of RFC 9162 §2.1.3.1.</summary>
        public List<byte[]> InclusionProof(long m, long n) => Path(m, 0, n);

        List<byte[]> Path(long m, long from, long to)
        {
            var n = to - from;
            if (n <= 1) return [];
            var k = SplitPoint(n);
            if (m < k)
            {
                var path = Path(m, from, from + k);
                path.Add(Root(from + k, to));
                return path;
            }
            var right = Path(m - k, from + k, to);
            right.Add(Root(from, from + k));
            return right;
        }

        /// <summary>PROOF(m, D[n]) of RFC 9162 §2.1.4.1: that the tree of the first m leaves is a prefix of the tree of n.</summary>
        public List<byte[]> ConsistencyProof(long m, long n) => m <= 0 || m >= n ? [] : SubProof(m, 0, n, true);

        List<byte[]> SubProof(long m, long from, long to, bool whole)
        {
            var n = to - from;
            if (m == n) return whole ? [] : [Root(from, to)];
            var k = SplitPoint(n);
            if (m <= k)
            {
                var p = SubProof(m, from, from + k, whole);
                p.Add(Root(from + k, to));
                return p;
            }
            var q = SubProof(m - k, from + k, to, false);
            q.Add(Root(from, from + k));
            return q;
        }
    }

    /// <summary>
    /// The right edge of a tree being built: the roots of its perfect subtrees, largest first. Appending a
    /// leaf and reading the root are O(log n), so a tree head costs nothing per event on the append path.
    /// </summary>
    public sealed record Frontier(long Size, Seq<byte[]> Peaks)
    {
        /// <summary>No leaf.</summary>
        public static readonly Frontier Empty = new(0, Seq<byte[]>());

        /// <summary>With one more leaf.</summary>
        public Frontier Append(byte[] leaf)
        {
            var peaks = Peaks.ToList();
            var carry = leaf;
            // Each set low bit of the size is a perfect subtree the new leaf completes.
            for (var size = Size; (size & 1) == 1; size >>= 1)
            {
                carry = NodeHash(peaks[^1], carry);
                peaks.RemoveAt(peaks.Count - 1);
            }
            peaks.Add(carry);
            return new Frontier(Size + 1, toSeq(peaks));
        }

        /// <summary>The tree's root hash: the peaks folded from the smallest up.</summary>
        public byte[] Root()
        {
            if (Size == 0) return EmptyRoot;
            var r = Peaks.Last;
            foreach (var p in Peaks.Rev().Skip(1)) r = NodeHash(p, r);
            return r;
        }
    }

    /// <summary>Checks an inclusion proof (RFC 9162 §2.1.3.2).</summary>
    public static bool VerifyInclusion(long leafIndex, long treeSize, byte[] leafHash, IReadOnlyList<byte[]> path, byte[] root)
    {
        if (leafIndex < 0 || leafIndex >= treeSize) return false;
        long fn = leafIndex, sn = treeSize - 1;
        var r = leafHash;
        foreach (var p in path)
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                r = NodeHash(p, r);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
            }
            else r = NodeHash(r, p);
            fn >>= 1;
            sn >>= 1;
        }
        return sn == 0 && r.AsSpan().SequenceEqual(root);
    }

    /// <summary>Checks a consistency proof between a tree head of <paramref name="first"/> leaves and one of <paramref name="second"/> (RFC 9162 §2.1.4.2).</summary>
    public static bool VerifyConsistency(long first, long second, byte[] firstRoot, byte[] secondRoot, IReadOnlyList<byte[]> proof)
    {
        if (first <= 0 || first > second) return false;
        if (first == second) return proof.Count == 0 && firstRoot.AsSpan().SequenceEqual(secondRoot);
        if (proof.Count == 0) return false;
        var path = (first & (first - 1)) == 0 ? new List<byte[]> { firstRoot }.Concat(proof).ToList() : proof.ToList();
        long fn = first - 1, sn = second - 1;
        while ((fn & 1) == 1)
        {
            fn >>= 1;
            sn >>= 1;
        }
        byte[] fr = path[0], sr = path[0];
        foreach (var c in path.Skip(1))
        {
            if (sn == 0) return false;
            if ((fn & 1) == 1 || fn == sn)
            {
                fr = NodeHash(c, fr);
                sr = NodeHash(c, sr);
                if ((fn & 1) == 0)
                    while ((fn & 1) == 0 && fn != 0)
                    {
                        fn >>= 1;
                        sn >>= 1;
                    }
            }
            else sr = NodeHash(sr, c);
            fn >>= 1;
            sn >>= 1;
        }
        return fr.AsSpan().SequenceEqual(firstRoot) && sr.AsSpan().SequenceEqual(secondRoot) && sn == 0;
    }
}
