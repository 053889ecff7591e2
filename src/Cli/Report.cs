using System.Globalization;
using System.Net;
using System.Text;
using EventSourced.Projections;
using LanguageExt;
using static LanguageExt.Prelude;

namespace EventSourced.Cli;

/// <summary>
/// A self-contained HTML page of the log's figures: nothing to load, readable offline. Every chart has a continuous
/// time axis (empty intervals drawn), labelled ticks and values, its units and the reporting period, and a table
/// of the same numbers beside it for screen readers and for copying. Times are UTC, with their dates.
/// </summary>
public static class Report
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The page. <paramref name="source"/> says where the queue figures come from.</summary>
    public static string Html(Audit.Figures f, ContactCenter.Figures cc, string source, DateTimeOffset generated)
    {
        var b = new StringBuilder();
        b.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>stringee-es report</title><style>")
            .Append("body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:64rem;color:#222;padding:0 1rem}h1{margin-bottom:.2rem}h2{margin-top:2rem}")
            .Append("figure{margin:1.5rem 0}figcaption{font-weight:600;margin-bottom:.4rem}table{border-collapse:collapse;margin:.5rem 0}")
            .Append("caption{text-align:left;font-weight:600;padding:.2rem 0}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}td.n{text-align:right;font-variant-numeric:tabular-nums}")
            .Append("svg text{font:12px system-ui,sans-serif;fill:#333}.s0{fill:#2563eb}.s1{fill:#059669}.s2{fill:#d97706}.grid{stroke:#e5e7eb}")
            .Append("details{margin:.3rem 0 1rem}summary{cursor:pointer}.wide{overflow-x:auto;font-size:13px}.wide th{min-width:4.5rem}</style></head><body>")
            .Append("<h1>Chat report</h1>")
            .Append("<p id=\"period\">Reporting period: ").Append(Period(cc)).Append(". Generated ").Append(Stamp(generated.ToUnixTimeMilliseconds())).Append(" UTC.</p>")
            .Append("<p>Messages come from the recorded event log with every recording merged (").Append(Enc(f.Counts.ToString())).Append("); the queue's figures come from ")
            .Append(Enc(source)).Append(". Durations are in seconds; medians and p90 (nearest rank) are given beside means.</p>");

        b.Append("<table id=\"volumes\"><caption>Volumes</caption><tr><th scope=\"col\">messages</th><th scope=\"col\">senders</th><th scope=\"col\">edit rate</th>")
            .Append("<th scope=\"col\">revoke rate</th><th scope=\"col\">pins</th><th scope=\"col\">live chats</th></tr><tr>")
            .Append(Num(f.Messages)).Append(Num(f.BySender.Count)).Append(Cell(f.EditRate.ToString("P1", Inv))).Append(Cell(f.RevokeRate.ToString("P1", Inv)))
            .Append(Num(f.Pins)).Append(Num(cc.Chats.Count)).Append("</tr></table>");

        b.Append("<h2>Live chats</h2>");
        // Wide tables scroll inside their own box rather than widen the page.
        b.Append("<div class=\"wide\">").Append(SummaryTable("queues", "By queue", "queue", cc.ByQueue.Add(cc.Overall))).Append("</div>");
        b.Append("<div class=\"wide\">").Append(AgentTable(cc.ByAgent)).Append("</div>");

        var axis = cc.Timeline.Map(k => k.Start).ToArray();
        var unit = IntervalName(cc.IntervalMs);
        b.Append(Chart("chats-over-time", $"Live chats queued per {unit}, by outcome", "chats", axis, cc.IntervalMs,
            [("offered", cc.Timeline.Map(k => (double)k.Offered).ToArray()), ("answered", cc.Timeline.Map(k => (double)k.Answered).ToArray()),
             ("abandoned", cc.Timeline.Map(k => (double)k.Abandoned).ToArray())]));
        b.Append(Chart("messages-over-time", $"Chat messages per {unit}", "messages", axis, cc.IntervalMs,
            [("messages", cc.Timeline.Map(k => (double)k.Messages).ToArray())]));

        string[] edges = ["< 0.1 s", "0.1–1 s", "1–10 s", "10–60 s", "1–10 min", "≥ 10 min"];
        long[] limits = [100, 1_000, 10_000, 60_000, 600_000, long.MaxValue];
        var histogram = edges.Select((_, i) => (double)f.FirstResponseMs.Count(ms => ms < limits[i] && (i == 0 || ms >= limits[i - 1]))).ToArray();
        b.Append(Histogram("response-times", "First response time in every conversation (customer's or opener's first message → first reply)",
            "conversations", edges, histogram));
        return b.Append("</body></html>\n").ToString();
    }

    static string Period(ContactCenter.Figures cc) =>
        (from a in cc.From from z in cc.To select $"{Stamp(a)} to {Stamp(z)} UTC (intervals of {IntervalName(cc.IntervalMs)})").IfNone("no data");

    static string Stamp(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd HH:mm:ss", Inv);

    /// <summary>An interval's name: "1 min", "15 min", "1 h", "1 day", "1 week".</summary>
    public static string IntervalName(long ms) => ms switch
    {
        < 3_600_000 => $"{ms / 60_000} min",
        < 86_400_000 => $"{ms / 3_600_000} h",
        604_800_000 => "1 week",
        _ => $"{ms / 86_400_000} day",
    };

    static string Enc(string s) => WebUtility.HtmlEncode(s);
    static string Cell(string v, string? figure = null) => figure is null ? $"<td>{Enc(v)}</td>" : $"<td data-figure=\"{Enc(figure)}\">{Enc(v)}</td>";
    static string Num(double v, string? figure = null, string format = "0.##") =>
        $"<td class=\"n\"{(figure is null ? "" : $" data-figure=\"{Enc(figure)}\"")}>{v.ToString(format, Inv)}</td>";
    static string Seconds(Option<double> ms, string figure) => ms.Match(v => Num(v / 1000.0, figure, "0.0"), () => Cell("–", figure));
    static string Percent(Option<double> share, string figure) => share.Match(v => Num(v * 100, figure, "0.0"), () => Cell("–", figure));

    static string StatCells(ContactCenter.Stat s, string figure) =>
        Seconds(s.Mean, $"{figure}-mean") + Seconds(s.Median, $"{figure}-median") + Seconds(s.P90, $"{figure}-p90");

    static string StatHeads(string name) =>
        $"<th scope=\"col\">{name} mean (s)</th><th scope=\"col\">{name} median (s)</th><th scope=\"col\">{name} p90 (s)</th>";

    static string SummaryTable(string id, string caption, string keyName, Seq<ContactCenter.Summary> rows)
    {
        var levels = rows.HeadOrNone().Map(r => r.ServiceLevels.Map(l => l.ThresholdMs)).IfNone(Seq<long>());
        var b = new StringBuilder($"<table id=\"{id}\"><caption>{Enc(caption)}</caption><tr><th scope=\"col\">{Enc(keyName)}</th><th scope=\"col\">offered</th><th scope=\"col\">answered</th>")
            .Append("<th scope=\"col\">abandoned</th><th scope=\"col\">waiting</th><th scope=\"col\">abandonment (%)</th>");
        foreach (var t in levels) b.Append(Inv, $"<th scope=\"col\">service level {t / 1000.0:0.#} s (%)</th>");
        b.Append(StatHeads("speed of answer")).Append(StatHeads("first response")).Append(StatHeads("handling")).Append("<th scope=\"col\">transfers</th></tr>");
        foreach (var r in rows)
        {
            var k = r.Key;
            b.Append($"<tr data-row=\"{Enc(k)}\"><th scope=\"row\">{Enc(k)}</th>").Append(Num(r.Offered, $"{k}:offered")).Append(Num(r.Answered, $"{k}:answered"))
                .Append(Num(r.Abandoned, $"{k}:abandoned")).Append(Num(r.Waiting, $"{k}:waiting")).Append(Percent(r.AbandonmentRate, $"{k}:abandonment"));
            foreach (var l in r.ServiceLevels) b.Append(Percent(l.Rate, $"{k}:sl-{l.ThresholdMs / 1000}"));
            b.Append(StatCells(r.SpeedOfAnswer, $"{k}:asa")).Append(StatCells(r.FirstResponse, $"{k}:frt")).Append(StatCells(r.Handling, $"{k}:handling"))
                .Append(Num(r.Transfers, $"{k}:transfers")).Append("</tr>");
        }
        return b.Append("</table>").ToString();
    }

    static string AgentTable(Seq<ContactCenter.AgentSummary> rows)
    {
        var b = new StringBuilder("<table id=\"agents\"><caption>By agent</caption><tr><th scope=\"col\">agent</th><th scope=\"col\">accepted</th>")
            .Append("<th scope=\"col\">transfers in</th><th scope=\"col\">transfers out</th>")
            .Append(StatHeads("speed of answer")).Append(StatHeads("first response")).Append(StatHeads("handling")).Append("</tr>");
        if (rows.IsEmpty) b.Append("<tr><td colspan=\"13\">No agent accepted a chat in this period.</td></tr>");
        foreach (var r in rows)
        {
            var k = $"agent {r.Agent}";
            b.Append($"<tr data-row=\"{Enc(k)}\"><th scope=\"row\">{Enc(r.Agent)}</th>").Append(Num(r.Accepted, $"{k}:accepted"))
                .Append(Num(r.TransfersIn, $"{k}:transfers-in")).Append(Num(r.TransfersOut, $"{k}:transfers-out"))
                .Append(StatCells(r.SpeedOfAnswer, $"{k}:asa")).Append(StatCells(r.FirstResponse, $"{k}:frt")).Append(StatCells(r.Handling, $"{k}:handling")).Append("</tr>");
        }
        return b.Append("</table>").ToString();
    }

    const int Width = 900, Height = 260, Left = 56, Right = 12, Top = 16, Bottom = 52;

    /// <summary>The top of a count axis: four whole-number ticks of 1, 2 or 5 times a power of ten, at or above <paramref name="max"/>.</summary>
    public static double NiceTop(double max)
    {
        if (max <= 0) return 4;
        var raw = max / 4;
        var power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * power).First(v => v >= raw - 1e-9);
        return Math.Max(1, step) * 4;
    }

    // The chart's svg element, labelled by its table, with the value axis, its ticks and grid lines, and its unit.
    static void Axes(StringBuilder sb, string id, string yUnit, double top)
    {
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" role=\"img\" aria-labelledby=\"{id}-table\">");
        for (var i = 0; i <= 4; i++)
        {
            var v = top * i / 4;
            var y = Height - Bottom - (Height - Bottom - Top) * i / 4.0;
            sb.Append(Inv, $"<line class=\"grid\" x1=\"{Left}\" y1=\"{y:0.#}\" x2=\"{Width - Right}\" y2=\"{y:0.#}\"/>")
              .Append(Inv, $"<text x=\"{Left - 6}\" y=\"{y + 4:0.#}\" text-anchor=\"end\">{v:0.##}</text>");
        }
        sb.Append(Inv, $"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"#666\"/>")
          .Append(Inv, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#666\"/>")
          .Append(Inv, $"<text transform=\"translate(14 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Enc(yUnit)}</text>");
    }

    // Bars for one or more series over evenly spaced slots; a value label over every bar that is not zero.
    static void Bars(StringBuilder sb, IReadOnlyList<(string Name, double[] Values)> series, int slots, double top, Func<int, string> describe)
    {
        var slot = (Width - Left - Right) / (double)Math.Max(1, slots);
        var bar = Math.Max(1, (slot - 4) / series.Count);
        for (var s = 0; s < series.Count; s++)
            for (var i = 0; i < slots; i++)
            {
                var v = series[s].Values[i];
                var h = (Height - Bottom - Top) * v / top;
                var x = Left + 2 + i * slot + s * bar;
                sb.Append(Inv, $"<rect class=\"s{s}\" x=\"{x:0.##}\" y=\"{Height - Bottom - h:0.##}\" width=\"{Math.Max(0.5, bar - 1):0.##}\" height=\"{h:0.##}\">")
                  .Append(Inv, $"<title>{Enc(describe(i))}: {v:0.##} {Enc(series[s].Name)}</title></rect>");
                if (v > 0 && bar >= 9)
                    sb.Append(Inv, $"<text x=\"{x + (bar - 1) / 2:0.##}\" y=\"{Height - Bottom - h - 3:0.##}\" text-anchor=\"middle\">{v:0.##}</text>");
            }
        if (series.Count > 1)
            for (var s = 0; s < series.Count; s++)
                sb.Append(Inv, $"<rect class=\"s{s}\" x=\"{Left + 10 + s * 110}\" y=\"{Height - 14}\" width=\"10\" height=\"10\"/><text x=\"{Left + 24 + s * 110}\" y=\"{Height - 5}\">{Enc(series[s].Name)}</text>");
    }

    static string Chart(string id, string title, string yUnit, long[] starts, long interval, IReadOnlyList<(string Name, double[] Values)> series)
    {
        var sb = new StringBuilder($"<figure id=\"{id}\"><figcaption>{Enc(title)}</figcaption>");
        if (starts.Length == 0) return sb.Append("<p>No data in this period.</p></figure>").ToString();
        var top = NiceTop(series.Max(s => s.Values.DefaultIfEmpty(0).Max()));
        Axes(sb, id, yUnit, top);
        var slot = (Width - Left - Right) / (double)starts.Length;
        var every = (int)Math.Ceiling(starts.Length / 10.0);
        string? lastDate = null;
        for (var i = 0; i < starts.Length; i += every)
        {
            var t = DateTimeOffset.FromUnixTimeMilliseconds(starts[i]);
            var date = t.ToString("yyyy-MM-dd", Inv);
            var x = Left + i * slot;
            sb.Append(Inv, $"<line x1=\"{x:0.##}\" y1=\"{Height - Bottom}\" x2=\"{x:0.##}\" y2=\"{Height - Bottom + 4}\" stroke=\"#666\"/>")
              .Append(Inv, $"<text class=\"tick\" x=\"{x:0.##}\" y=\"{Height - Bottom + 16}\" text-anchor=\"start\">{t.ToString(interval >= 86_400_000 ? "MM-dd" : "HH:mm", Inv)}</text>");
            if (date != lastDate) sb.Append(Inv, $"<text x=\"{x:0.##}\" y=\"{Height - Bottom + 30}\" text-anchor=\"start\">{date}</text>");
            lastDate = date;
        }
        Bars(sb, series, starts.Length, top, i => Stamp(starts[i]) + " UTC");
        sb.Append("</svg>");
        // The same numbers as a table, for screen readers and copying.
        sb.Append($"<details open><summary>Table</summary><table id=\"{id}-table\"><caption>{Enc(title)} (interval start, UTC)</caption><tr><th scope=\"col\">interval start (UTC)</th>");
        foreach (var s in series) sb.Append($"<th scope=\"col\">{Enc(s.Name)} ({Enc(yUnit)})</th>");
        sb.Append("</tr>");
        for (var i = 0; i < starts.Length; i++)
        {
            sb.Append($"<tr><th scope=\"row\">{Stamp(starts[i])}</th>");
            foreach (var s in series) sb.Append(Num(s.Values[i], $"{id}:{s.Name}:{i}"));
            sb.Append("</tr>");
        }
        return sb.Append("</table></details></figure>").ToString();
    }

    static string Histogram(string id, string title, string yUnit, string[] bins, double[] values)
    {
        var sb = new StringBuilder($"<figure id=\"{id}\"><figcaption>{Enc(title)}</figcaption>");
        var top = NiceTop(values.DefaultIfEmpty(0).Max());
        Axes(sb, id, yUnit, top);
        var slot = (Width - Left - Right) / (double)bins.Length;
        for (var i = 0; i < bins.Length; i++)
            sb.Append(Inv, $"<text class=\"tick\" x=\"{Left + i * slot + slot / 2:0.##}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Enc(bins[i])}</text>");
        sb.Append(Inv, $"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - Bottom + 34}\" text-anchor=\"middle\">first response time</text>");
        Bars(sb, [(yUnit, values)], bins.Length, top, i => bins[i]);
        sb.Append($"</svg><details open><summary>Table</summary><table id=\"{id}-table\"><caption>{Enc(title)}</caption><tr><th scope=\"col\">first response time</th><th scope=\"col\">{Enc(yUnit)}</th></tr>");
        for (var i = 0; i < bins.Length; i++) sb.Append($"<tr><th scope=\"row\">{Enc(bins[i])}</th>").Append(Num(values[i], $"{id}:{i}")).Append("</tr>");
        return sb.Append("</table></details></figure>").ToString();
    }
}
