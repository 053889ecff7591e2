using EventSourced.Domain.Packets;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Domain.Client;

/// <summary>Why a command was given up without an answer.</summary>
public enum Abandonment
{
    /// <summary>No answer within the request timeout. The server may still have done it: the outcome is unknown, and a late answer still counts.</summary>
    TimedOut = 0,
    /// <summary>The connection it was sent on closed first: no answer can come any more.</summary>
    ConnectionClosed = 1,
}

/// <summary>
/// What one recorded event means once it is matched with the commands waiting for answers. Read
/// models and the reactor fold facts, not raw acknowledgements: a bare <c>{r:0, requestId}</c>
/// only means something next to the command it answers, and the correlation stage is the one place
/// that pairs them.
/// </summary>
public abstract record Fact
{
    private Fact() { }

    /// <summary>A fact that stands for a recorded event (every fact but <see cref="Abandoned"/>).</summary>
    public abstract record Of(Event Event) : Fact;

    /// <summary>An event that answers nothing waiting: a command, a push from the server, a local fact, or an answer nobody waits for (a duplicate).</summary>
    public sealed record Observed(Event Event) : Of(Event);

    /// <summary>The server did what <paramref name="Command"/> asked; <paramref name="Late"/> when the answer came after the command timed out.</summary>
    public sealed record Confirmed(Event Command, Event Answer, bool Late) : Of(Answer);

    /// <summary>The server refused <paramref name="Command"/> with its code and message (the answer is <see cref="RequestFailed"/> or <see cref="ConnectFailed"/>).</summary>
    public sealed record Rejected(Event Command, Event Answer, int Code, string Message, bool Late) : Of(Answer);

    /// <summary>
    /// True for a refusal that says "not now" rather than "no": the server could not store the request (19) or
    /// the user sent too many (20). A message refused so stays in the outbox for the next flush; any other code is final.
    /// </summary>
    public static bool Retryable(int code) => code is 19 or 20;

    /// <summary>No answer came for <paramref name="Command"/> (it stands for no recorded event of its own: the cause is the next fact).</summary>
    public sealed record Abandoned(Event Command, long RequestId, Abandonment Reason) : Fact;
}

/// <summary>
/// The one correlation stage of the client: the commands waiting for an answer, by request id, and
/// the pure step that turns each recorded event into facts. Request ids are unique per client
/// (they only grow, across connections), so an answer is matched by its id alone.
/// <para>
/// The rule for a late answer (one that arrives after its command timed out): it is applied, once,
/// to every read model, like a timely one. A timeout tells the caller the outcome is unknown; the
/// late answer is the server saying what the outcome was, and the record follows the server. A
/// command stays matchable until its connection closes, since no answer can arrive after that.
/// </para>
/// </summary>
public static class Correlation
{
    /// <summary>A command waiting for its answer.</summary>
    public sealed record Waiting(Event Command, bool TimedOut);

    /// <summary>The commands waiting for an answer.</summary>
    public sealed record State(Map<long, Waiting> Outstanding)
    {
        /// <summary>Nothing waiting.</summary>
        public static readonly State Empty = new(Map<long, Waiting>());

        /// <summary>The command a request id stands for, while it can still be answered.</summary>
        public Option<Event> Command(long requestId) => Outstanding.Find(requestId).Map(w => w.Command);
    }

    /// <summary>
    /// One step: the state after <paramref name="e"/> and what it means. Every event gives exactly
    /// one fact that stands for it (<see cref="Fact.Of"/>), preceded by the commands it abandons.
    /// </summary>
    public static (State State, Seq<Fact> Facts) Step(State s, Event e)
    {
        var (state, abandoned, fact) = StepOne(s, e);
        return (state, abandoned.IsEmpty ? Seq1<Fact>(fact) : abandoned.Add(fact));
    }

    /// <summary>
    /// <see cref="Step"/> with its facts apart: the commands <paramref name="e"/> abandons (none for nearly every event)
    /// and the one fact that stands for it. A fold takes this form, which builds no sequence for an event that abandons nothing.
    /// </summary>
    public static (State State, Seq<Fact> Abandoned, Fact.Of Fact) StepOne(State s, Event e)
    {
        switch (e)
        {
            case RequestTimedOut t:
                if (s.Outstanding.Find(t.RequestId).Case is not Waiting { TimedOut: false } w) return (s, Seq<Fact>(), new Fact.Observed(e));
                return (new State(s.Outstanding.SetItem(t.RequestId, w with { TimedOut = true })),
                    Seq1<Fact>(new Fact.Abandoned(w.Command, t.RequestId, Abandonment.TimedOut)), new Fact.Observed(e));
            case Disconnected or DisconnectRequested or TransportOpened:
                if (s.Outstanding.IsEmpty) return (s, Seq<Fact>(), new Fact.Observed(e));
                var closed = s.Outstanding.Filter(x => !x.TimedOut).Map((id, x) => (Fact)new Fact.Abandoned(x.Command, id, Abandonment.ConnectionClosed)).Values.ToSeq();
                return (State.Empty, closed, new Fact.Observed(e));
        }
        var answerOf = AnswerOf(e);
        if (answerOf.IsSome)
        {
            var (id, answer) = ((long, IResponse))answerOf;
            return s.Outstanding.Find(id).Case is Waiting waiting && Answers(e, waiting.Command)
                ? (new State(s.Outstanding.Remove(id)), Seq<Fact>(), Outcome(waiting, answer, e))
                : (s, Seq<Fact>(), new Fact.Observed(e));
        }
        var tracked = Tracked(e);
        return tracked.IsSome
            ? (new State(s.Outstanding.AddOrUpdate((long)tracked, new Waiting(e, false))), Seq<Fact>(), new Fact.Observed(e))
            : (s, Seq<Fact>(), new Fact.Observed(e));
    }

    static Fact.Of Outcome(Waiting w, IResponse answer, Event e) => e switch
    {
        RequestFailed f => new Fact.Rejected(w.Command, e, f.Result.R, f.Result.Message.IfNone("Generic error"), w.TimedOut),
        ConnectFailed f => new Fact.Rejected(w.Command, e, f.Result.R, f.Result.Message.IfNone(AuthenCodes.Message(f.Result.R)), w.TimedOut),
        _ => new Fact.Confirmed(w.Command, e, w.TimedOut),
    };

    /// <summary>Folds events from a state, giving every fact in order.</summary>
    public static (State State, Seq<Fact> Facts) Run(State s, IEnumerable<Event> events)
    {
        var facts = new List<Fact>();
        foreach (var e in events)
        {
            (s, var f) = Step(s, e);
            facts.AddRange(f);
        }
        return (s, toSeq(facts));
    }

    /// <summary>
    /// True when <paramref name="answer"/> is of a kind that answers <paramref name="command"/>'s service: an answer that
    /// echoes a waiting request id but belongs to another service (a confused or hostile server) confirms nothing.
    /// </summary>
    public static bool Answers(Event answer, Event command) =>
        Recording.Request(command).Bind(r => Reply(answer).Map(a => a.Of(r.Service))).IfNone(false);

    /// <summary>The request id a command waits on, for a command the server answers (a ping echo is not answered).</summary>
    public static Option<long> Tracked(Event e) => e is PingAnswered ? Option<long>.None : Recording.RequestIdOf(e);

    /// <summary>The answer a received event is, with the request id it echoes.</summary>
    public static Option<(long RequestId, IResponse Answer)> AnswerOf(Event e) => Reply(e).Bind(r => r.Answer.RequestId.Map(id => (id, r.Answer)));

    // Every answer event: its body, and which service's requests it answers.
    static Option<(IResponse Answer, Func<Service, bool> Of)> Reply(Event e) => e switch
    {
        Connected x => (x.Result, s => s == Service.Authen),
        ConnectFailed x => (x.Result, s => s == Service.Authen),
        CallStarted x => (x.Result, s => s == Service.CallStart),
        UsersInfoReceived x => (x.Result, s => s == Service.ChatGetUsersInfo),
        ConversationCreated x => (x.Result, s => s == Service.ChatCreateConversation),
        ConversationsLoaded x => (x.Result, s => s is Service.ChatConversationLoad or Service.ChatGetConversationsInfo),
        ConversationWithUserLoaded x => (x.Result, s => s == Service.ChatConversationForUsers),
        ConversationDeleted x => (x.Result, s => s == Service.ChatDeleteConversation),
        ParticipantsAdded x => (x.Result, s => s == Service.ChatAddParticipant),
        ParticipantsRemoved x => (x.Result, s => s == Service.ChatRemoveParticipant),
        RoleSet x => (x.Result, s => s == Service.ChatSetRole),
        UnreadCountReceived x => (x.Result, s => s == Service.ChatUnreadConversationCount),
        MessageSent x => (x.Result, s => s == Service.ChatMessage),
        MessagesLoaded x => (x.Result, s => s == Service.ChatMessagesLoad),
        MessagesByIdsLoaded x => (x.Result, s => s == Service.GetMessagesInfo),
        MessagesDeleted x => (x.Result, s => s == Service.ChatDeleteMessage),
        MessagePinAnswered x => (x.Result, s => s == Service.ChatPinMessage),
        MessageRevokeAnswered x => (x.Result, s => s == Service.ChatRevokeMessage),
        ChatRequestsLoaded x => (x.Result, s => s == Service.ChatRequestLoad),
        ChatRequestAnswered x => (x.Result, s => s == Service.ChatAgentResponse),
        ChatTransferred x => (x.Result, s => s == Service.ChatTransferToAnotherAgent),
        ChatEnded x => (x.Result, s => s == Service.EndChat),
        RequestAcknowledged x => (x.Result, s => (short)s == x.Service),
        RequestFailed x => (x.Result, s => (short)s == x.Service),
        _ => Option<(IResponse, Func<Service, bool>)>.None,
    };
}
