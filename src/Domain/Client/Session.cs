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
        Option<string> Server, Set<OrdStringOrdinal, string> PushTokens)
    {
        /// <summary>Before anything happened.</summary>
        public static readonly State Initial = new(Status.Disconnected, None, None, None, None, 0, false, false, None, None,
            Set<OrdStringOrdinal, string>());

        /// <summary>True when authenticated.</summary>
        public bool IsConnected => Status == Status.Connected;
    }

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(PushRegisterRequested r, _, _) => s with { PushTokens = s.PushTokens.AddOrUpdate(r.Request.DeviceToken) },
        Fact.Confirmed(PushUnregisterRequested u, _, _) => s with { PushTokens = s.PushTokens.Remove(u.Request.DeviceToken) },
        Fact.Of o => Observe(s, o.Event),
        _ => s,
    };

    static State Observe(State s, Event e) => e switch
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
        },
        Disconnected d => s with
        {
            Status = d.IsReconnecting && !s.StoppedByUser ? Status.Connecting : Status.Disconnected,
        },
        DisconnectRequested => s with { Status = Status.Disconnected, StoppedByUser = true },
        _ => s,
    };
}
