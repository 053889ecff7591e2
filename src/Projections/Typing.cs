namespace EventSourced.Projections;

/// <summary>Who is typing in each conversation right now (as last told by the server).</summary>
public static class Typing
{
    /// <summary>Read model state: conversation → user → display name.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, string>> ByConv)
    {
        /// <summary>Nobody typing.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Map<OrdStringOrdinal, string, string>>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = Reducers.OfEvents("typing", State.Initial, Evolve);

    /// <summary>Users typing in a conversation.</summary>
    public static Map<OrdStringOrdinal, string, string> In(State s, string convId) => s.ByConv.Find(convId).IfNone(Map<OrdStringOrdinal, string, string>());

    /// <summary>Applies one event. Total; unrelated events return the same instance.</summary>
    public static State Evolve(State s, Event e) => e switch
    {
        UserBeganTyping t => Set(s, t.Packet.ConvId, t.Packet.UserId, t.Packet.DisplayName.IfNone(t.Packet.UserId)),
        UserEndedTyping t => Clear(s, t.Packet.ConvId, t.Packet.UserId),
        MessageReceived m => Clear(s, m.Packet.ConvId, m.Packet.From), // a sent message ends typing
        Disconnected => s.ByConv.IsEmpty ? s : State.Initial, // notices may have been missed while away
        LocalDataCleared => State.Initial,
        _ => s,
    };

    static State Set(State s, string convId, string user, string name)
    {
        var users = In(s, convId);
        return users.Find(user) == Some(name) ? s : s with { ByConv = s.ByConv.AddOrUpdate(convId, users.AddOrUpdate(user, name)) };
    }

    static State Clear(State s, string convId, string user)
    {
        var users = In(s, convId);
        if (!users.ContainsKey(user)) return s;
        var rest = users.Remove(user);
        return s with { ByConv = rest.IsEmpty ? s.ByConv.Remove(convId) : s.ByConv.SetItem(convId, rest) };
    }
}
