using EventSourced.Adapters.Storage.Erasure;

namespace EventSourced.Tests.Properties.Adapters.Storage;

/// <summary>A sealed value's text taken apart in place: the same tokens, and the same refusals, as splitting the text.</summary>
public sealed class TokenTests
{
    // What Token.Parse did before it read the text in place: the oracle.
    static Option<(long, char, byte[])> Split(string s)
    {
        if (!s.StartsWith(SubjectKeys.TokenPrefix, StringComparison.Ordinal)) return None;
        var parts = s[SubjectKeys.TokenPrefix.Length..].Split(':');
        if (parts.Length != 5 || parts[0] != "v1" || !long.TryParse(parts[1], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            || parts[2].Length != 1) return None;
        var blob = new byte[parts[4].Length];
        return Convert.TryFromBase64String(parts[4], blob, out var n) && n >= 28 ? (id, parts[2][0], blob[..n]) : None;
    }

    static Gen<string> Piece => Gen.OneOf(
        Gen.Elements("v1", "v2", "", "7", "0042", "-1", "99999999999999999999", "o", "s", "os", "abc", "ab==", "a=b", " 1", ":", "é"),
        Gen.Choose(0, 64).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)).Select(Convert.ToBase64String),
        Gen.Choose(0, 64).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)).Select(b => Convert.ToBase64String(b).TrimEnd('=')));

    static Gen<string> Blob(int min) => Gen.Choose(min, 64).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n)).Select(Convert.ToBase64String);

    // Each part is mostly a valid one, so that a single wrong part (or one too many or too few) is what is tried.
    static Gen<string> Part(Gen<string> valid) => Gen.Frequency((3, valid), (1, Piece));

    static Gen<string> Text =>
        from prefix in Gen.Frequency((6, Gen.Constant(SubjectKeys.TokenPrefix)), (1, Gen.Elements("\u0001sealed", "", "sealed:")))
        from version in Part(Gen.Constant("v1"))
        from id in Part(Gen.Choose(0, 100000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        from kind in Part(Gen.Elements("o", "s"))
        from same in Part(Gen.Elements("abcdef", ""))
        from blob in Part(Blob(20))
        from count in Gen.Frequency((6, Gen.Constant(5)), (1, Gen.Elements(4, 6)))
        select prefix + string.Join(':', new[] { version, id, kind, same, blob, "extra" }.Take(count));

    [Property(MaxTest = 2000)]
    public Property Reading_in_place_gives_what_splitting_gave() => Prop.ForAll(Text.ToArbitrary(), s =>
    {
        var expected = Split(s);
        var got = Sealer.Token.Parse(s);
        Assert.Equal(expected.IsSome, got.IsSome);
        foreach (var (id, kind, blob) in expected)
            foreach (var t in got)
            {
                Assert.Equal((id, kind), (t.KeyId, t.Kind));
                Assert.Equal(blob, t.Blob);
            }
    });

    [Fact]
    public void A_real_token_is_read()
    {
        var blob = Enumerable.Range(0, 40).Select(i => (byte)i).ToArray();
        var t = Sealer.Token.Parse($"{SubjectKeys.TokenPrefix}v1:31:o:abcdef:{Convert.ToBase64String(blob)}");
        Assert.True(t.IsSome);
        foreach (var x in t)
        {
            Assert.Equal((31L, 'o'), (x.KeyId, x.Kind));
            Assert.Equal(blob, x.Blob);
        }
    }
}
