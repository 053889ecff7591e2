namespace EventSourced.Projections;

/// <summary>
/// Which conversations' events a conversation's timeline depends on, so that a replay can fold one conversation at a
/// time from its own stream and the session stream instead of holding every message of the log. Almost always a
/// conversation depends on itself alone; it depends on another when one fact joins events of both:
/// <list type="bullet">
/// <item>an answer recorded in one conversation's stream paired with a command recorded in another's (the server named
/// another conversation in its answer);</item>
/// <item>a command that replaces a still-waiting command of another conversation under the same request id;</item>
/// <item>a creation answer whose first message names another conversation;</item>
/// <item>a message that takes or leaves the outbox under a local id a send of another conversation holds.</item>
/// </list>
/// Conversations joined so are one group, and a group is folded together. The state holds the groups of joined
/// conversations, the request ids still waiting and the outbox's local ids: O(conversations + requests in flight +
/// unconfirmed sends), never a message body.
/// </summary>
public static class Scopes
{
    /// <summary>
    /// <c>Known</c>: every conversation the timeline may hold. <c>GroupOf</c>: each joined conversation's group (a
    /// conversation absent from it is alone). <c>Members</c>: each group's conversations. <c>Waiting</c>: each request id
    /// still waiting, and the conversation of its command (none for the session stream). <c>Outbox</c>: each local id a
    /// send holds, and that send's conversation.
    /// </summary>
    public sealed record State(Set<OrdStringOrdinal, string> Known, Map<OrdStringOrdinal, string, string> GroupOf,
        Map<OrdStringOrdinal, string, Set<OrdStringOrdinal, string>> Members, Map<long, Option<string>> Waiting, Map<OrdStringOrdinal, string, string> Outbox)
    {
        /// <summary>Nothing joined.</summary>
        public static readonly State Initial = new(Set<OrdStringOrdinal, string>(), Map<OrdStringOrdinal, string, string>(),
            Map<OrdStringOrdinal, string, Set<OrdStringOrdinal, string>>(), Map<long, Option<string>>(), Map<OrdStringOrdinal, string, string>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("scopes", State.Initial, Apply);

    /// <summary>The conversations whose events the timeline of <paramref name="convId"/> is folded from (itself included), with the session stream's.</summary>
    public static Set<OrdStringOrdinal, string> Of(State s, string convId) =>
        s.GroupOf.Find(convId).Bind(g => s.Members.Find(g)).IfNone(Set<OrdStringOrdinal, string>(convId));

    /// <summary>Every group of more than one conversation.</summary>
    public static Seq<Set<OrdStringOrdinal, string>> Joined(State s) => s.Members.Values.ToSeq();

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => Joins(f is Fact.Of o ? Know(s, o.Event) : s, f);

    // Conversations an event names: its stream's, and those a session-stream event carries (a listing, a mixed reload).
    static State Know(State s, Event e)
    {
        var named = Recording.ConversationOf(e).Match(Seq1, () => e switch
        {
            MessagesLoaded l => l.Result.Msgs.Map(m => m.ConvId).Somes(),
            MessagesByIdsLoaded l => l.Result.ListMsgs.Map(m => m.ConvId).Somes(),
            ConversationsLoaded l => l.Result.ListConvs.Map(c => c.ConvId),
            ConversationWithUserLoaded l => l.Result.Conversations.Map(c => c.ConvId),
            _ => Seq<string>(),
        });
        if (e is ConversationCreated c) named = named.Concat(Timeline.CreationMessage(c).Bind(m => m.ConvId)).Strict();
        return named.ForAll(s.Known.Contains) ? s : s with { Known = named.Fold(s.Known, (k, id) => k.TryAdd(id)) };
    }

    static State Joins(State s, Fact f) => f switch
    {
        // The timeline reads a paired answer as it reads one that came alone, and a confirmed send with its command.
        Fact.Confirmed(var command, var answer, _) => Observe(Answered(s, command, answer), answer, command as MessageSendRequested),
        Fact.Rejected(var command, var answer, _, _, _) => Unsent(Observe(Answered(s, command, answer), answer, null), f),
        Fact.Observed(var e) => Observe(s, e, null),
        _ => s,
    };

    // A paired answer: its command no longer waits, and the two conversations are joined when they differ.
    static State Answered(State s, Event command, Event answer)
    {
        var t = Recording.RequestIdOf(command).Match(id => s.Waiting.ContainsKey(id) ? s with { Waiting = s.Waiting.Remove(id) } : s, () => s);
        return Join(t, Recording.ConversationOf(command), Recording.ConversationOf(answer));
    }

    // A refused send leaves the outbox (the timeline removes it unless the refusal says "try later").
    static State Unsent(State s, Fact f) => f is Fact.Rejected(MessageSendRequested m, _, var code, _, _) && !Fact.Retryable(code)
        ? m.Request.LocalDbId.Match(l => Leave(Touch(s, l, m.Request.ConvId), l), () => s)
        : s;

    // send: the command a confirmed MessageSent answers.
    static State Observe(State s, Event e, MessageSendRequested? send)
    {
        switch (e)
        {
            case Disconnected or DisconnectRequested or TransportOpened:
                // The pairing forgets every waiting command on these.
                return s.Waiting.IsEmpty ? s : s with { Waiting = Map<long, Option<string>>() };
            case LocalDataCleared:
                return s.Outbox.IsEmpty ? s : s with { Outbox = Map<OrdStringOrdinal, string, string>() };
            case MessageSendRequested m:
            {
                var key = m.Request.LocalDbId.IfNone("");
                var t = Touch(Track(s, e), key, m.Request.ConvId);
                return t.Outbox.Find(key) == Some(m.Request.ConvId) ? t : t with { Outbox = t.Outbox.AddOrUpdate(key, m.Request.ConvId) };
            }
            case MessageSent m:
                return Sent(s, m.Result, send is null ? None : Some(send.Request));
            case MessageReceived m:
                return m.Packet.LocalDbId.Match(l => Leave(Touch(s, l, m.Packet.ConvId), l), () => s);
            case ConversationCreated c:
                return Join(s, Some(c.Result.Conversation.ConvId), Timeline.CreationMessage(c).Bind(x => x.ConvId));
            default:
                return Track(s, e);
        }
    }

    // A command with a request id waits for its answer; one that takes the id of another conversation's waiting command joins them.
    static State Track(State s, Event e)
    {
        var tracked = Correlation.Tracked(e);
        if (tracked.IsNone) return s;
        var id = (long)tracked;
        var conv = Recording.ConversationOf(e);
        var t = s.Waiting.Find(id).Match(before => Join(s, before, conv), () => s);
        return t with { Waiting = t.Waiting.AddOrUpdate(id, conv) };
    }

    // A confirmation looks the outbox up by the answer's local id, then the command's, and otherwise takes the command's (or "").
    static State Sent(State s, SendMessageResult r, Option<SendMessage> command)
    {
        var t = r.LocalDbId.Match(l => Touch(s, l, r.ConvId), () => s);
        return command.Match(c => Touch(t, c.LocalDbId.IfNone(""), r.ConvId), () => t);
    }

    // A fact of conversation convId that reads or changes the outbox entry under a local id joins it with the entry's conversation.
    static State Touch(State s, string localId, string convId) =>
        s.Outbox.Find(localId).Match(owner => Join(s, Some(owner), Some(convId)), () => s);

    static State Leave(State s, string localId) => s.Outbox.ContainsKey(localId) ? s with { Outbox = s.Outbox.Remove(localId) } : s;

    static string GroupName(State s, string convId) => s.GroupOf.Find(convId).IfNone(convId);

    // Joins two conversations' groups: the smaller group's members move to the larger (each conversation moves O(log n) times).
    static State Join(State s, Option<string> a, Option<string> b)
    {
        if (a.IsNone || b.IsNone) return s;
        var (ga, gb) = (GroupName(s, (string)a), GroupName(s, (string)b));
        if (string.Equals(ga, gb, StringComparison.Ordinal)) return s;
        var ma = s.Members.Find(ga).IfNone(Set<OrdStringOrdinal, string>(ga));
        var mb = s.Members.Find(gb).IfNone(Set<OrdStringOrdinal, string>(gb));
        var (into, from, keep, moved) = ma.Count >= mb.Count ? (ga, gb, ma, mb) : (gb, ga, mb, ma);
        var groupOf = moved.Fold(s.GroupOf.AddOrUpdate(into, into), (m, c) => m.AddOrUpdate(c, into));
        return s with { GroupOf = groupOf, Members = s.Members.Remove(from).AddOrUpdate(into, keep.Union(moved)) };
    }
}
