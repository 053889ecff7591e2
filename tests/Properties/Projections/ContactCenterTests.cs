using EventSourced.Projections;
using static EventSourced.Projections.ContactCenter;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>The live-chat figures: counts that add up, service levels that grow with the threshold, a time axis without gaps.</summary>
public sealed class ContactCenterTests
{
    static readonly string[] Agents = ["agent1", "agent/2", "agent\r\n3"];

    // One chat's facts in time order: queued, then left waiting, abandoned, or answered (maybe transferred, maybe ended).
    static readonly Gen<Seq<QueueFact>> ChatFacts =
        from queue in Gen.Elements("q1", "q/2", "")
        from queuedAt in Gen.Choose(0, 3 * 3_600_000)
        from kind in Gen.Choose(0, 3)
        from wait in Gen.Choose(1, 120_000)
        from agent in Gen.Elements(Agents)
        from k in Gen.Choose(0, 2)
        from transfers in Gen.ListOf(Gen.Elements(Agents), k)
        from ends in Gen.Elements(true, false)
        from handle in Gen.Choose(1, 600_000)
        select Facts("c", queue, queuedAt, kind, wait, agent, transfers.ToArray(), ends, handle);

    static Seq<QueueFact> Facts(string conv, string queue, long at, int kind, long wait, string agent, string[] transfers, bool ends, long handle)
    {
        var facts = new List<QueueFact> { new QueueFact.Queued(conv, queue, "cust-" + conv, at) };
        switch (kind)
        {
            case 1: facts.Add(new QueueFact.Ended(conv, at + wait)); break;
            case 2: facts.Add(new QueueFact.QueueTimedOut(conv, at + wait)); break;
            case 3:
                facts.Add(new QueueFact.Answered(conv, agent, at + wait));
                facts.AddRange(transfers.Select((to, i) => new QueueFact.Transferred(conv, to, at + wait + i + 1)));
                if (ends) facts.Add(new QueueFact.Ended(conv, at + wait + transfers.Length + handle));
                break;
        }
        return facts.ToSeq();
    }

    static readonly Arbitrary<Seq<QueueFact>> Logs =
        (from n in Gen.Choose(0, 8)
         from chats in Gen.ListOf(ChatFacts, n)
         from shuffled in Gen.Shuffle(chats.SelectMany((c, i) => c.Map(f => f with { ConvId = $"c{i}" })).ToArray())
         select shuffled.ToSeq()).ToArbitrary();

    static readonly Transcript.Merged NoMessages = Transcript.Merged.Empty;

    [Property(MaxTest = 300)]
    public Property Every_offered_chat_is_answered_abandoned_or_waiting_overall_and_in_each_queue() => Prop.ForAll(Logs, facts =>
    {
        var f = Of(facts, NoMessages, Options.Default);
        var adds = f.ByQueue.Add(f.Overall).ForAll(s => s.Offered == s.Answered + s.Abandoned + s.Waiting);
        return adds && f.ByQueue.Sum(q => q.Offered) == f.Overall.Offered && f.Overall.Offered == facts.Count(x => x is QueueFact.Queued);
    });

    [Property(MaxTest = 300)]
    public Property The_service_level_grows_with_its_threshold_up_to_the_answered_share() => Prop.ForAll(Logs, facts =>
    {
        var o = Of(facts, NoMessages, new Options(Seq(0L, 5_000L, 20_000L, 60_000L, long.MaxValue / 2))).Overall;
        var rates = o.ServiceLevels.Map(l => l.Rate.IfNone(0)).ToArray();
        var known = o.Offered - o.Waiting;
        var ordered = rates.Zip(rates.Skip(1)).All(p => p.Item1 <= p.Item2);
        return ordered && (known == 0 ? o.ServiceLevels.ForAll(l => l.Rate.IsNone) : Math.Abs(rates[^1] - (double)o.Answered / known) < 1e-12)
            && o.AbandonmentRate.Map(a => a + rates[^1]).ForAll(s => Math.Abs(s - 1) < 1e-12);
    });

    [Property(MaxTest = 300)]
    public Property The_time_axis_covers_the_period_in_equal_intervals_with_every_chat_in_exactly_one() => Prop.ForAll(Logs, facts =>
    {
        var f = Of(facts, NoMessages, Options.Default);
        if (f.Chats.IsEmpty) return f.Timeline.IsEmpty && f.From.IsNone;
        var starts = f.Timeline.Map(b => b.Start).ToArray();
        var even = starts.Zip(starts.Skip(1)).All(p => p.Item2 - p.Item1 == f.IntervalMs);
        var covers = starts[0] <= f.From.IfNone(0) && f.From.IfNone(0) < starts[0] + f.IntervalMs && starts[^1] <= f.To.IfNone(0) && f.To.IfNone(0) < starts[^1] + f.IntervalMs;
        return even && covers && starts.Length <= 60 && f.Timeline.Sum(b => b.Offered) == f.Chats.Count
            && f.Timeline.Sum(b => b.Answered) == f.Overall.Answered && f.Timeline.Sum(b => b.Abandoned) == f.Overall.Abandoned;
    });

    [Property(MaxTest = 200)]
    public Property Transfers_taken_in_equal_transfers_handed_on_and_the_chats_transfers() => Prop.ForAll(Logs, facts =>
    {
        var f = Of(facts, NoMessages, Options.Default);
        return f.ByAgent.Sum(a => a.TransfersIn) == f.Overall.Transfers && f.ByAgent.Sum(a => a.TransfersOut) == f.Overall.Transfers
            && f.ByAgent.Sum(a => a.Accepted) == f.Overall.Answered;
    });

    [Fact]
    public void Median_is_the_middle_or_the_mean_of_the_two_middles_and_p90_is_the_nearest_rank()
    {
        Assert.Equal(new Stat(4, 2.5, 2.5, 4.0), Stat.Of([4, 1, 3, 2]));
        Assert.Equal(new Stat(3, 4.0, 2.0, 9.0), Stat.Of([9, 1, 2]));
        var ten = Stat.Of(Enumerable.Range(1, 10).Select(i => (long)i));
        Assert.Equal((Some(5.5), Some(9.0)), (ten.Median, ten.P90));
        Assert.Equal(new Stat(0, None, None, None), Stat.Of([]));
    }

    [Fact]
    public void A_chat_is_abandoned_only_before_it_is_answered_and_a_transfer_to_the_same_agent_is_no_transfer()
    {
        var chats = Chats([new QueueFact.Queued("c", "q", "cust", 0), new QueueFact.Answered("c", "a1", 10), new QueueFact.QueueTimedOut("c", 20),
            new QueueFact.Transferred("c", "a1", 25), new QueueFact.Transferred("c", "a2", 30), new QueueFact.Ended("c", 50), new QueueFact.Ended("c", 90)], NoMessages);
        var c = Assert.Single(chats);
        Assert.Equal((ContactCenter.Outcome.Answered, Some(10L), Some(40L), 1), (c.Outcome, c.SpeedOfAnswerMs, c.HandlingMs, c.Transfers));
        Assert.Equal(new[] { new Segment("a1", 10, Some(30L)), new Segment("a2", 30, Some(50L)) }, c.Segments.ToArray());
    }

    [Fact]
    public void The_first_response_is_the_first_reply_after_the_customers_first_message()
    {
        // The agent greets first (not a response); the customer writes at 5 s; the agent replies at 9 s.
        var copies = new[] { ("agent1", 2_000L, 1L), ("cust", 5_000L, 2L), ("cust", 6_000L, 3L), ("agent1", 9_000L, 4L) }.Select(m =>
            new Transcript.Copy("agent1", "c", m.Item3, $"m{m.Item3}", m.Item1, 1, m.Item2, Seq1(Json.Object(("content", "x"))), false, false, 0, m.Item3));
        var merged = Transcript.MergeAll(copies.Select(c => new Transcript.Merged(
            Map<OrdStringOrdinal, string, Map<long, LanguageExt.HashSet<Transcript.Copy>>>((c.ConvId, Map((c.Seq, LanguageExt.HashSet<Transcript.Copy>.Empty.Add(c))))))));
        var chat = Assert.Single(Chats([new QueueFact.Queued("c", "q", "cust", 0), new QueueFact.Answered("c", "agent1", 1_000)], merged));
        Assert.Equal(Some(("agent1", 4_000L)), chat.FirstResponse);
    }

    [Fact]
    public void Without_the_servers_record_the_agents_recordings_give_the_queue_and_the_answer()
    {
        var agent = Scenario.Recordings("agent1",
            new Event.ChatRequestReceived(new ChatRequestNotice("c", "cust", "Customer", 1)),
            new Event.ChatRequestAnswered(new AnswerChatRequestResult(0, 3L, "c", true)),
            new Event.ConversationEnded(new ConversationEndedNotice("c", "cust")));
        Assert.Equal(new QueueFact[] { new QueueFact.Queued("c", "(unknown)", "cust", 1_000), new QueueFact.Answered("c", "agent1", 1_001), new QueueFact.Ended("c", 1_002) },
            FromClients(agent).ToArray());
    }

    [Fact]
    public void The_interval_is_the_shortest_giving_at_most_sixty()
    {
        Assert.Equal(60_000, IntervalFor(0, 59 * 60_000));
        Assert.Equal(300_000, IntervalFor(0, 60 * 60_000));
        Assert.Equal(86_400_000, IntervalFor(0, 30L * 86_400_000));
    }
}
