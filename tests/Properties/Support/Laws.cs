using EventSourced.Domain.Client;
using EventSourced.Projections;
using FsCheck;
using FsCheck.Fluent;
using LanguageExt;
using static LanguageExt.Prelude;

namespace EventSourced.Tests.Properties.Support;

/// <summary>The laws every reducer obeys, written once and applied to each read model's test file.</summary>
public static class Laws
{
    /// <summary>Evolve is total: any event of the catalogue, from any reachable state, gives a state.</summary>
    public static Property Total<S>(Reducer<S> r) =>
        Prop.ForAll(Generators.Events.ToArbitrary(), events => r.Fold(events) is not null);

    /// <summary>Fold(Fold(s, a), b) == Fold(s, a ++ b): what waits for an answer is carried across the split.</summary>
    public static Property FoldSplits<S>(Reducer<S> r) =>
        Prop.ForAll(Generators.Events.ToArbitrary(), Generators.Events.ToArbitrary(),
            (a, b) => Equals(r.Run(r.Run(r.Start, a), b), r.Run(r.Start, a + b)));

    /// <summary>A server packet delivered twice in a row changes nothing the second time.</summary>
    public static Property DuplicateIsNoOp<S>(Reducer<S> r) =>
        Prop.ForAll(Generators.Events.ToArbitrary(), Generators.AnyEvent.ToArbitrary(), (prefix, e) =>
        {
            var once = r.Run(r.Start, prefix.Add(e));
            return !IsServerPacket(e) || Equals(r.Step(once, e).State, once.State);
        });

    /// <summary>Messages and reports, delivered in any order, give the same state (the server's seq decides order).</summary>
    public static Property SeqDecidesOrder<S>(Reducer<S> r) =>
        Prop.ForAll(Generators.SeqOrdered.ToArbitrary(), events =>
            Prop.ForAll(Gen.Shuffle(events.ToArray()).ToArbitrary(), shuffled => Equals(r.Fold(events), r.Fold(toSeq(shuffled)))));

    /// <summary>Events recorded from what the server sent (as opposed to the client's own commands and facts).</summary>
    public static bool IsServerPacket(Event e) => e is not (
        Event.ConnectRequested or Event.DisconnectRequested or Event.TransportOpened or Event.Disconnected or Event.AuthenSent
        or Event.PingAnswered or Event.LocalDataCleared or Event.RequestTimedOut or Event.ChatProfileRequested or Event.LiveChatTokenRequested
        or Event.TicketCreateRequested or Event.GapDetected or Event.GapFilled or Event.GapUnrecoverable) && Recording.Request(e).IsNone;
}
