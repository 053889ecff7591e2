using System.Diagnostics;
using EventSourced.Domain;
using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using LanguageExt;
using static LanguageExt.Prelude;

namespace EventSourced.Bench;

/// <summary>#9: the cost of one edit's change set against the size of its conversation.</summary>
public static class EditBench
{
    public sealed record Setup(int Size, Folded<ReadModels> Models, Changes.Keys<long> Keys);

    public static Setup Conversation(int size)
    {
        var events = new List<Event>
        {
            new Event.Connected(new AuthenResult(0, 1L, None, "alice", None, 1L, 1L, 60_000L, None, None, false, None, None), false),
        };
        for (var i = 1; i <= size; i++)
            events.Add(new Event.MessageReceived(new MessageNotice("c1", $"m{i}", i % 2 == 0 ? "alice" : "bob", 1_000 + i, i, 1,
                Json.Object(("content", $"message {i}")), None, None, None, None, None, None)));
        var folded = ReadModels.Reducer.Run(ReadModels.Reducer.Start, events);
        return new Setup(size, folded, Changes.TimelineKeys(folded.State, "c1"));
    }

    /// <summary>Microseconds per edit: the event folded into every read model and the timeline's change set computed.</summary>
    public static double Micros(Setup s, int edits)
    {
        var models = s.Models;
        var keys = s.Keys;
        var updates = 0;
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < edits; i++)
        {
            var e = new Event.MessageEdited(new EditNotice("c1", $"m{1 + (i * 7919) % s.Size}", Json.Object(("content", $"edit {i}"))));
            var (after, facts) = ReadModels.Reducer.StepWithFacts(models, e);
            (keys, var diffs) = Changes.OfTimeline(keys, new ModelChange(models.State, after.State, facts), "c1");
            updates += diffs.Count(d => d is VectorDiff<Timeline.MessageView>.Set);
            models = after;
        }
        var micros = watch.Elapsed.TotalMicroseconds / edits;
        if (updates != edits) throw new InvalidOperationException($"{edits} edits gave {updates} updates");
        return micros;
    }

    /// <summary>Microseconds per edit when the whole view is rebuilt and compared (what the snapshot observable costs).</summary>
    public static double RebuildMicros(Setup s, int edits)
    {
        var models = s.Models;
        var before = Timeline.View(models.State.Timeline, "c1");
        var watch = Stopwatch.StartNew();
        for (var i = 0; i < edits; i++)
        {
            var e = new Event.MessageEdited(new EditNotice("c1", $"m{1 + (i * 7919) % s.Size}", Json.Object(("content", $"edit {i}"))));
            models = ReadModels.Reducer.Step(models, e);
            var after = Timeline.View(models.State.Timeline, "c1");
            GC.KeepAlive(after == before);
            before = after;
        }
        return watch.Elapsed.TotalMicroseconds / edits;
    }
}
