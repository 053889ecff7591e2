using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using EventSourced.Adapters.Storage;
using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace EventSourced.Adapters.Server;

/// <summary>
/// The server's single writer. Every request is handled in turn: read the state, decide (pure),
/// append the events to the log, fold them, then reply and fan out. Routing timeouts run as
/// ticks through the same path. Nothing but the log and this fold holds server state.
/// A failed append is never ignored: the request is answered <c>r = 19</c> (nothing of it was
/// applied), the state is reloaded from the log before the next decision (the append may have
/// committed after all), and nothing of it is replied or fanned out.
/// </summary>
public sealed partial class Hub : IAsyncDisposable
{
    readonly ServerConfig config;
    readonly ServerRules rules;
    readonly IEventLog<ServerRecorded> log;
    readonly Func<long> clock;
    readonly SemaphoreSlim gate = new(1, 1);
    readonly Dictionary<string, List<Connection>> sessions = new(StringComparer.Ordinal);
    readonly Dictionary<string, (double Tokens, long At)> buckets = new(StringComparer.Ordinal);
    readonly ILogger logger;
    readonly Outbox outbox;
    ServerState state = ServerState.Initial;
    bool stale;
    long nextConnectionId;

    /// <summary>A hub over a log; call <see cref="LoadAsync"/> to rebuild state from it.</summary>
    public Hub(ServerConfig config, IEventLog<ServerRecorded> log, Func<long> clock, ILogger? logger = null)
    {
        this.config = config;
        this.log = log;
        this.clock = clock;
        this.logger = logger ?? NullLogger.Instance;
        outbox = new Outbox(config.Outbox, this.logger);
        rules = config.Rules;
    }

    /// <summary>The current state (for tests and tools).</summary>
    public ServerState State => state;

    /// <summary>Failed appends since start (each answered r = 19 and followed by a reload).</summary>
    public long FailedAppends => Interlocked.Read(ref failedAppends);
    long failedAppends;

    /// <summary>
    /// Rebuilds the state from the log (a restart loses nothing that was appended); a log without an id
    /// epoch gets one, drawn at random, so no id issued from now on can repeat one issued before a restart.
    /// </summary>
    public async Task LoadAsync(CancellationToken ct = default)
    {
        state = await FoldLogAsync(ct).ConfigureAwait(false);
        if (state.Epoch.Length > 0) return;
        var epoch = new ServerEvent.IdEpochStarted(RandomNumberGenerator.GetString("abcdefghijkmnpqrstuvwxyz23456789", 8), clock());
        var appended = await ApplyAsync(new Outcome(Seq1<ServerEvent>(epoch), None, Seq<Delivery>()), [], 0, None, clock()).ConfigureAwait(false);
        if (appended.IsFail) throw new InvalidOperationException($"could not record the id epoch: {appended}");
    }

    // The whole server state, folded from the log (at start, and after a failed append).
    async Task<ServerState> FoldLogAsync(CancellationToken ct)
    {
        var loaded = ServerState.Initial;
        await foreach (var r in log.ReadAllAsync(1, ct).ConfigureAwait(false)) loaded = ServerState.Evolve(loaded, r.Event);
        return loaded;
    }

    // After a failed append the state may lack what the log holds: fold it again before deciding anything.
    async Task<bool> FreshAsync()
    {
        if (!stale) return true;
        try
        {
            state = await FoldLogAsync(CancellationToken.None).ConfigureAwait(false);
            stale = false;
            LogReloaded(logger, log.LastPosition);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogReloadFailed(logger, ex);
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "server state reloaded from the log after a failed append (last position {Position})")]
    static partial void LogReloaded(ILogger logger, long position);
    [LoggerMessage(Level = LogLevel.Warning, Message = "server state could not be reloaded from the log yet")]
    static partial void LogReloadFailed(ILogger logger, Exception ex);
    [LoggerMessage(Level = LogLevel.Error, Message = "event log append failed for stream {Stream}: {Reason}")]
    static partial void LogAppendFailed(ILogger logger, string stream, string reason);
    [LoggerMessage(Level = LogLevel.Error, Message = "request on service {Service} failed")]
    static partial void LogRequestFailed(ILogger logger, short service, Exception ex);

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

    /// <summary>Handles one frame from a connection. Never throws: any failure is answered with the request's id.</summary>
    public async Task ReceiveAsync(Connection c, byte[] raw, bool binary)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        short service = 0;
        Option<long> requestId = None;
        try
        {
            var now = clock();
            c.LastReceived = now;
            var frame = binary ? Frame.DecodeBinary(raw, config.MaxFrameBytes) : Frame.DecodeText(raw, config.MaxFrameBytes);
            if (frame.IsLeft)
            {
                // A frame that cannot be read is answered by its requestId when that can still be made out (a number out of range
                // elsewhere in it, a cut frame), so the caller does not wait for a timeout; otherwise on service 0.
                var (s, id) = Lenient(raw);
                Reply(c, id.IsSome ? s : (short)0, id, ServerErrors.InvalidRequest, $"unreadable frame: {frame.LeftToSeq().Head.Reason}");
                return;
            }
            var packet = (Packet)frame;
            service = packet.Service;
            requestId = packet.RequestId;
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
            if (!Allow(c.UserId!, now))
            {
                Reply(c, packet.Service, packet.RequestId, ServerErrors.RateLimited, $"too many requests: at most {config.UserRequestsPerSecond:0} a second; retry later");
                return;
            }
            if (!await FreshAsync().ConfigureAwait(false))
            {
                Reply(c, packet.Service, packet.RequestId, ServerErrors.StorageUnavailable, "the server cannot record requests right now (storage unavailable); nothing was applied, retry");
                return;
            }
            var outcome = ServerDecider.Handle(state, rules, new Caller(c.UserId!, c.Id, c.ProjectId, c.ServiceId), (Service)packet.Service, body, now);
            var applied = await ApplyAsync(outcome, raw, packet.Service, packet.RequestId, now).ConfigureAwait(false);
            if (applied.IsFail)
            {
                Reply(c, packet.Service, packet.RequestId, ServerErrors.StorageUnavailable, "the server could not record this request (storage unavailable); retry");
                return;
            }
            foreach (var reply in outcome.Reply) c.Send(new Packet(packet.Service, reply));
            Deliver(outcome.Deliveries, now);
            await StepAsync(now).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            LogRequestFailed(logger, service, ex);
            Reply(c, service, requestId, ServerErrors.InvalidRequest, "the request could not be handled (internal error)");
        }
        finally
        {
            gate.Release();
        }
    }

    [GeneratedRegex("\"service\"\\s*:\\s*(-?\\d{1,5})\\b")]
    private static partial Regex ServiceField();
    [GeneratedRegex("\"requestId\"\\s*:\\s*(\\d{1,18})\\b")]
    private static partial Regex RequestIdField();

    /// <summary>The service and requestId of a frame that does not parse (a number out of range, a cut frame), when they can be made out.</summary>
    static (short Service, Option<long> RequestId) Lenient(byte[] raw)
    {
        var text = System.Text.Encoding.UTF8.GetString(raw, 0, Math.Min(raw.Length, 64 * 1024));
        var s = ServiceField().Match(text);
        var r = RequestIdField().Match(text);
        var service = s.Success && short.TryParse(s.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var sv) ? sv : (short)0;
        var id = r.Success && long.TryParse(r.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture, out var rv) ? Some(rv) : None;
        return (service, id);
    }

    // A token bucket per user: bursts pass, a sustained flood is answered r = 20.
    bool Allow(string user, long now)
    {
        var (tokens, at) = buckets.TryGetValue(user, out var b) ? b : (config.UserBurst, now);
        tokens = Math.Min(config.UserBurst, tokens + (now - at) * config.UserRequestsPerSecond / 1000.0);
        if (tokens < 1)
        {
            buckets[user] = (tokens, now);
            return false;
        }
        buckets[user] = (tokens - 1, now);
        return true;
    }

    void Authenticate(Connection c, Authen a, long now)
    {
        var verified = TokenIssuer.Verify(config, a.Accesstoken, now / 1000);
        if (verified.IsLeft)
        {
            var code = verified.LeftToSeq().Head;
            Telemetry.Rejected.Add(1, Telemetry.CodeTags(code, "authen"));
            c.Send(Protocol.Encode(Service.Authen, new AuthenResult(code, a.RequestId, AuthenCodes.Message(code), None, None, None, None, None, None, None, None, None, None)));
            return;
        }
        var claims = (Claims)verified;
        if (claims.Rest)
        {
            Telemetry.Rejected.Add(1, Telemetry.CodeTags(AuthenCodes.InvalidPayload, "authen"));
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
        if (list.Count == 0)
        {
            sessions.Remove(c.UserId);
            buckets.Remove(c.UserId);
        }
    }

    /// <summary>Runs the time-driven part (routing timeouts) now.</summary>
    public async Task TickAsync()
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (await FreshAsync().ConfigureAwait(false)) await StepAsync(clock()).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Closes sockets that have not authenticated within <see cref="ServerConfig.AuthenTimeoutMs"/> (a PING does not count).</summary>
    public void CloseUnauthenticated(IEnumerable<Connection> all)
    {
        var now = clock();
        foreach (var c in all)
            if (c.UserId is null && now - c.OpenedAt > config.AuthenTimeoutMs) c.Close(WebSocketCloseStatus.PolicyViolation, "no AUTHEN within the time allowed");
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
            // A failed append leaves the routing step for the next tick, after the state is reloaded.
            if ((await ApplyAsync(outcome, [], 0, None, now).ConfigureAwait(false)).IsFail) return;
            Deliver(outcome.Deliveries, now);
        }
    }

    async Task<Fin<Unit>> ApplyAsync(Outcome outcome, byte[] raw, short service, Option<long> requestId, long now)
    {
        if (outcome.Events.IsEmpty) return unit;
        // One append per stream, each folded once it is durable: the state never holds what the log does not.
        foreach (var group in outcome.Events.GroupBy(StreamOf))
        {
            var records = group.Select(e => new ServerRecorded(new Envelope(group.Key, 0, 0, now, None, SeqOf(e), Origin.Received,
                service == 0 ? None : Some(service), requestId, new Raw(raw)), e)).ToList();
            Fin<AppendResult> appended;
            try
            {
                appended = await log.AppendAsync(group.Key, ExpectedVersion.Any, records).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                appended = Error.New(ex);
            }
            if (appended.IsFail)
            {
                // Never reply or fan out what was not recorded; the append's outcome is unknown, so reload before the next decision.
                stale = true;
                Interlocked.Increment(ref failedAppends);
                LogAppendFailed(logger, group.Key, appended.Match(_ => "", e => e.Message));
                return appended.Map(_ => unit);
            }
            state = ServerState.Fold(state, group);
            foreach (var e in group) WriteEffects(e);
        }
        return unit;
    }

    static string StreamOf(ServerEvent e) => e switch
    {
        ServerEvent.UserUpdated u => UserStream(u.UserId),
        ServerEvent.UserBlocked u => UserStream(u.UserId),
        ServerEvent.PushRegistered u => UserStream(u.UserId),
        ServerEvent.PushUnregistered u => UserStream(u.UserId),
        ServerEvent.CallStarted => "server/calls",
        ServerEvent.TicketCreated => "server/tickets",
        ServerEvent.IdEpochStarted => "server/ids",
        IInConversation c => $"server/conversation/{Recording.KeyPart(c.ConvId)}",
        _ => "server/conversation/none",
    };

    // Ids are encoded as in the client's keys, so no id can name another's stream.
    static string UserStream(string user) => $"server/user/{Recording.KeyPart(user)}";

    static Option<long> SeqOf(ServerEvent e) => e is ServerEvent.MessagePosted m ? m.Seq : None;

    void Deliver(Seq<Delivery> deliveries, long now)
    {
        foreach (var d in deliveries)
            foreach (var user in d.Users.Distinct())
            {
                var live = sessions.TryGetValue(user, out var list) ? list.Where(x => d.ExceptConnection != Some(x.Id)).ToList() : [];
                foreach (var c in live) c.Send(d.Packet);
                // A push record that cannot be written is logged by the outbox; the delivery to everyone else goes on.
                if (d.PushIfOffline && !sessions.ContainsKey(user))
                    foreach (var tokens in state.PushTokens.Find(user).Filter(t => !t.IsEmpty)) outbox.Push(user, tokens, d.Packet, now);
            }
    }

    void WriteEffects(ServerEvent e)
    {
        switch (e)
        {
            case ServerEvent.TranscriptRequested t:
                foreach (var c in state.Conversations.Find(t.ConvId)) outbox.Transcript(state, c, t);
                break;
            case ServerEvent.TicketCreated t:
                outbox.Ticket(t);
                break;
        }
    }

    static void Reply(Connection c, short service, Option<long> requestId, int r, string message)
    {
        if (r != 0) Telemetry.Rejected.Add(1, Telemetry.CodeTags(r, "chat"));
        var body = Json.Object(("r", (long)r), ("message", message));
        c.Send(new Packet(service, requestId.Match(id => body.With("requestId", id), () => body)));
    }

    /// <summary>Records an event decided outside a connection (REST endpoints); fails when it could not be recorded.</summary>
    public async Task<Fin<Unit>> RecordAsync(ServerEvent e)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!await FreshAsync().ConfigureAwait(false)) return Error.New(ServerErrors.StorageUnavailable, "storage unavailable");
            return await ApplyAsync(new Outcome(Seq1(e), None, Seq<Delivery>()), [], 0, None, clock()).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Mints a visitor identity (random, never one the server knows) and records its profile.</summary>
    public async Task<Fin<string>> NewVisitorAsync(Option<string> name, Option<string> email)
    {
        await gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (!await FreshAsync().ConfigureAwait(false)) return Error.New(ServerErrors.StorageUnavailable, "storage unavailable");
            for (var attempt = 0; attempt < 4; attempt++)
                foreach (var visitor in ServerDecider.NewVisitor(state, rules, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))))
                {
                    var recorded = await ApplyAsync(new Outcome(Seq1<ServerEvent>(new ServerEvent.UserUpdated(visitor, name, email, None, None, clock())), None, Seq<Delivery>()),
                        [], 0, None, clock()).ConfigureAwait(false);
                    return recorded.Map(_ => visitor);
                }
            return Error.New(ServerErrors.InvalidRequest, "could not mint a visitor identity");
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
