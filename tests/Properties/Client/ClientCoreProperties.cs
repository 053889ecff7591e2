using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Tests.Properties.Client;

/// <summary>
/// The client core (correlation, read models, decider, reactor) under any interleaving of user commands, answers,
/// refusals, timeouts, late and duplicated answers, drops and reconnects, on a simulated server and a virtual clock.
/// </summary>
public sealed class ClientCoreProperties
{
    static readonly Gen<Act> AnyAct = Gen.Frequency(
        (6, Gen.Constant<Act>(new Act.Send(false))),
        (2, Gen.Constant<Act>(new Act.Send(true))),
        (2, Gen.Zip(Gen.Choose(0, 20), Gen.Elements(true, false)).Select(t => (Act)new Act.Pin(t.Item1, t.Item2))),
        (2, Gen.Choose(0, 20).Select(i => (Act)new Act.Edit(i))),
        (2, Gen.Constant<Act>(new Act.BobSends())),
        (1, Gen.Choose(0, 20).Select(i => (Act)new Act.BobRevokes(i))),
        (10, Gen.Constant<Act>(new Act.Deliver())),
        (2, Gen.Constant<Act>(new Act.Lose())),
        (2, Gen.Constant<Act>(new Act.Duplicate())),
        (2, Gen.Constant<Act>(new Act.Swap())),
        (3, Gen.Elements(100, 600, 1_500).Select(ms => (Act)new Act.Wait(ms))),
        (1, Gen.Constant<Act>(new Act.Drop())),
        (2, Gen.Constant<Act>(new Act.Reconnect())));

    static readonly Arbitrary<Act[]> Runs = Gen.ArrayOf(AnyAct).Select(a => a.Take(60).ToArray()).ToArbitrary();

    static Simulation Simulate(Act[] acts)
    {
        var sim = new Simulation();
        foreach (var a in acts) sim.Run(a);
        sim.Settle();
        return sim;
    }

    static Property Holds(Act[] acts, Func<Simulation, bool> law, Func<Simulation, string> why) =>
        Prop.ForAll(Runs, run =>
        {
            var sim = Simulate(run);
            return law(sim).Label(string.Join(", ", run.Select(a => a.ToString().Replace("Act+", "", StringComparison.Ordinal))) + " | " + why(sim) + " | log: " + sim.Describe());
        });

    // A fold steps without building a sequence of facts per event; it must still see every fact correlation gives (the
    // commands a timeout or a drop abandons included), in order, with the requests left waiting.
    [Property(MaxTest = 200)]
    public Property A_fold_sees_every_fact_correlation_gives_in_order() => Holds([], sim =>
        {
            var seen = new Reducer<Seq<Fact>>("facts", Seq<Fact>(), (s, f) => s.Add(f));
            var folded = seen.Run(seen.Start, sim.Log);
            var (requests, facts) = Correlation.Run(Correlation.State.Empty, sim.Log);
            return folded.State == facts && folded.Requests == requests;
        },
        sim =>
        {
            var seen = new Reducer<Seq<Fact>>("facts", Seq<Fact>(), (s, f) => s.Add(f));
            return $"fold saw {seen.Fold(sim.Log).Count} facts, correlation gave {Correlation.Run(Correlation.State.Empty, sim.Log).Facts.Count}";
        });

    [Property(MaxTest = 200)]
    public Property Every_caller_is_told_an_outcome() => Holds([], sim =>
            sim.Sends.All(s => sim.SendCompletions.ContainsKey(s.LocalId)) && sim.Calls.All(id => sim.Completions.ContainsKey(id)),
        sim => $"sends without an outcome: {string.Join(",", sim.Sends.Where(s => !sim.SendCompletions.ContainsKey(s.LocalId)).Select(s => s.LocalId))}");

    [Property(MaxTest = 200)]
    public Property A_refusal_fails_only_its_own_caller_and_takes_its_message_out_of_the_outbox() => Holds([], sim =>
            sim.Sends.All(s => sim.SendCompletions[s.LocalId][0] is not Fact.Rejected || s.Refused)
            && sim.Sends.Where(s => s.Refused).All(s => sim.SendCompletions[s.LocalId][0] is Fact.Rejected or Fact.Abandoned { Reason: Abandonment.TimedOut })
            && Timeline.Outbox(sim.Core.Models.Timeline).IsEmpty,
        sim => $"first outcomes: {string.Join(",", sim.Sends.Select(s => $"{s.LocalId}:{(sim.SendCompletions.TryGetValue(s.LocalId, out var f) ? f[0].GetType().Name : "none")}"))}; outbox {Timeline.Outbox(sim.Core.Models.Timeline).Count}");

    [Property(MaxTest = 200)]
    public Property Nothing_the_server_confirmed_is_sent_again() => Holds([], sim =>
        {
            var confirmedAt = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < sim.Log.Count; i++)
                if (sim.Log[i] is MessageSent m) foreach (var l in m.Result.LocalDbId) confirmedAt.TryAdd(l, i);
            return sim.Log.Select((e, i) => (e, i)).All(x => x.e is not MessageSendRequested r
                || !r.Request.LocalDbId.Exists(l => confirmedAt.TryGetValue(l, out var at) && at < x.i));
        },
        _ => "a message was sent again after the server confirmed it");

    [Property(MaxTest = 200)]
    public Property Every_message_the_server_accepts_lands_once_and_what_waited_offline_goes_out_in_order() => Holds([], sim =>
        {
            var accepted = sim.Sends.Where(s => !s.Refused).ToList();
            var once = accepted.All(s => sim.ServerMessages.Count(m => m.LocalId == s.LocalId) == 1);
            var inOrder = accepted.Where(s => s.Window > 0).GroupBy(s => s.Window).All(g =>
            {
                var seqs = g.Select(s => sim.ServerMessages.FindIndex(m => m.LocalId == s.LocalId)).ToList();
                return seqs.SequenceEqual(seqs.Order());
            });
            var timeline = accepted.All(s => Timeline.View(sim.Core.Models.Timeline, "c1").Count(m => Chat.TextOf(m.Content) == s.Text || m.Edited) >= 1);
            return once && inOrder && timeline;
        },
        sim => $"server holds {string.Join(",", sim.ServerMessages.Select(m => m.LocalId))}");

    // The simulated server holds every message, so a gap the catch-up detects is filled, unless the connection
    // or the request went first; a GapFilled is only recorded when the log really holds the range.
    [Property(MaxTest = 200)]
    public Property Every_detected_gap_is_filled_or_its_catch_up_was_cut_short() => Holds([], sim =>
        {
            for (var i = 0; i < sim.Log.Count; i++)
            {
                if (sim.Log[i] is GapUnrecoverable) return false;
                if (sim.Log[i] is GapFilled f)
                {
                    var held = Coverage.Of(Coverage.Reducer.Fold(sim.Log.Take(i)), f.ConvId);
                    if (!Enumerable.Range((int)f.From, (int)(f.To - f.From + 1)).All(q => held.Holds(q))) return false;
                }
                if (sim.Log[i] is not GapDetected g) continue;
                var after = sim.Log.Skip(i + 1).TakeWhile(e => e is not (Disconnected or RequestTimedOut)).ToList();
                var cutShort = after.Count < sim.Log.Count - i - 1;
                if (!cutShort && !after.Any(e => e is GapFilled x && x.ConvId == g.ConvId && x.From == g.From && x.To == g.To)) return false;
            }
            return true;
        },
        _ => "a detected gap was not filled, or was said to be filled while seqs were missing");

    [Property(MaxTest = 200)]
    public Property Every_read_model_agrees_about_pins_edits_and_revokes() => Holds([], Agree, Disagreement);

    static string Disagreement(Simulation sim)
    {
        var m = sim.Core.Models;
        var chat = sim.Core.Decision.Chat;
        var t = m.Timeline.Conversations.Find("c1");
        var msgs = t.Map(c => c.BySeq.Values.ToSeq()).IfNone(Seq<Timeline.Message>());
        return $"pins: timeline {t.Bind(c => c.Pinned)}, pins {m.Pins.ByConv.Find("c1").Bind(p => p.Current)}, list {m.Conversations.ById.Find("c1").Bind(c => c.PinnedMsgId)}, chat {chat.Conversations.Find("c1").Bind(c => c.PinnedMsgId)}; "
            + string.Join("; ", msgs.Map(x => $"{x.Id}: '{Chat.TextOf(x.Content)}' chat '{chat.Messages.Find(x.Id).Map(d => d.Text).IfNone("-")}' history '{EditHistory.Of(m.Edits, "c1", x.Id).Map(h => Chat.TextOf(h.Edits.Last)).IfNone("-")}' revoked {x.Revoked}/{Revokes.Of(m.Revokes, "c1", x.Id).IsSome}/{chat.Messages.Find(x.Id).Map(d => d.Revoked)}"));
    }

    /// <summary>Timeline, conversation list, pins, edit history, revokes and the decider's own facts say the same.</summary>
    public static bool Agree(Simulation sim)
    {
        var m = sim.Core.Models;
        var chat = sim.Core.Decision.Chat;
        var timeline = m.Timeline.Conversations.Find("c1");
        var pinned = timeline.Bind(c => c.Pinned);
        var pinsAgree = pinned == m.Pins.ByConv.Find("c1").Bind(p => p.Current)
            && pinned == m.Conversations.ById.Find("c1").Bind(c => c.PinnedMsgId)
            && pinned == chat.Conversations.Find("c1").Bind(c => c.PinnedMsgId);
        var messages = timeline.Map(c => c.BySeq.Values.ToSeq()).IfNone(Seq<Timeline.Message>());
        var editsAgree = messages.ForAll(x => chat.Messages.Find(x.Id).Map(d => d.Text == Chat.TextOf(x.Content)).IfNone(true)
            && EditHistory.Of(m.Edits, "c1", x.Id).Map(h => h.Edits.Last == x.Content).IfNone(!x.Edited));
        var revokesAgree = messages.ForAll(x => x.Revoked == Revokes.Of(m.Revokes, "c1", x.Id).IsSome && chat.Messages.Find(x.Id).Map(d => d.Revoked == x.Revoked).IfNone(true));
        return pinsAgree && editsAgree && revokesAgree;
    }
}
