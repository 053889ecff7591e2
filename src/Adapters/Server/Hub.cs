using System.Net.WebSockets;
using System.Text;
using EventSourced.Adapters.Storage;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;

namespace EventSourced.Adapters.Server;

/// <summary>
/// The server's single writer. Every request is handled in turn: read the state, decide (pure),
/// append the events to the log, fold them, then reply and fan out. Routing timeouts run as
/// ticks through the same path. Nothing but the log and this fold holds server state.
/// </summary>
public sealed class Hub : IAsyncDisposable
{
    readonly ServerConfig config;
    readonly ServerRules rules;
    readonly IEventLog<ServerRecorded> log;
    readonly Func<long> clock;
    readonly SemaphoreSlim gate = new(1, 1);
    readonly Dictionary<string, List<Connection>> sessions = new(StringComparer.Ordinal);
    ServerState state = ServerState.Initial;
    long nextConnectionId;

    /// <summary>A hub over a log; call <see cref="LoadAsync"/> to rebuild state from it.</summary>
    public Hub(ServerConfig config, IEventLog<ServerRecorded> log, Func<long> clock)
    {
        this.config = config;
        this.log = log;
        this.clock = clock;
        rules = config.Rules;
    }

    /// <summary>The current state (for tests and tools).</summary>
    public ServerState State => state;

    /// <summary>Rebuilds the state from the log (a restart loses nothing that was appended).</summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        await foreach (var r in log.ReadAllAsync(1, ct).ConfigureAwait(false)) state = ServerState.Evolve(state, r.Event);
    }

    /// <summary>A new connection id.</summary>
    public long NextConnectionId() => Interlocked.Increment(ref nextConnectionId);

    bool Online(string user) => sessions.TryGetValue(user, out var list) && list.Count > 0;

    /// <summary>Closes every live session of a user with a reason (an operator's action; clients reconnect by themselves).</summary>
    public async Task DropUserAsync(string user, string reason)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (sessions.TryGetValue(user, out var list))
                foreach (var c in list.ToList()) c.Close(WebSocketCloseStatus.EndpointUnavailable, reason);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Whether a user has a live session now.</summary>
    public async Task<bool> IsOnlineAsync(string user)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            return Online(user);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Handles one frame from a connection.</summary>
    public async Task ReceiveAsync(Connection c, byte[] raw, bool binary)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var now = clock();
            c.LastReceived = now;
            var frame = binary ? Frame.DecodeBinary(raw, config.MaxFrameBytes) : Frame.DecodeText(raw, config.MaxFrameBytes);
            if (frame.IsLeft)
            {
                // A frame that cannot be read cannot be answered by requestId; say why on service 0 and keep the connection.
                c.Send(new Packet((short)0, Json.Object(("r", (long)ServerErrors.InvalidRequest), ("message", $"unreadable frame: {frame.LeftToSeq().Head.Reason}"))));
                return;
            }
            var packet = (Packet)frame;
            if (packet.Service == (short)Service.Ping) return;
            if (c.UserId is null && packet.Service != (short)Service.Authen)
            {
                c.UnauthenticatedPackets++;
                Reply(c, packet.Service, packet.RequestId, ServerErrors.NotAuthenticated, "Not authenticated: send AUTHEN (2) first");
                if (c.UnauthenticatedPackets >= config.MaxUnauthenticatedPackets) c.Close(WebSocketCloseStatus.PolicyViolation, "too many packets before AUTHEN");
                return;
            }
            var decoded = Protocol.Decode(Direction.ClientToServer, packet);
            if (decoded.IsLeft)
            {
                Reply(c, packet.Service, packet.RequestId, packet.Known.IsNone ? ServerErrors.UnknownService : ServerErrors.InvalidRequest,
                    packet.Known.IsNone ? $"unknown service {packet.Service}" : $"invalid request: {decoded.LeftToSeq().Head.Reason}");
                return;
            }
            var body = (Body)decoded;
            if (body is Authen authen)
            {
                Authenticate(c, authen, now);
                await StepAsync(now).ConfigureAwait(false);
                return;
            }
            var outcome = ServerDecider.Handle(state, rules, new Caller(c.UserId!, c.Id, c.ProjectId, c.ServiceId), (Service)packet.Service, body, now);
            await ApplyAsync(outcome, raw, packet.Service, packet.RequestId, now).ConfigureAwait(false);
            foreach (var reply in outcome.Reply) c.Send(new Packet(packet.Service, reply));
            Deliver(outcome.Deliveries, now);
            await StepAsync(now).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    void Authenticate(Connection c, Authen a, long now)
    {
        var verified = TokenIssuer.Verify(config, a.Accesstoken, now / 1000);
        if (verified.IsLeft)
        {
            var code = verified.LeftToSeq().Head;
            c.Send(Protocol.Encode(Service.Authen, new AuthenResult(code, a.RequestId, AuthenCodes.Message(code), None, None, None, None, None, None, None, None, None, None)));
            return;
        }
        var claims = (Claims)verified;
        if (claims.Rest)
        {
            c.Send(Protocol.Encode(Service.Authen, new AuthenResult(AuthenCodes.InvalidPayload, a.RequestId, "A REST token can not open a client session",
                None, None, None, None, None, None, None, None, None, None)));
            return;
        }
        if (c.UserId is not null) Leave(c);
        c.UserId = claims.UserId;
        c.ProjectId = claims.ProjectId;
        c.ServiceId = claims.ServiceId;
        c.BrowserId = a.BrowserId.IfNone("");
        if (!sessions.TryGetValue(claims.UserId, out var list)) sessions[claims.UserId] = list = [];
        var others = list.ToList();
        list.Add(c);
        var clients = new Json.Arr(toSeq(list.Select(x => (Json)Json.Object(("clientId", x.Id), ("browserId", x.BrowserId ?? ""))).ToList()));
        c.Send(Protocol.Encode(Service.Authen, new AuthenResult(0, a.RequestId, None, claims.UserId, state.NameOf(claims.UserId), claims.ProjectId, c.Id,
            config.PingIntervalMs, new Json.Arr(Seq<Json>()), clients, rules.IsAgent(claims.UserId), "127.0.0.1", None)));
        foreach (var o in others) o.Send(Protocol.Encode(Service.OtherDeviceAuthen, new OtherDeviceAuthenNotice("connected", c.Id, c.BrowserId)));
    }

    /// <summary>A connection went away.</summary>
    public async Task DisconnectedAsync(Connection c)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            Leave(c);
        }
        finally
        {
            gate.Release();
        }
    }

    void Leave(Connection c)
    {
        if (c.UserId is null || !sessions.TryGetValue(c.UserId, out var list)) return;
        list.Remove(c);
        foreach (var o in list) o.Send(Protocol.Encode(Service.OtherDeviceAuthen, new OtherDeviceAuthenNotice("disconnected", c.Id, c.BrowserId)));
        if (list.Count == 0) sessions.Remove(c.UserId);
    }

    /// <summary>Runs the time-driven part (routing timeouts) now.</summary>
    public async Task TickAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await StepAsync(clock()).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Pings every connection and closes those silent past the window (ping interval + grace, 15 s by default as the web SDK assumes).</summary>
    public async Task PingAsync(IEnumerable<Connection> all)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            var now = clock();
            foreach (var c in all)
            {
                if (now - c.LastReceived > config.PingIntervalMs + config.LivenessGraceMs) c.Close(WebSocketCloseStatus.PolicyViolation, "no packet within the ping window");
                else if (c.UserId is not null) c.Send(new Packet(Service.Ping, Json.Obj.Empty));
            }
        }
        finally
        {
            gate.Release();
        }
    }

    async Task StepAsync(long now)
    {
        // Routing may cascade (a timeout frees the chat for the next agent): repeat until nothing changes, boundedly.
        for (var i = 0; i < 8; i++)
        {
            var outcome = Routing.Step(state, rules, now, Online);
            if (outcome.Events.IsEmpty) return;
            await ApplyAsync(outcome, [], 0, None, now).ConfigureAwait(false);
            Deliver(outcome.Deliveries, now);
        }
    }

    async Task ApplyAsync(Outcome outcome, byte[] raw, short service, Option<long> requestId, long now)
    {
        if (outcome.Events.IsEmpty) return;
        foreach (var group in outcome.Events.GroupBy(StreamOf))
        {
            var records = group.Select(e => new ServerRecorded(new Envelope(group.Key, 0, 0, now, None, SeqOf(e), Origin.Received,
                service == 0 ? None : Some(service), requestId, new Raw(raw)), e)).ToList();
            var appended = await log.AppendAsync(group.Key, ExpectedVersion.Any, records).ConfigureAwait(false);
            // Never reply or fan out what was not recorded.
            if (appended.IsFail) throw new InvalidOperationException($"event log append failed: {appended}");
        }
        state = ServerState.Fold(state, outcome.Events);
        foreach (var e in outcome.Events) WriteEffects(e);
    }

    static string StreamOf(ServerEvent e) => e switch
    {
        ServerEvent.UserUpdated u => $"server/user/{u.UserId}",
        ServerEvent.UserBlocked u => $"server/user/{u.UserId}",
        ServerEvent.PushRegistered u => $"server/user/{u.UserId}",
        ServerEvent.PushUnregistered u => $"server/user/{u.UserId}",
        ServerEvent.CallStarted => "server/calls",
        ServerEvent.TicketCreated => "server/tickets",
        _ => $"server/conversation/{e.GetType().GetProperty("ConvId")?.GetValue(e) as string ?? "none"}",
    };

    static Option<long> SeqOf(ServerEvent e) => e is ServerEvent.MessagePosted m ? m.Seq : None;

    void Deliver(Seq<Delivery> deliveries, long now)
    {
        foreach (var d in deliveries)
            foreach (var user in d.Users.Distinct())
            {
                var live = sessions.TryGetValue(user, out var list) ? list.Where(x => d.ExceptConnection != Some(x.Id)).ToList() : [];
                foreach (var c in live) c.Send(d.Packet);
                if (d.PushIfOffline && !sessions.ContainsKey(user)) WritePush(user, d.Packet, now);
            }
    }

    void WritePush(string user, Packet packet, long now)
    {
        var tokens = state.PushTokens.Find(user).IfNone(Map<OrdStringOrdinal, string, int>());
        if (tokens.IsEmpty) return;
        var dir = Directory.CreateDirectory(Path.Combine(config.Outbox, "push")).FullName;
        foreach (var (token, deviceType) in tokens)
        {
            var record = Json.Object(("userId", user), ("deviceToken", token), ("deviceType", (long)deviceType), ("service", (long)packet.Service),
                ("data", packet.Body), ("at", now));
            File.WriteAllBytes(Path.Combine(dir, $"{now}-{Safe(user)}-{packet.Service}-{Guid.NewGuid():N}.json"), record.ToUtf8());
        }
    }

    void WriteEffects(ServerEvent e)
    {
        switch (e)
        {
            case ServerEvent.TranscriptRequested t:
                WriteTranscript(t);
                break;
            case ServerEvent.TicketCreated t:
            {
                var dir = Directory.CreateDirectory(Path.Combine(config.Outbox, "tickets")).FullName;
                File.WriteAllBytes(Path.Combine(dir, $"{t.At}-{Safe(t.Email)}.json"), Json.Object(("widgetKey", t.WidgetKey), ("name", t.Name),
                    ("email", t.Email), ("phone", t.Phone.IfNone("")), ("note", t.Note), ("at", t.At)).ToUtf8());
                break;
            }
        }
    }

    void WriteTranscript(ServerEvent.TranscriptRequested t)
    {
        var conv = state.Conversations.Find(t.ConvId);
        if (conv.IsNone) return;
        var c = (StoredConversation)conv;
        var body = new StringBuilder();
        foreach (var m in c.Messages.Values.Where(m => !m.Deleted && m.Type < 100 && m.Type != 7))
        {
            var text = m.Revoked ? "(message revoked)" : Domain.Client.Chat.TextOf(m.Content);
            body.Append(FormattableString.Invariant($"[{DateTimeOffset.FromUnixTimeMilliseconds(m.Created):u}] {state.NameOf(m.Sender)}: {text}\r\n"));
        }
        var eml = new StringBuilder()
            .Append("From: transcripts@").Append(string.IsNullOrEmpty(t.Domain) ? "localhost" : t.Domain).Append("\r\n")
            .Append("To: ").Append(t.Email).Append("\r\n")
            .Append("Subject: Chat transcript ").Append(c.Id).Append("\r\n")
            .Append("Date: ").Append(DateTimeOffset.FromUnixTimeMilliseconds(t.At).ToString("r", System.Globalization.CultureInfo.InvariantCulture)).Append("\r\n")
            .Append("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
            .Append(body);
        var dir = Directory.CreateDirectory(Path.Combine(config.Outbox, "transcripts")).FullName;
        File.WriteAllText(Path.Combine(dir, $"{t.At}-{Safe(c.Id)}.eml"), eml.ToString(), new UTF8Encoding(false));
    }

    static string Safe(string s) => new(s.Select(ch => char.IsLetterOrDigit(ch) || ch is '-' or '_' or '.' ? ch : '_').ToArray());

    static void Reply(Connection c, short service, Option<long> requestId, int r, string message)
    {
        var body = Json.Object(("r", (long)r), ("message", message));
        c.Send(new Packet(service, requestId.Match(id => body.With("requestId", id), () => body)));
    }

    /// <summary>Records an event decided outside a connection (REST endpoints).</summary>
    public async Task RecordAsync(ServerEvent e)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            await ApplyAsync(new Outcome(Seq1(e), None, Seq<Delivery>()), [], 0, None, clock()).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync()
    {
        gate.Dispose();
        return ValueTask.CompletedTask;
    }
}
