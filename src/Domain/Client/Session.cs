using EventSourced.Domain.Packets;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Domain.Client;

/// <summary>The client's session: connection, user, project and push tokens.</summary>
public static class Session
{
    /// <summary>Connection status.</summary>
    public enum Status
    {
        /// <summary>Not connected, and not trying.</summary>
        Disconnected = 0,
        /// <summary>Trying to connect or reconnect.</summary>
        Connecting = 1,
        /// <summary>Authenticated.</summary>
        Connected = 2,
    }

    /// <summary>Session state.</summary>
    public sealed record State(Status Status, Option<string> UserId, Option<long> ProjectId, Option<long> ConnectionId,
        Option<string> DisplayName, long PingAfterMs, bool ChatAgent, bool StoppedByUser, Option<Rejection> LastError,
        Option<string> Server, Set<OrdStringOrdinal, string> PushTokens, Pending Pending)
    {
        /// <summary>Before anything happened.</summary>
        public static readonly State Initial = new(Status.Disconnected, None, None, None, None, 0, false, false, None, None,
            Set<OrdStringOrdinal, string>(), Pending.Empty);

        /// <summary>True when authenticated.</summary>
        public bool IsConnected => Status == Status.Connected;
    }

    /// <summary>Applies one event. Total; unrelated events return the same instance.</summary>
    public static State Evolve(State s, Event e) => e switch
    {
        ConnectRequested c => s with { Status = s.IsConnected ? s.Status : Status.Connecting, StoppedByUser = false, UserId = c.UserId || s.UserId },
        TransportOpened t => s.Server == Some(t.Server) ? s : s with { Server = t.Server },
        Connected c => s with
        {
            Status = Status.Connected, UserId = c.Result.UserId || s.UserId, ProjectId = c.Result.ProjectId,
            ConnectionId = c.Result.ConnectionId, DisplayName = c.Result.DisplayName, PingAfterMs = c.Result.PingAfterMs.IfNone(0),
            ChatAgent = c.Result.ChatAgent.IfNone(false), LastError = None,
        },
        ConnectFailed f => s with
        {
            Status = f.Result.R == AuthenCodes.ChangeServer ? Status.Connecting : Status.Disconnected,
            LastError = new Rejection(f.Result.R, f.Result.Message.IfNone(AuthenCodes.Message(f.Result.R))),
            Pending = Pending.Empty,
        },
        Disconnected d => s with
        {
            Status = d.IsReconnecting && !s.StoppedByUser ? Status.Connecting : Status.Disconnected, Pending = Pending.Empty,
        },
        DisconnectRequested => s with { Status = Status.Disconnected, StoppedByUser = true, Pending = Pending.Empty },
        PushRegisterRequested or PushUnregisterRequested => s with { Pending = s.Pending.Track(e) },
        RequestAcknowledged a => s.Pending.Find(a.Result.RequestId).Match(
            Some: cmd => s with { Pending = s.Pending.Forget(a.Result.RequestId), PushTokens = cmd switch
            {
                PushRegisterRequested r => s.PushTokens.AddOrUpdate(r.Request.DeviceToken),
                PushUnregisterRequested u => s.PushTokens.Remove(u.Request.DeviceToken),
                _ => s.PushTokens,
            } },
            None: () => s),
        RequestFailed f => Forget(s, f.Result.RequestId),
        RequestTimedOut t => Forget(s, Some(t.RequestId)),
        _ => s,
    };

    static State Forget(State s, Option<long> id) => s.Pending.Drop(s, id, p => s with { Pending = p });

    /// <summary>Applies events in order.</summary>
    public static State Fold(State s, Seq<Event> events) => events.Fold(s, Evolve);
}
