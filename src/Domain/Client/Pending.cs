namespace EventSourced.Domain.Client;

/// <summary>
/// Outstanding requests by <c>requestId</c>, so a reducer can apply a bare acknowledgement
/// (<c>{r:0, requestId}</c>) as the effect of the command it answers. Cleared when a connection
/// ends: no answer can arrive on a closed socket, and request ids restart per connection.
/// </summary>
public sealed record Pending(Map<long, Event> Requests)
{
    /// <summary>No outstanding request.</summary>
    public static readonly Pending Empty = new(Map<long, Event>());

    /// <summary>Remembers a command event that carries a request id (same instance when it has none).</summary>
    public Pending Track(Event e) => Recording.RequestIdOf(e).Match(id => new Pending(Requests.AddOrUpdate(id, e)), () => this);

    /// <summary>The command a response answers.</summary>
    public Option<Event> Find(Option<long> requestId) => requestId.Bind(id => Requests.Find(id));

    /// <summary>
    /// A state with the command that <paramref name="requestId"/> answers applied by <paramref name="effect"/>
    /// and forgotten; the same state when nothing was waiting for that id.
    /// </summary>
    public S Answer<S>(S state, Option<long> requestId, Func<Pending, S> withPending, Func<S, Event, S> effect) =>
        Find(requestId).Match(cmd => effect(withPending(Forget(requestId)), cmd), () => state);

    /// <summary>A state with a failed or timed-out request forgotten; the same state when it was not waiting.</summary>
    public S Drop<S>(S state, Option<long> requestId, Func<Pending, S> withPending)
    {
        var rest = Forget(requestId);
        return ReferenceEquals(rest, this) ? state : withPending(rest);
    }

    /// <summary>Forgets an answered, failed or timed-out request (same instance when unknown).</summary>
    public Pending Forget(Option<long> requestId) =>
        requestId.Match(id => Requests.ContainsKey(id) ? new Pending(Requests.Remove(id)) : this, () => this);
}
