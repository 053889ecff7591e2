using EventSourced.Projections;

namespace EventSourced.Tests.Properties.Domain.Client;

public sealed class SessionTests
{
    static readonly Reducer<Session.State> R = new("session", Session.State.Initial, Session.Apply);

    [Property(MaxTest = 200)] public Property Evolve_is_total() => Laws.Total(R);
    [Property(MaxTest = 200)] public Property Fold_splits() => Laws.FoldSplits(R);
    [Property(MaxTest = 200)] public Property A_duplicated_packet_changes_nothing() => Laws.DuplicateIsNoOp(R);

    [Fact]
    public void A_push_token_counts_as_registered_once_the_server_acknowledges_it()
    {
        var s = R.Run(R.Start, Seq1<Event>(
            new Event.PushRegisterRequested(new RegisterPush(3L, 2, "tok", None, true, false, None, None))));
        Assert.Empty(s.State.PushTokens);
        s = R.Step(s, new Event.RequestAcknowledged(39, new Ack(0, 3L, None)));
        Assert.Equal(Set("tok"), s.State.PushTokens);
    }

    [Fact]
    public void A_user_disconnect_stops_reconnecting_and_a_socket_drop_does_not()
    {
        var connected = R.Run(R.Start, Seq1<Event>(new Event.Connected(new AuthenResult(0, 1L, None, "a", None, None, None, None, None, None, None, None, None), false)));
        Assert.Equal(Session.Status.Connecting, R.Step(connected, new Event.Disconnected("reset", true)).State.Status);
        var stopped = R.Step(connected, new Event.DisconnectRequested());
        Assert.Equal(Session.Status.Disconnected, R.Step(stopped, new Event.Disconnected("closed", true)).State.Status);
    }

    [Fact]
    public void An_authentication_failure_keeps_the_stringee_code_and_message()
    {
        var s = R.Fold(Seq1<Event>(new Event.ConnectFailed(new AuthenResult(6, 1L, None, None, None, None, None, None, None, None, None, None, None))));
        Assert.Equal(Some(new Rejection(6, "Access token expired or invalid")), s.LastError);
    }
}
