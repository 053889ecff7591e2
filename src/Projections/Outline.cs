namespace EventSourced.Projections;

/// <summary>
/// What a streamed replay of a long log holds: every read model but the timeline, and the <see cref="Scopes"/> that say
/// which streams each conversation's timeline is folded from afterwards, one conversation at a time. The timeline is the
/// model that keeps every message with every version (O(messages × versions)); without it a replay keeps
/// O(conversations): each conversation's summary, participants and last message, its unread seqs, and the edit history
/// and revocations (O(edits + revocations)).
/// </summary>
/// <param name="Models">Every read model; <c>Timeline</c> stays empty.</param>
/// <param name="Scopes">Which conversations each conversation's timeline depends on.</param>
public sealed record Outline(ReadModels Models, Projections.Scopes.State Scopes)
{
    /// <summary>Before any event.</summary>
    public static readonly Outline Initial = new(ReadModels.Initial, Projections.Scopes.State.Initial);

    /// <summary>The reducer (same instance when nothing changed).</summary>
    public static readonly Reducer<Outline> Reducer = new("outline", Initial, Apply);

    /// <summary>Applies one fact.</summary>
    public static Outline Apply(Outline s, Fact f)
    {
        var models = ReadModels.Apply(s.Models, f, timeline: false);
        var scopes = Projections.Scopes.Apply(s.Scopes, f);
        return ReferenceEquals(models, s.Models) && ReferenceEquals(scopes, s.Scopes) ? s : new Outline(models, scopes);
    }

    /// <summary>
    /// The streams of <paramref name="user"/> a conversation's timeline is folded from, in no particular order: the session
    /// stream and the stream of every conversation of its scope. Folding their events in log order gives the conversation
    /// the timeline a fold of the whole log gives it.
    /// </summary>
    public static Seq<string> StreamsOf(Outline s, string user, string convId) =>
        Recording.SessionStream(user).Cons(Projections.Scopes.Of(s.Scopes, convId).Map(c => Recording.ConversationStream(user, c)).ToSeq());

    /// <summary>Which events are in the fold of a conversation's timeline (the session stream's and its scope's); the scope is looked up once.</summary>
    public static Func<Event, bool> Concerns(Outline s, string convId)
    {
        var scope = Projections.Scopes.Of(s.Scopes, convId);
        return e => Recording.ConversationOf(e).Match(scope.Contains, () => true);
    }
}
