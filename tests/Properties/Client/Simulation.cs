using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using C = EventSourced.Domain.Client.Command;

namespace EventSourced.Tests.Properties.Client;

/// <summary>What happens next in a simulated run.</summary>
public abstract record Act
{
    private Act() { }
    /// <summary>The user sends a text; the server refuses it (r = 12) when <c>Refused</c>.</summary>
    public sealed record Send(bool Refused) : Act;
    /// <summary>The user pins (or unpins) one of the messages known so far.</summary>
    public sealed record Pin(int Which, bool On) : Act;
    /// <summary>The user edits one of their own messages.</summary>
    public sealed record Edit(int Which) : Act;
    /// <summary>Bob sends a message (the server pushes it).</summary>
    public sealed record BobSends : Act;
    /// <summary>The server revokes one of Bob's messages.</summary>
    public sealed record BobRevokes(int Which) : Act;
    /// <summary>The next packet to the client arrives.</summary>
    public sealed record Deliver : Act;
    /// <summary>The next packet to the client is lost.</summary>
    public sealed record Lose : Act;
    /// <summary>The next packet to the client arrives twice.</summary>
    public sealed record Duplicate : Act;
    /// <summary>The next two packets to the client swap places.</summary>
    public sealed record Swap : Act;
    /// <summary>Time passes.</summary>
    public sealed record Wait(int Ms) : Act;
    /// <summary>The connection drops.</summary>
    public sealed record Drop : Act;
    /// <summary>The client connects again.</summary>
    public sealed record Reconnect : Act;
}

/// <summary>
/// The client core (<see cref="ClientCore"/>) run the way the shell runs it, against a simulated Stringee server and
/// transport on a virtual clock: no sockets, no timers, every interleaving reproducible from its seed.
/// </summary>
public sealed class Simulation
{
    public static readonly Reactor.Settings Settings = new(RequestTimeoutMs: 1_000, LivenessGraceMs: 15_000, CatchUpPageSize: 3);
    const string Conv = "c1";
    const string Me = "me";

    public ClientCore Core { get; private set; } = ClientCore.Initial(Settings);
    public long Now { get; private set; } = 10_000;
    long nextId = 1;
    long wake = long.MaxValue;
    bool connected;
    bool everConnected;
    int offlineWindow;
    readonly Queue<Reactor.Step> todo = new();

    /// <summary>Every event recorded, in order.</summary>
    public List<Event> Log { get; } = [];
    /// <summary>Packets on their way to the client.</summary>
    public List<Event> Inbound { get; } = [];
    /// <summary>Every command that reached the server, in order.</summary>
    public List<Event> Wire { get; } = [];
    /// <summary>Outcomes handed to callers by request id, and to message callers by local id (a caller takes the first).</summary>
    public Dictionary<long, List<Fact>> Completions { get; } = [];
    public Dictionary<string, List<Fact>> SendCompletions { get; } = new(StringComparer.Ordinal);
    /// <summary>The user's sends: local id, whether the server refuses it, and the offline window it was queued in (0 when online).</summary>
    public List<(string LocalId, string Text, bool Refused, int Window)> Sends { get; } = [];
    /// <summary>The user's pins and edits by request id.</summary>
    public List<long> Calls { get; } = [];

    // The server: one group conversation of me and bob.
    public List<(string Id, string LocalId, string From, string Text, bool Revoked, int Edits)> ServerMessages { get; } = [];
    Option<string> serverPin;
    readonly System.Collections.Generic.HashSet<string> refusedTexts = new(StringComparer.Ordinal);

    public Simulation()
    {
        // Seq 1 is the conversation's creation message, as on Stringee's servers.
        ServerMessages.Add(("srv-1", "", Me, "created", false, 0));
        Reconnect();
        Settle();
    }

    /// <summary>The log in short, for a failing property's label.</summary>
    public string Describe() => string.Join(" ", Log.Select(e => e switch
    {
        MessageSendRequested m => $"send#{m.Request.RequestId.IfNone(0)}({m.Request.LocalDbId.IfNone("")})",
        MessageSent m => $"sent#{m.Result.RequestId.IfNone(0)}({m.Result.LocalDbId.IfNone("")})",
        RequestFailed f => $"failed#{f.Result.RequestId.IfNone(0)}:{f.Result.R}",
        RequestTimedOut t => $"timeout#{t.RequestId}",
        MessagePinRequested p => $"pin#{p.Request.RequestId.IfNone(0)}({p.Request.MsgId},{p.Request.IsPin})",
        MessagePinAnswered p => $"pinned#{p.Result.RequestId.IfNone(0)}",
        MessageEditRequested x => $"edit#{x.Request.RequestId.IfNone(0)}({x.Request.MsgId})",
        RequestAcknowledged a => $"ack#{a.Result.RequestId.IfNone(0)}/{a.Service}",
        Disconnected => "DISCONNECTED",
        Connected => "CONNECTED",
        _ => e.GetType().Name,
    })) + $" | refused: {string.Join(",", Sends.Where(s => s.Refused).Select(s => s.LocalId))}";

    public void Run(Act a)
    {
        switch (a)
        {
            case Act.Send s:
                var text = $"t{Sends.Count}";
                if (s.Refused) refusedTexts.Add(text);
                var id = nextId;
                var r = Execute(new C.SendMessage(Conv, 1, Json.Object(("content", text))));
                if (r.IsRight) Sends.Add(($"l-{id}", text, s.Refused, connected ? 0 : offlineWindow));
                break;
            case Act.Pin p when Known().Count > 0:
                var pin = Known()[p.Which % Known().Count];
                if (Execute(new C.PinMessage(Conv, pin, p.On)).Exists(es => !es.IsEmpty)) Calls.Add(nextId - 1);
                break;
            case Act.Edit e when Mine().Count > 0:
                var edited = Mine()[e.Which % Mine().Count];
                if (Execute(new C.EditMessage(Conv, edited, $"edited at {Now}")).Exists(es => !es.IsEmpty)) Calls.Add(nextId - 1);
                break;
            case Act.BobSends:
                var seq = ServerMessages.Count + 1;
                var msg = ($"srv-{seq}", "", "bob", $"bob {seq}", false, 0);
                ServerMessages.Add(msg);
                if (connected) Inbound.Add(new MessageReceived(new MessageNotice(Conv, msg.Item1, "bob", Now, seq, 1, Json.Object(("content", msg.Item4)), None, None, None, None, None, None)));
                break;
            case Act.BobRevokes b when ServerMessages.Exists(m => m.From == "bob"):
                var bobs = ServerMessages.Where(m => m.From == "bob").ToList();
                var gone = bobs[b.Which % bobs.Count];
                ServerMessages[ServerMessages.IndexOf(gone)] = gone with { Revoked = true };
                if (connected) Inbound.Add(new MessagesRevoked(new RevokeNotice(Conv, Seq1(gone.Id))));
                break;
            case Act.Deliver when Inbound.Count > 0:
                Arrive(Take());
                break;
            case Act.Lose when Inbound.Count > 0:
                Take();
                break;
            case Act.Duplicate when Inbound.Count > 0:
                var twice = Take();
                Arrive(twice);
                Arrive(twice);
                break;
            case Act.Swap when Inbound.Count > 1:
                (Inbound[0], Inbound[1]) = (Inbound[1], Inbound[0]);
                break;
            case Act.Wait w:
                Advance(w.Ms);
                break;
            case Act.Drop when connected:
                Disconnect("dropped");
                break;
            case Act.Reconnect when !connected:
                Reconnect();
                break;
        }
        Drain();
    }

    /// <summary>
    /// The end of a run: the connection is made again (a message whose outcome was unknown goes out again only then),
    /// everything is delivered and time passes until nothing is left to do.
    /// </summary>
    public void Settle()
    {
        if (connected) Disconnect("settling");
        Reconnect();
        for (var round = 0; round < 200; round++)
        {
            while (Inbound.Count > 0) Arrive(Take());
            Drain();
            if (Inbound.Count == 0 && todo.Count == 0 && (Core.Reactor.Deadlines.IsEmpty || round > 100)) return;
            Advance(500);
        }
    }

    List<string> Known() => Timeline.View(Core.Models.Timeline, Conv).Filter(m => !m.Revoked).Map(m => m.Id).ToList();
    List<string> Mine() => Timeline.View(Core.Models.Timeline, Conv).Filter(m => m.Sender == Me && !m.Revoked).Map(m => m.Id).ToList();

    Event Take()
    {
        var e = Inbound[0];
        Inbound.RemoveAt(0);
        return e;
    }

    void Advance(int ms)
    {
        Now += ms;
        if (Now < wake) return;
        wake = long.MaxValue;
        var (core, steps) = ClientCore.Tick(Core, Now);
        Core = core;
        Queue(steps);
        Drain();
    }

    void Arrive(Event e) => Record(e, received: true);

    void Record(Event e, bool received)
    {
        Log.Add(e);
        var (core, _, steps) = ClientCore.Recorded(Core, e, received, Now);
        Core = core;
        Queue(steps);
    }

    // As the shell: completions and wake-ups at once, sends and records in order afterwards.
    void Queue(Seq<Reactor.Step> steps)
    {
        foreach (var s in steps)
            switch (s)
            {
                case Reactor.Step.Complete c:
                    (Completions.TryGetValue(c.RequestId, out var l) ? l : Completions[c.RequestId] = []).Add(c.Outcome);
                    break;
                case Reactor.Step.CompleteSend c:
                    (SendCompletions.TryGetValue(c.LocalId, out var m) ? m : SendCompletions[c.LocalId] = []).Add(c.Outcome);
                    break;
                case Reactor.Step.Wake w:
                    wake = Math.Min(wake, w.At);
                    break;
                default:
                    todo.Enqueue(s);
                    break;
            }
    }

    void Drain()
    {
        while (todo.TryDequeue(out var s))
            switch (s)
            {
                case Reactor.Step.Send send:
                    Execute(send.Command);
                    break;
                case Reactor.Step.Record rec:
                    Record(rec.Event, received: false);
                    break;
                case Reactor.Step.Drop:
                    if (connected) Disconnect("liveness");
                    break;
            }
    }

    Either<Rejection, Seq<Event>> Execute(Command c)
    {
        var id = nextId++;
        var decided = Decider.Decide(Core.Decision, c, new Context(id, Now, $"l-{id}"));
        foreach (var events in decided.RightToSeq())
            foreach (var e in events)
            {
                Record(e, received: false);
                if (connected && Core.Decision.Session.IsConnected && Recording.Request(e).IsSome)
                {
                    Wire.Add(e);
                    Inbound.AddRange(Serve(e));
                }
            }
        return decided;
    }

    void Disconnect(string why)
    {
        connected = false;
        offlineWindow++;
        Inbound.Clear();
        Record(new Disconnected(why, true), received: false);
        Drain();
    }

    void Reconnect()
    {
        connected = true;
        Record(new TransportOpened("ws://sim"), received: false);
        var id = nextId++;
        Record(new AuthenSent(new Authen("token", id, "sim", None, None, 3, "", "", "", "")), received: false);
        Arrive(new Connected(new AuthenResult(0, id, None, Me, None, 1L, 1L, 60_000L, None, None, false, None, None), everConnected));
        everConnected = true;
        Drain();
    }

    // The server's side of each request: what a Stringee server answers, with its seq and ids.
    IEnumerable<Event> Serve(Event e)
    {
        switch (e)
        {
            case MessageSendRequested m:
                var text = Chat.TextOf(m.Request.Message);
                if (refusedTexts.Contains(text))
                {
                    yield return new RequestFailed(42, new Failure(12, m.Request.RequestId, "You are blocked"));
                    yield break;
                }
                var local = m.Request.LocalDbId.IfNone("");
                var existing = ServerMessages.FindIndex(x => x.LocalId == local && local.Length > 0);
                if (existing < 0)
                {
                    ServerMessages.Add(($"srv-{ServerMessages.Count + 1}", local, Me, text, false, 0));
                    existing = ServerMessages.Count - 1;
                }
                yield return new MessageSent(new SendMessageResult(0, m.Request.RequestId, Conv, ServerMessages[existing].Id, existing + 1, Now, local, 0));
                break;
            case MessagePinRequested p:
                serverPin = p.Request.IsPin ? Some(p.Request.MsgId) : serverPin == Some(p.Request.MsgId) ? None : serverPin;
                yield return new MessagePinAnswered(new PinMessageResult(0, p.Request.RequestId, p.Request.IsPin, Conv, p.Request.MsgId));
                break;
            case ConversationsLoadRequested l:
                var info = new ConversationInfo(Conv, "team", true, false, Me, 1L, 5_000L, None, 0, (long)ServerMessages.Count, None, None, serverPin.IfNone(""),
                    None, 0, None, None, None, None, None, None, None, None, None,
                    Seq(new Participant(Me, None, None, "admin", None, None), new Participant("bob", None, None, "member", None, None)));
                yield return new ConversationsLoaded(new ConversationsResult(0, l.Request.RequestId, 5_000L < l.Request.LastUpdateSmaller ? Seq1(info) : Seq<ConversationInfo>()));
                break;
            case MessagesLoadRequested l:
                var page = ServerMessages.Select((x, i) => (x, Seq: i + 1L)).Where(x => x.Seq > l.Request.SeqGreater).Take(l.Request.Limit)
                    .Select(x => new MessageInfo(x.x.Id, x.Seq, Conv, x.x.LocalId.Length > 0 ? Some(x.x.LocalId) : None, Now, 1, x.x.From,
                        Json.Object(("content", x.x.Text)), 0, None, 0, x.x.Revoked ? 1 : 0, x.x.Edits));
                yield return new MessagesLoaded(new MessagesResult(0, l.Request.RequestId, toSeq(page).Strict()));
                break;
            case MessageEditRequested x:
                var at = ServerMessages.FindIndex(m => m.Id == x.Request.MsgId);
                if (at >= 0) ServerMessages[at] = ServerMessages[at] with { Text = Chat.TextOf(Chat.ContentOf(x.Request.NewContent)), Edits = ServerMessages[at].Edits + 1 };
                yield return new RequestAcknowledged((short)Service.ChatEditMessage, new Ack(0, x.Request.RequestId, None));
                break;
            case PingAnswered:
                break;
            default:
                foreach (var (service, body) in Recording.Request(e))
                    if (body is IRequest q) yield return new RequestAcknowledged((short)service, new Ack(0, q.RequestId, None));
                break;
        }
    }
}
