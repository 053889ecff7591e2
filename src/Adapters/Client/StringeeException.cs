namespace EventSourced.Adapters.Client;

/// <summary>
/// A call that failed, for callers who prefer exceptions to <c>Fin&lt;T&gt;</c>: thrown by <see cref="Throwing.OrThrowAsync{T}"/>
/// and <see cref="Throwing.OrThrow{T}"/>. <see cref="Code"/> is Stringee's: negative codes are the client's own (-1 not
/// connected, -2 invalid argument, -3 timeout or not found, -4 outcome unknown, -5 history not replayed), codes 1 to 15 of
/// a connect are AUTHEN's (<see cref="AuthenCodes"/>), and other positive codes are the chat answer's <c>r</c>
/// (<see cref="EventSourced.Domain.Server.ServerErrors"/> for this project's server).
/// </summary>
public sealed class StringeeException : Exception
{
    /// <summary>A failure with Stringee's code and message.</summary>
    /// <param name="code">Stringee's code.</param>
    /// <param name="message">Stringee's message.</param>
    public StringeeException(int code, string message) : base(message) => Code = code;

    /// <summary>An empty failure (-2).</summary>
    public StringeeException() : this(-2, "Generic error")
    {
    }

    /// <summary>A failure with a message (-2).</summary>
    /// <param name="message">What went wrong.</param>
    public StringeeException(string message) : this(-2, message)
    {
    }

    /// <summary>A failure with a message and its cause (-2).</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public StringeeException(string message, Exception innerException) : base(message, innerException) => Code = -2;

    /// <summary>Stringee's code.</summary>
    public int Code { get; }

    /// <summary>True for -4: the request went out and no answer came; the server may have applied it (read the state before retrying).</summary>
    public bool OutcomeUnknown => Code == Rejection.OutcomeUnknownCode;
}

/// <summary>The exception-throwing way to call: <c>var view = await client.SendTextAsync(conv, "hi").OrThrowAsync();</c></summary>
public static class Throwing
{
    /// <summary>The call's value, or a <see cref="StringeeException"/> with its code and message.</summary>
    /// <param name="call">A call of the client.</param>
    /// <returns>The value the call succeeded with.</returns>
    /// <exception cref="StringeeException">The call failed.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="call"/> is null.</exception>
    public static async Task<T> OrThrowAsync<T>(this Task<Fin<T>> call)
    {
        ArgumentNullException.ThrowIfNull(call);
        return (await call.ConfigureAwait(false)).OrThrow();
    }

    /// <summary>The value, or a <see cref="StringeeException"/> with the failure's code and message.</summary>
    /// <param name="result">A call's result.</param>
    /// <returns>The value the call succeeded with.</returns>
    /// <exception cref="StringeeException">The call failed.</exception>
    public static T OrThrow<T>(this Fin<T> result) => result.Match(v => v, e => throw new StringeeException(e.Code, e.Message));
}
