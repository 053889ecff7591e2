namespace EventSourced.Projections;

/// <summary>The session read model (connection, user, project, push tokens): the Domain's own fold, exposed as a reducer.</summary>
public static class SessionView
{
    /// <summary>The reducer.</summary>
    public static readonly Reducer<Session.State> Reducer = new("session", Session.State.Initial, Session.Apply);
}
