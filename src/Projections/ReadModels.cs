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
    public static readonly Reducer<ReadModels> Reducer = new("all", Initial, Apply);

    /// <summary>Applies one fact to every read model.</summary>
    public static ReadModels Apply(ReadModels s, Fact f) => Apply(s, f, timeline: true);

    /// <summary>Applies one fact to every read model, or to every one but the timeline (which then stays as it is).</summary>
    public static ReadModels Apply(ReadModels s, Fact f, bool timeline)
    {
        var n = new ReadModels(
            SessionView.Reducer.Apply(s.Session, f),
            ConversationList.Apply(s.Conversations, f),
            timeline ? Projections.Timeline.Apply(s.Timeline, f) : s.Timeline,
            Projections.Pins.Apply(s.Pins, f),
            EditHistory.Apply(s.Edits, f),
            Projections.Revokes.Apply(s.Revokes, f),
            Projections.Coverage.Reducer.Apply(s.Coverage, f),
            Projections.Typing.Reducer.Apply(s.Typing, f),
            Projections.LiveChat.Apply(s.LiveChat, f),
            CallLog.Apply(s.Calls, f));
        return ReferenceEquals(n.Session, s.Session) && ReferenceEquals(n.Conversations, s.Conversations) && ReferenceEquals(n.Timeline, s.Timeline)
            && ReferenceEquals(n.Pins, s.Pins) && ReferenceEquals(n.Edits, s.Edits) && ReferenceEquals(n.Revokes, s.Revokes)
            && ReferenceEquals(n.Coverage, s.Coverage) && ReferenceEquals(n.Typing, s.Typing) && ReferenceEquals(n.LiveChat, s.LiveChat)
            && ReferenceEquals(n.Calls, s.Calls) ? s : n;
    }
}
