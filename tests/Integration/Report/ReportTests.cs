using System.Globalization;
using System.Text.RegularExpressions;
using EventSourced.Domain.Server;
using EventSourced.Projections;
using static EventSourced.Domain.Server.ServerEvent;

namespace EventSourced.Tests.Integration.Report;

/// <summary>
/// The analyst report, rendered in headless Chromium, against a scenario whose figures were worked out by hand
/// (in the comments below, seconds after 2026-12-02 10:00:00 UTC).
/// </summary>
public sealed partial class ReportTests
{
    static readonly long T0 = new DateTimeOffset(2026, 12, 2, 10, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
    static long At(double seconds) => T0 + (long)(seconds * 1000);

    // Queue "sales":
    //   A: queued 0, agent1 accepts 12, transferred to agent2 at 100, ended 160. Messages: cust-a 5, agent1 20, cust-a 30, agent2 110.
    //   B: queued 30, agent2 accepts 75, ended 200. Messages: cust-b 40, agent2 80.
    //   C: queued 60, the customer leaves at 90 (abandoned).
    // Queue "support":
    //   D: queued 400, the queue times out at 460 (abandoned).
    //   E: queued 420, agent1 accepts 425, still open.
    //   F: queued 700, still waiting.
    static readonly ServerEvent[] Server =
    [
        new ChatQueued("A", "sales", "cust-a", "Ann", At(0)), new ChatOffered("A", "agent1", At(1)), new ChatAnswered("A", "agent1", true, At(12)),
        new ChatQueued("B", "sales", "cust-b", "Ben", At(30)), new ChatOffered("B", "agent1", At(31)), new ChatAnswered("B", "agent1", false, At(33)),
        new ChatQueued("C", "sales", "cust-c", "Cy", At(60)), new ChatAnswered("B", "agent2", true, At(75)), new ChatEnded("C", "cust-c", At(90)),
        new ChatTransferRequested("A", "agent1", "agent2", At(95)), new ChatTransferAnswered("A", "agent2", true, At(100)),
        new ChatEnded("A", "agent2", At(160)), new ChatEnded("B", "cust-b", At(200)),
        new ChatQueued("D", "support", "cust-d", "Di", At(400)), new ChatQueued("E", "support", "cust-e", "Ed", At(420)),
        new ChatAnswered("E", "agent1", true, At(425)), new ChatQueueTimedOut("D", At(460)),
        new ChatQueued("F", "support", "cust-f", "Flo", At(700)),
    ];

    static readonly (string Conv, long Seq, string Sender, double At)[] Messages =
    [
        ("A", 1, "cust-a", 5), ("A", 2, "agent1", 20), ("A", 3, "cust-a", 30), ("A", 4, "agent2", 110), ("B", 1, "cust-b", 40), ("B", 2, "agent2", 80),
    ];

    static Seq<Recorded> ClientLog() => Messages.Select((m, i) => new Recorded(
        new Envelope(Recording.StreamOf("agent1", new Event.MessageReceived(Notice(m))), i + 1, i + 1, At(m.At) + 50, None, Some(m.Seq), Origin.Received, None, None, Raw.None),
        new Event.MessageReceived(Notice(m)))).ToSeq();

    static MessageNotice Notice((string Conv, long Seq, string Sender, double At) m) =>
        new(m.Conv, $"{m.Conv}-{m.Seq}", m.Sender, At(m.At), m.Seq, 1, Json.Object(("content", $"message {m.Seq}")), None, None, None, None, None, None);

    [GeneratedRegex("data-figure=\"([^\"]+)\">([^<]*)<")]
    private static partial Regex FigureCell();

    [Fact]
    public async Task The_rendered_report_gives_the_figures_worked_out_by_hand()
    {
        var server = Server.Select((e, i) => new ServerRecorded(new Envelope("server", i + 1, i + 1, 0, None, None, Origin.Received, None, None, Raw.None), e));
        var client = ClientLog();
        var merged = Transcript.OfLog(client);
        var figures = ContactCenter.Of(ContactCenter.FromServer(server), merged, ContactCenter.Options.Default);
        var page = Cli.Report.Html(Audit.Of(client, merged), figures, "the hand-made scenario", DateTimeOffset.FromUnixTimeMilliseconds(At(3600)));

        var dir = Directory.CreateTempSubdirectory("stringee-es-report-").FullName;
        try
        {
            var html = Path.Combine(dir, "report.html");
            await File.WriteAllTextAsync(html, page);
            var dom = await Chromium.RenderAsync(html);
            var cells = FigureCell().Matches(dom).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            void Is(string expected, string figure) => Assert.True(cells.TryGetValue(figure, out var v) && v == expected,
                $"{figure}: expected {expected}, the page says {(cells.TryGetValue(figure, out var w) ? w : "nothing")}");

            // Overall: 6 offered; A, B, E answered; C, D abandoned; F waiting, so 5 chats have an outcome.
            Is("6", "all:offered"); Is("3", "all:answered"); Is("2", "all:abandoned"); Is("1", "all:waiting");
            Is("40.0", "all:abandonment");                      // 2 / 5
            Is("40.0", "all:sl-20"); Is("60.0", "all:sl-60");   // speeds 12, 45, 5: two within 20 s, three within 60 s, of 5
            Is("20.7", "all:asa-mean"); Is("12.0", "all:asa-median"); Is("45.0", "all:asa-p90");
            Is("27.5", "all:frt-mean"); Is("27.5", "all:frt-median"); Is("40.0", "all:frt-p90");                  // A 20-5 = 15, B 80-40 = 40
            Is("136.5", "all:handling-mean"); Is("136.5", "all:handling-median"); Is("148.0", "all:handling-p90"); // A 160-12, B 200-75
            Is("1", "all:transfers");

            Is("3", "sales:offered"); Is("33.3", "sales:abandonment"); Is("33.3", "sales:sl-20"); Is("66.7", "sales:sl-60");
            Is("28.5", "sales:asa-median");
            Is("3", "support:offered"); Is("1", "support:waiting"); Is("50.0", "support:abandonment"); Is("50.0", "support:sl-20");
            Is("5.0", "support:asa-mean"); Is("–", "support:frt-mean"); Is("–", "support:handling-mean"); Is("0", "support:transfers");

            // agent1 accepted A and E and handed A on after 88 s; agent2 took B and the transfer of A (60 s) and handled B for 125 s.
            Is("2", "agent agent1:accepted"); Is("0", "agent agent1:transfers-in"); Is("1", "agent agent1:transfers-out");
            Is("8.5", "agent agent1:asa-mean"); Is("15.0", "agent agent1:frt-mean"); Is("88.0", "agent agent1:handling-mean");
            Is("1", "agent agent2:accepted"); Is("1", "agent agent2:transfers-in"); Is("40.0", "agent agent2:frt-median");
            Is("92.5", "agent agent2:handling-median"); Is("125.0", "agent agent2:handling-p90");

            // The time axis: 10:00 to 10:11 in one-minute intervals, the empty ones drawn too (D at 6:40 and E at 7:00 fall in two).
            Assert.Contains("Reporting period: 2026-12-02 10:00:00 to 2026-12-02 10:11:40 UTC (intervals of 1 min)", dom, StringComparison.Ordinal);
            int[] offered = [2, 1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 1], answered = [2, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0], messages = [4, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
            for (var i = 0; i < 12; i++)
            {
                Is(offered[i].ToString(CultureInfo.InvariantCulture), $"chats-over-time:offered:{i}");
                Is(answered[i].ToString(CultureInfo.InvariantCulture), $"chats-over-time:answered:{i}");
                Is(messages[i].ToString(CultureInfo.InvariantCulture), $"messages-over-time:messages:{i}");
            }
            Assert.False(cells.ContainsKey("chats-over-time:offered:12"));
            Assert.Contains("<th scope=\"row\">2026-12-02 10:06:00</th>", dom, StringComparison.Ordinal);
            Assert.Contains(">2026-12-02</text>", dom, StringComparison.Ordinal); // the date under the first tick
            Is("2", "response-times:3");                                            // both first responses fall in 10–60 s
            Assert.True(File.Exists(Path.Combine(dir, "report.png")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
