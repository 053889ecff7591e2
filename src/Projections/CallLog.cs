namespace EventSourced.Projections;

/// <summary>Calls this client rang or started (signalling only).</summary>
public static class CallLog
{
    /// <summary>A call.</summary>
    public sealed record Call(string CallId, string From, string To, Option<string> FromAlias, Option<string> ToAlias, int CallType,
        bool IsVideo, bool IsCall2, bool Incoming, Option<string> CustomData);

    /// <summary>Read model state; <c>Order</c> keeps first-seen order.</summary>
    public sealed record State(Map<OrdStringOrdinal, string, Call> ByCallId, Seq<string> Order)
    {
        /// <summary>No call.</summary>
        public static readonly State Initial = new(Map<OrdStringOrdinal, string, Call>(), Seq<string>());
    }

    /// <summary>The reducer.</summary>
    public static readonly Reducer<State> Reducer = new("call-log", State.Initial, Apply);

    /// <summary>Calls in the order first seen.</summary>
    public static Seq<Call> Calls(State s) => s.Order.Map(id => s.ByCallId[id]);

    /// <summary>Applies one fact. Total; unrelated facts return the same instance.</summary>
    public static State Apply(State s, Fact f) => f switch
    {
        Fact.Confirmed(CallStartRequested q, CallStarted r, _) => Add(s, new Call(r.Result.CallId, q.Request.FromNumber.IfNone(""), q.Request.ToNumber,
            None, None, 0, q.Request.Video.IfNone(false), q.Request.Call2.IfNone(false), false, q.Request.Custom)),
        Fact.Observed { Event: IncomingCallReceived c } => Add(s, Incoming(c.Packet, false)),
        Fact.Observed { Event: IncomingCall2Received c } => Add(s, Incoming(c.Packet, true)),
        _ => s,
    };

    // callType as the seed defines it: 1 app-to-app incoming, 3 phone-to-app.
    static Call Incoming(IncomingCallNotice n, bool call2) =>
        new(n.CallId, n.FromNumber, n.ToNumber, n.FromAlias, n.ToAlias, n.FromInternal.IfNone(true) ? 1 : 3, n.Video, call2, true, n.CustomDataFromYourServer);

    static State Add(State s, Call c) => s.ByCallId.ContainsKey(c.CallId) ? s
        : s with { ByCallId = s.ByCallId.Add(c.CallId, c), Order = s.Order.Add(c.CallId) };
}
