namespace EventSourced.Projections;

/// <summary>Every read model of the client, folded together from one event feed.</summary>
public sealed record ReadModels(
    Session.State Session,
    ConversationList.State Conversations,
    Timeline.State Timeline,
    Pins.State Pins,
    EditHistory.State Edits,
    Revokes.State Revokes,
    Coverage.State Coverage,
    Typing.State Typing,
    LiveChat.State LiveChat,
    CallLog.State Calls)
{
    /// <summary>Before any event.</summary>
    public static readonly ReadModels Initial = new(SessionView.Reducer.Initial, ConversationList.Reducer.Initial, Projections.Timeline.Reducer.Initial,
        Projections.Pins.Reducer.Initial, EditHistory.Reducer.Initial, Projections.Revokes.Reducer.Initial, Projections.Coverage.Reducer.Initial,
        Projections.Typing.Reducer.Initial, Projections.LiveChat.Reducer.Initial, CallLog.Reducer.Initial);

    /// <summary>The reducer of all read models (same instance when no model changed).</summary>
    public static readonly Reducer<ReadModels> Reducer = new("all", Initial, Evolve);

    /// <summary>Applies one event to every read model.</summary>
    public static ReadModels Evolve(ReadModels s, Event e)
    {
        var n = new ReadModels(
            SessionView.Reducer.Evolve(s.Session, e),
            ConversationList.Evolve(s.Conversations, e),
            Projections.Timeline.Evolve(s.Timeline, e),
            Projections.Pins.Evolve(s.Pins, e),
            EditHistory.Evolve(s.Edits, e),
            Projections.Revokes.Evolve(s.Revokes, e),
            Projections.Coverage.Evolve(s.Coverage, e),
            Projections.Typing.Evolve(s.Typing, e),
            Projections.LiveChat.Evolve(s.LiveChat, e),
            CallLog.Evolve(s.Calls, e));
        return ReferenceEquals(n.Session, s.Session) && ReferenceEquals(n.Conversations, s.Conversations) && ReferenceEquals(n.Timeline, s.Timeline)
            && ReferenceEquals(n.Pins, s.Pins) && ReferenceEquals(n.Edits, s.Edits) && ReferenceEquals(n.Revokes, s.Revokes)
            && ReferenceEquals(n.Coverage, s.Coverage) && ReferenceEquals(n.Typing, s.Typing) && ReferenceEquals(n.LiveChat, s.LiveChat)
            && ReferenceEquals(n.Calls, s.Calls) ? s : n;
    }
}
