namespace EventSourced.Domain;

/// <summary>
/// A refused command or a failed result, carrying Stringee's <c>code</c> and <c>message</c>.
/// SDK-local codes are negative (protocol §9.3): -1 not connected, -2 invalid argument,
/// -3 not found or timeout, and this project's -4 outcome unknown. Server codes are the response's <c>r</c>.
/// </summary>
public sealed record Rejection(int Code, string Message)
{
    /// <summary>-1: no authenticated session.</summary>
    public static readonly Rejection NotConnected = new(-1, "StringeeClient is not initialized or connected");
    /// <summary>-2 with the seed's generic text.</summary>
    public static readonly Rejection GenericError = new(-2, "Generic error");
    /// <summary>-2: the seed's text for an empty push token or custom message.</summary>
    public static readonly Rejection DataEmpty = new(-2, "Data is empty.");
    /// <summary>-2: missing conversation id.</summary>
    public static readonly Rejection ConversationIdNull = new(-2, "Conversation ID can not be null");
    /// <summary>-2: missing user id.</summary>
    public static readonly Rejection UserIdNull = new(-2, "User id can not be null");
    /// <summary>-2: missing message id.</summary>
    public static readonly Rejection MessageIdNull = new(-2, "Message ID can not be null");
    /// <summary>-3: a request with no answer in time.</summary>
    public static readonly Rejection Timeout = new(-3, "Request timeout");

    /// <summary>-4: the request went out and no answer came (or it could not be recorded): the server may or may not have applied it.</summary>
    public const int OutcomeUnknownCode = -4;

    /// <summary>
    /// A timed-out request. A read is a plain timeout (-3): it changed nothing. A command's outcome is
    /// unknown (-4), never reported as a failure: a message stays in the outbox and goes out again after
    /// the next connect, the server keeping one copy by its localDbId, so the caller must not send it
    /// again; for other commands read the state (it will show the effect if the server applied it).
    /// </summary>
    public static Rejection OutcomeUnknown(bool message, bool query) =>
        query ? Timeout
        : message ? new(OutcomeUnknownCode, "Outcome unknown: no answer from the server; the message stays in the outbox and is delivered at most once (do not send it again)")
        : new(OutcomeUnknownCode, "Outcome unknown: no answer from the server; it may have been applied (read the state before retrying)");

    /// <summary>-2 with a specific message.</summary>
    public static Rejection Invalid(string message) => new(-2, message);
    /// <summary>-3 with a specific message.</summary>
    public static Rejection NotFound(string message) => new(-3, message);

    /// <summary>-5: the local history could not be replayed (in time, or at all); the client does not connect on a partial state.</summary>
    public static Rejection ReplayIncomplete(string why) => new(-5, $"The local event log could not be replayed: {why}");

    /// <inheritdoc />
    public override string ToString() => $"{Code}: {Message}";
}

/// <summary>AUTHEN result codes (protocol §9.1) and the seed's texts for them.</summary>
public static class AuthenCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>Access token missing.</summary>
    public const int Empty = 1;
    /// <summary>Token cannot be decoded.</summary>
    public const int CannotDecode = 2;
    /// <summary>Token format invalid.</summary>
    public const int InvalidFormat = 3;
    /// <summary>Not HS256.</summary>
    public const int NotHs256 = 4;
    /// <summary>API key SID not found.</summary>
    public const int KeyNotFound = 5;
    /// <summary>Expired or invalid: the client asks the app for a new token.</summary>
    public const int Expired = 6;
    /// <summary>Payload incomplete.</summary>
    public const int InvalidPayload = 7;
    /// <summary>Project not found.</summary>
    public const int ProjectNotFound = 8;
    /// <summary>Signature does not verify.</summary>
    public const int BadSignature = 10;
    /// <summary>The server is a slave: reconnect to <c>change_to_server</c>.</summary>
    public const int ChangeServer = 15;

    /// <summary>The seed's message for an AUTHEN code.</summary>
    public static string Message(int code) => code switch
    {
        Ok => "Success",
        Empty => "Access token is empty",
        CannotDecode => "Access token can not be decoded",
        InvalidFormat => "Access token invalid format",
        NotHs256 => "Access token does not use HS256",
        KeyNotFound => "API key sid or account sid not found",
        Expired => "Access token expired or invalid",
        InvalidPayload => "Access token invalid payload",
        ProjectNotFound => "Project not found",
        BadSignature => "Access token signature is invalid",
        11 => "Account expired",
        12 => "Account deactivated",
        ChangeServer => "Current server is a slave; reconnect to change_to_server",
        _ => "Authentication failed",
    };
}
