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
