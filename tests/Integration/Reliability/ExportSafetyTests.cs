using EventSourced.Cli;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>What recorded text can do to a spreadsheet or a terminal: nothing.</summary>
public sealed class ExportSafetyTests
{
    [Theory]
    [InlineData("=HYPERLINK(\"http://evil.example\",\"x\")")]
    [InlineData("+1+cmd|' /C calc'!A0")]
    [InlineData("-2+3")]
    [InlineData("@SUM(A1)")]
    [InlineData("\t=1")]
    [InlineData("\r=1")]
    public void A_cell_a_spreadsheet_would_run_as_a_formula_starts_with_a_quote(string text)
    {
        var cell = Tools.Csv(text);
        Assert.StartsWith("\"'", cell, StringComparison.Ordinal);
        Assert.Equal("'" + text, cell[1..^1].Replace("\"\"", "\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Plain_text_is_left_as_it_is() => Assert.Equal("hello, world".Length + 2, Tools.Csv("hello, world").Length);

    [Fact]
    public void Escape_sequences_reach_the_terminal_as_visible_codes()
    {
        var shown = Terminal.Plain("ok\u001b[2J\u001b]0;pwned\u0007\u202eevil");
        Assert.DoesNotContain(shown, ch => char.IsControl(ch) || ch == '\u202e');
        Assert.Equal("ok\\x1B[2J\\x1B]0;pwned\\x07\\u202Eevil", shown);
    }
}
