using System.Collections.Immutable;

namespace EventSourced.Projections;

/// <summary>
/// One change to a list view, in the spirit of matrix-rust-sdk's <c>VectorDiff</c>: applied in order to the
/// list before it, a batch of them gives the list after it.
/// </summary>
public abstract record VectorDiff<T>
{
    private VectorDiff() { }
    /// <summary>A new item at <c>Index</c>; the ones from there on move one down.</summary>
    public sealed record Insert(int Index, T Value) : VectorDiff<T>;
    /// <summary>The item at <c>Index</c> is now <c>Value</c>.</summary>
    public sealed record Set(int Index, T Value) : VectorDiff<T>;
    /// <summary>The item at <c>Index</c> is gone; the ones after it move one up.</summary>
    public sealed record Remove(int Index) : VectorDiff<T>;
    /// <summary>The whole list is now <c>Values</c> (the first batch, and after a change too wide to list item by item).</summary>
    public sealed record Reset(Seq<T> Values) : VectorDiff<T>;
}

/// <summary>What one recorded event did to the read models: the state before, the state after and the facts between.</summary>
public sealed record ModelChange(ReadModels Before, ReadModels After, Seq<Fact> Facts);

/// <summary>
/// Change sets of the client's list views (a conversation's timeline, the conversation list, a conversation's pins
/// and edit history), computed from each event's facts: the facts name the few items an event can touch, and each
/// view keeps its keys in an order-statistics tree, so an item's index costs O(log n) and one edit in a
/// conversation of any size is one <see cref="VectorDiff{T}.Set"/>. Whole views are never compared.
/// </summary>
public static class Changes
{
    /// <summary>Applies a batch of changes to a list.</summary>
    public static ImmutableList<T> Apply<T>(ImmutableList<T> list, IEnumerable<VectorDiff<T>> diffs)
    {
        foreach (var d in diffs)
            list = d switch
            {
                VectorDiff<T>.Insert i => list.Insert(i.Index, i.Value),
                VectorDiff<T>.Set x => list.SetItem(x.Index, x.Value),
                VectorDiff<T>.Remove r => list.RemoveAt(r.Index),
                VectorDiff<T>.Reset r => ImmutableList.CreateRange(r.Values),
                _ => list,
            };
        return list;
    }

    /// <summary>A view's keys in view order; the index of a key is its rank.</summary>
    public sealed class Keys<K>(ImmutableSortedSet<K> keys)
    {
        /// <summary>The keys.</summary>
        public ImmutableSortedSet<K> Set => keys;

        /// <summary>The keys of a view.</summary>
        public static Keys<K> Of(IEnumerable<K> items, IComparer<K> order) => new(ImmutableSortedSet.CreateRange(order, items));

        /// <summary>
        /// One item moved from <paramref name="before"/> to <paramref name="after"/> (absent, or its key and value):
        /// the diffs that say so, and the keys after.
        /// </summary>
        public Keys<K> Move<T>(Option<(K Key, T Value)> before, Option<(K Key, T Value)> after, List<VectorDiff<T>> diffs)
        {
            if (before.IsNone && after.IsNone) return this;
            if (before.IsNone)
            {
                var (k, v) = ((K, T))after;
                var added = keys.Add(k);
                diffs.Add(new VectorDiff<T>.Insert(added.IndexOf(k), v));
                return new Keys<K>(added);
            }
            var (k0, v0) = ((K, T))before;
            if (after.IsNone)
            {
                diffs.Add(new VectorDiff<T>.Remove(keys.IndexOf(k0)));
                return new Keys<K>(keys.Remove(k0));
            }
            var (k1, v1) = ((K, T))after;
            if (keys.KeyComparer.Compare(k0, k1) == 0)
            {
                if (!EqualityComparer<T>.Default.Equals(v0, v1)) diffs.Add(new VectorDiff<T>.Set(keys.IndexOf(k1), v1));
                return this;
            }
            diffs.Add(new VectorDiff<T>.Remove(keys.IndexOf(k0)));
            var moved = keys.Remove(k0).Add(k1);
            diffs.Add(new VectorDiff<T>.Insert(moved.IndexOf(k1), v1));
            return new Keys<K>(moved);
        }
    }

    // ---------------------------------------------------------------- one conversation's timeline

    /// <summary>The timeline view's keys: seqs in order.</summary>
    public static Keys<long> TimelineKeys(ReadModels m, string convId) =>
        Keys<long>.Of(Timeline.View(m.Timeline, convId).Map(v => v.Seq), Comparer<long>.Default);

    /// <summary>The changes one event made to a conversation's timeline (<see cref="Timeline.View"/>).</summary>
    public static (Keys<long> Keys, Seq<VectorDiff<Timeline.MessageView>> Diffs) OfTimeline(Keys<long> keys, ModelChange c, string convId)
    {
        var seqs = TimelineTouched(c, convId);
        if (seqs.IsNone)
        {
            var all = Projections.Timeline.View(c.After.Timeline, convId);
            return (Keys<long>.Of(all.Map(v => v.Seq), Comparer<long>.Default), Seq1<VectorDiff<Timeline.MessageView>>(new VectorDiff<Timeline.MessageView>.Reset(all)));
        }
        var diffs = new List<VectorDiff<Timeline.MessageView>>();
        foreach (var seq in ((Seq<long>)seqs).Distinct())
            keys = keys.Move(
                Projections.Timeline.ViewAt(c.Before.Timeline, convId, seq).Map(v => (v.Seq, v)),
                Projections.Timeline.ViewAt(c.After.Timeline, convId, seq).Map(v => (v.Seq, v)), diffs);
        return (keys, toSeq(diffs));
    }

    // The seqs an event may have changed in one conversation's view; None when it changed the view as a whole.
    static Option<Seq<long>> TimelineTouched(ModelChange c, string convId)
    {
        var seqs = Seq<long>();
        foreach (var f in c.Facts)
        {
            var touched = f switch
            {
                Fact.Confirmed(MessageSendRequested, MessageSent s, _) => s.Result.ConvId == convId ? Some(Seq1(s.Result.Seq)) : Some(Seq<long>()),
                Fact.Confirmed(MessageEditRequested ed, _, _) => Some(Ids(c, convId, ed.Request.ConvId, Seq1(ed.Request.MsgId))),
                Fact.Confirmed(MessagePinRequested p, _, _) => Some(p.Request.ConvId == convId ? PinSeqs(c, convId) : Seq<long>()),
                Fact.Confirmed(HistoryClearRequested h, _, _) => h.Request.ConvId == convId ? None : Some(Seq<long>()),
                Fact.Of o => Touched(c, o.Event, convId),
                _ => Some(Seq<long>()),
            };
            if (touched.IsNone) return None;
            seqs += (Seq<long>)touched;
        }
        return seqs;
    }

    static Option<Seq<long>> Touched(ModelChange c, Event e, string convId) => e switch
    {
        MessageReceived m => Some(m.Packet.ConvId == convId ? Seq1(m.Packet.Seq) : Seq<long>()),
        MessageSent m => Some(m.Result.ConvId == convId ? Seq1(m.Result.Seq) : Seq<long>()),
        // A reload may name a message the client holds at another seq (its id decides): both places are looked at.
        MessagesLoaded l => Some(Loaded(c, convId, l.Result.Msgs)),
        MessagesByIdsLoaded l => Some(Loaded(c, convId, l.Result.ListMsgs)),
        MessageEdited x => Some(Ids(c, convId, x.Packet.ConvId, Seq1(x.Packet.MsgId))),
        MessagesRevoked x => Some(Ids(c, convId, x.Packet.ConvId, x.Packet.MsgIds)),
        MessageRevokeAnswered x => Some(Ids(c, convId, x.Result.ConvId, x.Result.MsgIds)),
        MessagesDeleted x => Some(Ids(c, convId, x.Result.ConvId, x.Result.MessageIds)),
        MessagePinChanged x => Some(x.Packet.ConvId == convId ? PinSeqs(c, convId) : Seq<long>()),
        ConversationsLoaded or ConversationWithUserLoaded => Some(PinSeqs(c, convId)),
        MessageReportReceived r => Some(r.Packet.ConvId == convId ? Reported(c, convId, r.Packet.From, r.Packet.LastMsgSeq) : Seq<long>()),
        ConversationReadMarked r => Some(r.Request.ConvId == convId ? Mine(c, convId, r.Request.LastMsgSeq) : Seq<long>()),
        MessageDeliveryReported r => Some(r.Request.ConvId == convId ? Mine(c, convId, r.Request.LastMsgSeq) : Seq<long>()),
        ConversationCreated x => x.Result.Conversation.ConvId == convId ? None : Some(Seq<long>()),
        ConversationDeleted x => x.Result.ConvId == convId ? None : Some(Seq<long>()),
        LocalDataCleared => None,
        _ => Some(Seq<long>()),
    };

    static Seq<long> Loaded(ModelChange c, string convId, Seq<MessageInfo> msgs)
    {
        var mine = msgs.Filter(m => m.ConvId == Some(convId));
        return mine.Map(m => m.Seq) + Ids(c, convId, convId, mine.Map(m => m.Id));
    }

    // Messages by id, at the seq the state before or after knows them by.
    static Seq<long> Ids(ModelChange c, string convId, string eventConv, Seq<string> ids) =>
        eventConv != convId ? Seq<long>() : ids.Bind(id => SeqOf(c.After.Timeline, convId, id).ToSeq() + SeqOf(c.Before.Timeline, convId, id).ToSeq());

    static Option<long> SeqOf(Timeline.State s, string convId, string id) => s.Conversations.Find(convId).Bind(x => x.SeqOf.Find(id));

    // The message pinned before and the one pinned after (a pin moves the flag of both).
    static Seq<long> PinSeqs(ModelChange c, string convId)
    {
        var before = c.Before.Timeline.Conversations.Find(convId).Bind(x => x.Pinned);
        var after = c.After.Timeline.Conversations.Find(convId).Bind(x => x.Pinned);
        return before == after ? Seq<long>() : Ids(c, convId, convId, before.ToSeq() + after.ToSeq());
    }

    // A report from user u up to q can only change the delivery state of messages in (what u had reported, q].
    static Seq<long> Reported(ModelChange c, string convId, string user, long q)
    {
        var from = c.Before.Timeline.Conversations.Find(convId).Bind(x => x.Reports.Find(user)).Map(r => Math.Min(r.Received, r.Seen)).IfNone(0);
        return Range(c, convId, from, q);
    }

    static Seq<long> Mine(ModelChange c, string convId, long q) =>
        c.After.Timeline.Me.Match(me => Reported(c, convId, me, q), () => Seq<long>());

    static Seq<long> Range(ModelChange c, string convId, long after, long upTo) => after >= upTo ? Seq<long>()
        : c.After.Timeline.Conversations.Find(convId).Map(x => x.BySeq.FindRange(after + 1, upTo).Map(m => m.Seq).ToSeq()).IfNone(Seq<long>());

    // ---------------------------------------------------------------- the conversation list

    /// <summary>The conversation list's order: latest update first, then by id (as <see cref="ConversationList.Visible"/>).</summary>
    public static readonly IComparer<(long LastUpdate, string Id)> ListOrder = Comparer<(long LastUpdate, string Id)>.Create((a, b) =>
        a.LastUpdate != b.LastUpdate ? b.LastUpdate.CompareTo(a.LastUpdate) : string.CompareOrdinal(a.Id, b.Id));

    /// <summary>The conversation list's keys.</summary>
    public static Keys<(long, string)> ConversationKeys(ReadModels m) =>
        Keys<(long, string)>.Of(ConversationList.Visible(m.Conversations).Map(c => (c.LastUpdate, c.Id)), ListOrder);

    /// <summary>The changes one event made to the conversation list (<see cref="ConversationList.Visible"/>).</summary>
    public static (Keys<(long, string)> Keys, Seq<VectorDiff<ConversationList.Conversation>> Diffs) OfConversations(Keys<(long, string)> keys, ModelChange c)
    {
        var ids = ConversationsTouched(c);
        if (ids.IsNone)
        {
            var all = ConversationList.Visible(c.After.Conversations);
            return (Keys<(long, string)>.Of(all.Map(x => (x.LastUpdate, x.Id)), ListOrder),
                Seq1<VectorDiff<ConversationList.Conversation>>(new VectorDiff<ConversationList.Conversation>.Reset(all)));
        }
        var diffs = new List<VectorDiff<ConversationList.Conversation>>();
        foreach (var id in ((Seq<string>)ids).Distinct())
            keys = keys.Move(Listed(c.Before.Conversations, id), Listed(c.After.Conversations, id), diffs);
        return (keys, toSeq(diffs));
    }

    static Option<((long, string) Key, ConversationList.Conversation Value)> Listed(ConversationList.State s, string id) =>
        s.ById.Find(id).Filter(x => !x.Deleted).Map(x => ((x.LastUpdate, x.Id), x));

    static Option<Seq<string>> ConversationsTouched(ModelChange c)
    {
        var ids = Seq<string>();
        foreach (var f in c.Facts)
        {
            switch (f)
            {
                case Fact.Of { Event: UserInfoChanged or LocalDataCleared }:
                    return None;
                case Fact.Of o:
                    ids += Recording.ConversationOf(o.Event).ToSeq() + o.Event switch
                    {
                        ConversationsLoaded l => l.Result.ListConvs.Map(x => x.ConvId),
                        ConversationWithUserLoaded l => l.Result.Conversations.Map(x => x.ConvId),
                        MessagesLoaded l => l.Result.Msgs.Choose(m => m.ConvId),
                        MessagesByIdsLoaded l => l.Result.ListMsgs.Choose(m => m.ConvId),
                        _ => Seq<string>(),
                    };
                    if (f is Fact.Confirmed cf) ids += Recording.ConversationOf(cf.Command).ToSeq();
                    break;
            }
        }
        return ids;
    }

    // ---------------------------------------------------------------- pins and edit history of one conversation

    /// <summary>The changes one event made to a conversation's pin history (<see cref="Pins.Conversation.History"/>): appended actions.</summary>
    public static Seq<VectorDiff<Pins.PinAction>> OfPins(ModelChange c, string convId)
    {
        var before = c.Before.Pins.ByConv.Find(convId).Map(p => p.History).IfNone(Seq<Pins.PinAction>());
        var after = c.After.Pins.ByConv.Find(convId).Map(p => p.History).IfNone(Seq<Pins.PinAction>());
        if (ReferenceEquals(c.Before.Pins, c.After.Pins) || before.Count == after.Count) return Seq<VectorDiff<Pins.PinAction>>();
        // Pins only ever append, except clearDb (which empties them).
        return after.Count >= before.Count
            ? toSeq(Enumerable.Range(before.Count, after.Count - before.Count).Select(i => (VectorDiff<Pins.PinAction>)new VectorDiff<Pins.PinAction>.Insert(i, after[i])))
            : Seq1<VectorDiff<Pins.PinAction>>(new VectorDiff<Pins.PinAction>.Reset(after));
    }

    /// <summary>The edit history view of one conversation: its messages' edit entries, by message id.</summary>
    public static Seq<EditHistory.Entry> EditsOf(ReadModels m, string convId) => EditHistory.In(m.Edits, convId);

    /// <summary>The edit history view's keys.</summary>
    public static Keys<string> EditKeys(ReadModels m, string convId) => Keys<string>.Of(EditsOf(m, convId).Map(e => e.MsgId), StringComparer.Ordinal);

    /// <summary>The changes one event made to a conversation's edit history.</summary>
    public static (Keys<string> Keys, Seq<VectorDiff<EditHistory.Entry>> Diffs) OfEdits(Keys<string> keys, ModelChange c, string convId)
    {
        if (ReferenceEquals(c.Before.Edits, c.After.Edits)) return (keys, Seq<VectorDiff<EditHistory.Entry>>());
        var ids = Seq<string>();
        foreach (var f in c.Facts)
            switch (f)
            {
                case Fact.Of { Event: LocalDataCleared }:
                    var all = EditsOf(c.After, convId);
                    return (Keys<string>.Of(all.Map(e => e.MsgId), StringComparer.Ordinal), Seq1<VectorDiff<EditHistory.Entry>>(new VectorDiff<EditHistory.Entry>.Reset(all)));
                case Fact.Confirmed(MessageEditRequested ed, _, _):
                    ids = ids.Add(ed.Request.MsgId);
                    break;
                case Fact.Of { Event: MessageEdited m }:
                    ids = ids.Add(m.Packet.MsgId);
                    break;
                case Fact.Of { Event: MessagesLoaded l }:
                    ids += l.Result.Msgs.Map(m => m.Id);
                    break;
                case Fact.Of { Event: MessagesByIdsLoaded l }:
                    ids += l.Result.ListMsgs.Map(m => m.Id);
                    break;
            }
        var diffs = new List<VectorDiff<EditHistory.Entry>>();
        foreach (var id in ids.Distinct())
            keys = keys.Move(Entry(c.Before, convId, id), Entry(c.After, convId, id), diffs);
        return (keys, toSeq(diffs));
    }

    static Option<(string, EditHistory.Entry)> Entry(ReadModels m, string convId, string id) =>
        EditHistory.Of(m.Edits, convId, id).Map(e => (e.MsgId, e));
}
