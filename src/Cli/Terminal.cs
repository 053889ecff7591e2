using System.Globalization;
using System.Text;
using Spectre.Console;

namespace EventSourced.Cli;

/// <summary>
/// What recorded text may do on a terminal: nothing. Message text, ids and names can hold escape
/// sequences (colours, cursor moves, a fake prompt, a title change); every console output of the
/// tool shows control characters as visible <c>\xNN</c> / <c>\uNNNN</c> codes instead.
/// </summary>
public static class Terminal
{
    /// <summary>The text with every control character (C0, DEL, C1, bidi overrides, line separators) shown as its code.</summary>
    public static string Plain(string text)
    {
        if (!text.Any(Dangerous)) return text;
        var b = new StringBuilder(text.Length + 8);
        foreach (var ch in text)
            b.Append(!Dangerous(ch) ? ch.ToString() : ch <= '\u00ff' ? $"\\x{(int)ch:X2}" : $"\\u{((int)ch).ToString("X4", CultureInfo.InvariantCulture)}");
        return b.ToString();
    }

    static bool Dangerous(char ch) => char.IsControl(ch) || ch is '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary><see cref="Plain"/>, escaped for Spectre.Console markup.</summary>
    public static string Escape(string text) => Markup.Escape(Plain(text));
}
