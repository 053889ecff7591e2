namespace EventSourced.Adapters.Client;

/// <summary>onConnect / onDisConnect arguments.</summary>
public sealed record ConnectionChange(string UserId, long ProjectId, bool IsReconnecting);

/// <summary>onFailWithError arguments: the Stringee code and message.</summary>
public sealed record ConnectionError(string UserId, int Code, string Message);

/// <summary>onIncomingCall / onIncomingCall2 arguments.</summary>
public sealed record IncomingCall(string UserId, string CallId, string From, string To, string FromAlias, string ToAlias, int CallType,
    bool IsVideoCall, string CustomDataFromYourServer);

/// <summary>onObjectChange arguments: objectType 0 conversation / 1 message, changeType 0 insert / 1 update / 2 delete, and the objects.</summary>
public sealed record ObjectChange(int ObjectType, int ChangeType, Seq<object> ObjectChanges);

/// <summary>onTimeoutInQueue arguments.</summary>
public sealed record QueueTimeout(string ConvId, string CustomerId, string CustomerName);

/// <summary>onConversationEnded arguments.</summary>
public sealed record ConversationEnd(string ConvId, string EndedBy);

/// <summary>onUserBeginTyping / onUserEndTyping arguments.</summary>
public sealed record UserTyping(string ConvId, string UserId, string DisplayName);

/// <summary>What kind of recording fault.</summary>
public enum RecordingFaultKind
{
    /// <summary>The event log refused a write: the client stopped acknowledging and dropped the connection.</summary>
    StorageFailed = 0,
    /// <summary>The log takes writes again: gaps recorded, the client reconnects and catches up.</summary>
    StorageRecovered = 1,
    /// <summary>A frame from the server exceeded the client's limit: skipped, and recorded as malformed with its first bytes.</summary>
    FrameSkipped = 2,
    /// <summary>
    /// One of the user's streams had moved on when the client wrote to it: something else writes this user's log
    /// (another client of the same user on the same log). The event was appended after it; the record says so here.
    /// </summary>
    ConcurrentWriter = 3,
}

/// <summary>Something the client could not record or hold, as told on <see cref="StringeeClient.OnRecordingFault"/>.</summary>
public sealed record RecordingFault(RecordingFaultKind Kind, string Detail);

/// <summary>A request's answer never came or could not be recorded: the server may or may not have applied it.</summary>
public sealed class OutcomeUnknownException : Exception
{
    /// <summary>With the standard message.</summary>
    public OutcomeUnknownException() : base("the outcome of the request is unknown") { }
    /// <summary>With a message.</summary>
    public OutcomeUnknownException(string message) : base(message) { }
    /// <summary>With a message and a cause.</summary>
    public OutcomeUnknownException(string message, Exception inner) : base(message, inner) { }
}
