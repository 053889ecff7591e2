using System.Globalization;
using System.Net;
using System.Text;
using EventSourced.Projections;

namespace EventSourced.Cli;

/// <summary>A self-contained HTML page with SVG charts of the log's figures: nothing to load, readable offline.</summary>
public static class Report
{
    static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>The page.</summary>
    public static string Html(Audit.Figures f, DateTimeOffset generated)
    {
        var b = new StringBuilder();
        b.Append("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>stringee-es report</title><style>")
            .Append("body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:60rem;color:#222}h1{margin-bottom:.2rem}figure{margin:1.5rem 0}")
            .Append("figcaption{font-weight:600;margin-bottom:.4rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .6rem;text-align:left}")
            .Append("svg text{font:12px system-ui,sans-serif;fill:#444}.bar{fill:#3b82f6}.bar2{fill:#10b981}.bar3{fill:#f59e0b}</style></head><body>")
            .Append("<h1>Chat report</h1><p>Generated ").Append(generated.ToString("u", Inv)).Append(" from the recorded event log (every recording merged): ").Append(WebUtility.HtmlEncode(f.Counts.ToString())).Append(".</p>");
        b.Append("<table id=\"volumes\"><tr><th>messages</th><th>senders</th><th>edit rate</th><th>revoke rate</th><th>pins</th><th>live chats</th></tr><tr>")
            .Append(Td(f.Messages)).Append(Td(f.BySender.Count)).Append(Td(f.EditRate.ToString("P1", Inv))).Append(Td(f.RevokeRate.ToString("P1", Inv)))
            .Append(Td(f.Pins)).Append(Td(f.LiveChats.Count)).Append("</tr></table>");

        var perMinute = f.MessageTimes.GroupBy(t => t / 60_000).OrderBy(g => g.Key)
            .Select(g => (Label: DateTimeOffset.FromUnixTimeMilliseconds(g.Key * 60_000).ToString("HH:mm", Inv), Value: (double)g.Count())).ToList();
        b.Append(Chart("messages-over-time", "Messages per minute", perMinute, "bar", "messages"));

        string[] edges = ["<100 ms", "<1 s", "<10 s", "<1 min", "<10 min", "later"];
        long[] limits = [100, 1_000, 10_000, 60_000, 600_000, long.MaxValue];
        var histogram = edges.Select((label, i) => (Label: label, Value: (double)f.FirstResponseMs.Count(ms => ms < limits[i] && (i == 0 || ms >= limits[i - 1])))).ToList();
        b.Append(Chart("response-times", "First response time (conversations)", histogram, "bar2", "conversations"));

        var waits = f.LiveChats.Choose(c => c.WaitMs.Map(w => (Label: c.ConvId, Value: w / 1000.0))).ToList();
        b.Append(Chart("queue-waiting", "Live-chat waiting time in the queue (seconds)", waits, "bar3", "seconds"));
        return b.Append("</body></html>\n").ToString();
    }

    static string Td(object v) => $"<td>{WebUtility.HtmlEncode(Convert.ToString(v, Inv))}</td>";

    static string Chart(string id, string title, IReadOnlyList<(string Label, double Value)> data, string css, string unit)
    {
        const int width = 720, height = 220, left = 48, bottom = 36, top = 12;
        var sb = new StringBuilder($"<figure id=\"{id}\"><figcaption>{WebUtility.HtmlEncode(title)}</figcaption>");
        if (data.Count == 0) return sb.Append("<p>No data.</p></figure>").ToString();
        var max = Math.Max(1, data.Max(d => d.Value));
        var slot = (width - left - 8) / (double)data.Count;
        sb.Append(Inv, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{WebUtility.HtmlEncode(title)}\">");
        sb.Append(Inv, $"<line x1=\"{left}\" y1=\"{top}\" x2=\"{left}\" y2=\"{height - bottom}\" stroke=\"#888\"/><line x1=\"{left}\" y1=\"{height - bottom}\" x2=\"{width - 4}\" y2=\"{height - bottom}\" stroke=\"#888\"/>");
        sb.Append(Inv, $"<text x=\"{left - 6}\" y=\"{top + 10}\" text-anchor=\"end\">{max:0.#}</text><text x=\"{left - 6}\" y=\"{height - bottom}\" text-anchor=\"end\">0</text>");
        for (var i = 0; i < data.Count; i++)
        {
            var (label, value) = data[i];
            var h = (height - bottom - top) * value / max;
            var x = left + 4 + i * slot;
            sb.Append(Inv, $"<rect class=\"{css}\" x=\"{x:0.#}\" y=\"{height - bottom - h:0.#}\" width=\"{Math.Max(1, slot - 6):0.#}\" height=\"{h:0.#}\"><title>{WebUtility.HtmlEncode(label)}: {value:0.##} {unit}</title></rect>");
            if (data.Count <= 24) sb.Append(Inv, $"<text x=\"{x + (slot - 6) / 2:0.#}\" y=\"{height - bottom + 16}\" text-anchor=\"middle\">{WebUtility.HtmlEncode(label)}</text>");
        }
        return sb.Append("</svg></figure>").ToString();
    }
}
