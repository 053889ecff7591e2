using System.Collections;

namespace EventSourced.Projections;

/// <summary>
/// An immutable map from a seq to a value, kept in seq order and made for the way messages arrive: almost always
/// above every seq already held. Those go to the end of a persistent vector (a 16-way trie with a tail: an append copies
/// the tail, about a fifth of what a balanced-tree insert copies); the few that arrive below (a history load) go to a
/// balanced tree beside it. Lookups by seq, updates in place, ordered ranges and equality behave as
/// <c>Map&lt;long, T&gt;</c>'s; every operation returns a new map (or this one when nothing changes).
/// </summary>
/// <typeparam name="T">The values.</typeparam>
public sealed class SeqMap<T> : IEquatable<SeqMap<T>>, IEnumerable<(long Key, T Value)>
{
    const int Bits = 4;
    const int Width = 1 << Bits;
    const int Mask = Width - 1;

    readonly struct Entry(long key, T value)
    {
        public readonly long Key = key;
        public readonly T Value = value;
    }

    // The run: entries with strictly ascending keys, count of them, the trie's height (shift) and root, and the tail.
    readonly int count;
    readonly int shift;
    readonly object[] root;
    readonly Entry[] tail;
    // Entries that arrived below the run's last key at the time: every key here is below the run's last key.
    readonly Map<long, T> below;

    SeqMap(int count, int shift, object[] root, Entry[] tail, Map<long, T> below)
    {
        this.count = count;
        this.shift = shift;
        this.root = root;
        this.tail = tail;
        this.below = below;
    }

    /// <summary>No entry.</summary>
    public static readonly SeqMap<T> Empty = new(0, Bits, new object[Width], [], Map<long, T>());

    /// <summary>How many entries.</summary>
    public int Count => count + below.Count;

    /// <summary>True when there is no entry.</summary>
    public bool IsEmpty => Count == 0;

    int TailOffset => count < Width ? 0 : ((count - 1) >> Bits) << Bits;

    Entry At(int i)
    {
        if (i >= TailOffset) return tail[i & Mask];
        var node = root;
        for (var level = shift; level > Bits; level -= Bits) node = (object[])node[(i >> level) & Mask];
        return ((Entry[])node[(i >> Bits) & Mask])[i & Mask];
    }

    // The run's index of a key, or -1. Seqs are usually dense, so the key's distance from the first is tried first.
    int IndexOf(long key)
    {
        if (count == 0) return -1;
        var first = At(0).Key;
        if (key < first || key > At(count - 1).Key) return -1;
        var guess = key - first;
        if (guess < count && At((int)guess).Key == key) return (int)guess;
        int lo = 0, hi = count - 1;
        while (lo <= hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            var k = At(mid).Key;
            if (k == key) return mid;
            if (k < key) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }

    // The run's first index whose key is at least key (count when none).
    int LowerBound(long key)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) >> 1);
            if (At(mid).Key < key) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>The value at a seq, if any.</summary>
    public Option<T> Find(long key)
    {
        var i = IndexOf(key);
        return i >= 0 ? Some(At(i).Value) : below.Find(key);
    }

    /// <summary>True when the seq has a value.</summary>
    public bool ContainsKey(long key) => IndexOf(key) >= 0 || below.ContainsKey(key);

    /// <summary>With the value at a seq that has none; this same map when the seq has one already.</summary>
    public SeqMap<T> TryAdd(long key, T value)
    {
        if (count == 0 || key > At(count - 1).Key) return Append(new Entry(key, value));
        return IndexOf(key) >= 0 || below.ContainsKey(key) ? this : new SeqMap<T>(count, shift, root, tail, below.Add(key, value));
    }

    /// <summary>With the value at a seq replaced; this same map when the seq has none.</summary>
    public SeqMap<T> SetItem(long key, T value)
    {
        var i = IndexOf(key);
        if (i >= 0)
        {
            if (i >= TailOffset)
            {
                var t = (Entry[])tail.Clone();
                t[i & Mask] = new Entry(key, value);
                return new SeqMap<T>(count, shift, root, t, below);
            }
            return new SeqMap<T>(count, shift, Assoc(shift, root, i, new Entry(key, value)), tail, below);
        }
        return below.ContainsKey(key) ? new SeqMap<T>(count, shift, root, tail, below.SetItem(key, value)) : this;
    }

    static object[] Assoc(int level, object[] node, int i, Entry e)
    {
        var copy = (object[])node.Clone();
        var sub = (i >> level) & Mask;
        if (level == Bits)
        {
            var leaf = (Entry[])((Entry[])node[sub]).Clone();
            leaf[i & Mask] = e;
            copy[sub] = leaf;
        }
        else copy[sub] = Assoc(level - Bits, (object[])node[sub], i, e);
        return copy;
    }

    SeqMap<T> Append(Entry e)
    {
        if (count - TailOffset < Width)
        {
            var t = new Entry[tail.Length + 1];
            tail.CopyTo(t, 0);
            t[^1] = e;
            return new SeqMap<T>(count + 1, shift, root, t, below);
        }
        // The tail is full: it becomes a leaf of the trie (one level more when the root is full), and a new tail starts.
        object[] newRoot;
        var newShift = shift;
        if ((count >> Bits) > (1 << shift))
        {
            newRoot = new object[Width];
            newRoot[0] = root;
            newRoot[1] = NewPath(shift, tail);
            newShift += Bits;
        }
        else newRoot = PushTail(shift, root, tail);
        return new SeqMap<T>(count + 1, newShift, newRoot, [e], below);
    }

    object[] PushTail(int level, object[] parent, Entry[] leaf)
    {
        var sub = ((count - 1) >> level) & Mask;
        var copy = (object[])parent.Clone();
        copy[sub] = level == Bits ? leaf : parent[sub] is object[] child ? PushTail(level - Bits, child, leaf) : NewPath(level - Bits, leaf);
        return copy;
    }

    static object NewPath(int level, Entry[] leaf)
    {
        if (level == 0) return leaf;
        var node = new object[Width];
        node[0] = NewPath(level - Bits, leaf);
        return node;
    }

    /// <summary>Without the entries at or below a seq.</summary>
    public SeqMap<T> RemoveUpTo(long key)
    {
        var from = LowerBound(key + 1);
        var kept = below.IsEmpty ? below : below.Filter((k, _) => k > key);
        if (from == 0 && kept.Count == below.Count) return this;
        var run = Empty;
        for (var i = from; i < count; i++) run = run.Append(At(i));
        return kept.IsEmpty ? run : new SeqMap<T>(run.count, run.shift, run.root, run.tail, kept);
    }

    /// <summary>Entries in seq order.</summary>
    public IEnumerator<(long Key, T Value)> GetEnumerator() => Merge(0, below.AsEnumerable().Select(kv => (kv.Key, kv.Value)), long.MaxValue).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Seqs in ascending order.</summary>
    public IEnumerable<long> Keys => this.Select(e => e.Key);

    /// <summary>Values in seq order.</summary>
    public IEnumerable<T> Values => this.Select(e => e.Value);

    /// <summary>Values whose seq is in [<paramref name="from"/>, <paramref name="to"/>], in seq order.</summary>
    public IEnumerable<T> FindRange(long from, long to) =>
        from > to ? [] : Merge(LowerBound(from), below.IsEmpty ? [] : below.AsEnumerable().Where(kv => kv.Key >= from && kv.Key <= to).Select(kv => (kv.Key, kv.Value)), to)
            .Select(e => e.Value);

    // The run from an index (while its keys are at most upTo) merged with other entries in key order (keys never coincide).
    IEnumerable<(long Key, T Value)> Merge(int start, IEnumerable<(long Key, T Value)> others, long upTo)
    {
        using var other = others.GetEnumerator();
        var hasOther = other.MoveNext();
        for (var i = start; i < count; i++)
        {
            var e = At(i);
            if (e.Key > upTo) break;
            while (hasOther && other.Current.Key < e.Key)
            {
                yield return other.Current;
                hasOther = other.MoveNext();
            }
            yield return (e.Key, e.Value);
        }
        while (hasOther)
        {
            yield return other.Current;
            hasOther = other.MoveNext();
        }
    }

    /// <summary>Equal when both hold the same seqs with equal values.</summary>
    public bool Equals(SeqMap<T>? other)
    {
        if (other is null) return false;
        if (ReferenceEquals(this, other)) return true;
        if (Count != other.Count) return false;
        var values = EqualityComparer<T>.Default;
        using var a = GetEnumerator();
        using var b = other.GetEnumerator();
        while (a.MoveNext() && b.MoveNext())
            if (a.Current.Key != b.Current.Key || !values.Equals(a.Current.Value, b.Current.Value)) return false;
        return true;
    }

    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as SeqMap<T>);

    /// <inheritdoc />
    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (var (k, v) in this)
        {
            hash.Add(k);
            hash.Add(v);
        }
        return hash.ToHashCode();
    }

    /// <inheritdoc />
    public override string ToString() => $"[{string.Join(", ", this.Select(e => $"({e.Key}: {e.Value})"))}]";
}
