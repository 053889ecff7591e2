using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>Builders of the server packets and user commands that scenarios are written in.</summary>
public static class Scenario
{
    /// <summary>One user's recording of the events: each in its stream, at positions 1.., received at 1,000 ms on.</summary>
    public static Seq<Recorded> Recordings(string user, params Event[] events) => events.Select((e, i) =>
        new Recorded(new Envelope(Recording.StreamOf(user, e), i + 1, i + 1, 1_000 + i, None, None, Origin.Received, None, None, Raw.None), e)).ToSeq();

    public static Event Connected(string user) =>
        new Event.Connected(new AuthenResult(0, 1L, None, user, None, 1L, 1L, 60_000L, None, None, false, None, None), false);

    public static ConversationInfo Conversation(string id, params string[] users) =>
        new(id, "team", true, false, users[0], 1, 1, None, 0, 1L, None, None, None, None, 0, None, None, None, None, None, None, None, None, None,
            toSeq(users.Select((u, i) => new Participant(u, None, None, i == 0 ? "admin" : "member", None, None))).Strict());

    public static Event Created(string id, params string[] users) =>
        new Event.ConversationCreated(new CreateConversationResult(0, 1L, id, Conversation(id, users), None));

    public static Event Received(string conv, string id, long seq, string from, string text) =>
        new Event.MessageReceived(new MessageNotice(conv, id, from, 1_000 + seq, seq, 1, Json.Object(("content", text)), None, None, None, None, None, None));

    public static Event SendRequested(long requestId, string conv, string localId, string text) =>
        new Event.MessageSendRequested(new SendMessage(requestId, conv, 1, Json.Object(("content", text)), localId));

    public static Event Sent(long requestId, string conv, string localId, string id, long seq) =>
        new Event.MessageSent(new SendMessageResult(0, requestId, conv, id, seq, 1_000 + seq, localId, 0));

    public static Event Edited(string conv, string id, string text) =>
        new Event.MessageEdited(new EditNotice(conv, id, new Json.Str(Json.Object(("content", text)).ToJsonString())));

    public static Event Pinned(string conv, string id, bool pin) => new Event.MessagePinChanged(new PinNotice(conv, id, pin));

    public static Event Revoked(string conv, string id) => new Event.MessagesRevoked(new RevokeNotice(conv, Seq1(id)));

    public static Event Report(string conv, string from, long seq, int status) =>
        new Event.MessageReportReceived(new ReportNotice(conv, from, seq, status));

    /// <summary>The canonical scenario: create a group, send, edit twice, pin, revoke, unpin, read reports.</summary>
    public static Seq<Event> Canonical => Seq(
        Connected("alice"),
        Created("c1", "alice", "bob", "carol"),
        SendRequested(2, "c1", "l1", "hello team"),
        Sent(2, "c1", "l1", "m2", 2),
        Received("c1", "m3", 3, "bob", "hi alice"),
        Received("c1", "m4", 4, "carol", "morning"),
        Edited("c1", "m3", "hi alice!"),
        Edited("c1", "m3", "hi Alice!"),
        Pinned("c1", "m3", true),
        Revoked("c1", "m4"),
        Pinned("c1", "m3", false),
        Report("c1", "bob", 2, 1),
        Report("c1", "bob", 2, 2),
        Report("c1", "carol", 2, 1),
        new Event.ConversationReadMarked(new ReportMessage(3L, "c1", 4, 2_000L, 2)));

    public static ReadModels Fold(Seq<Event> events) => ReadModels.Reducer.Fold(events);
}
