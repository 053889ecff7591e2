namespace EventSourced.Domain.Server;

/// <summary>
/// What the server accepts as an id, an e-mail address or a mail domain. Ids reach stream keys,
/// file names and terminals; addresses reach mail headers: anything with a control character
/// (CR/LF first of all) is refused before it is recorded. Pure.
/// </summary>
public static class Inputs
{
    /// <summary>The longest user id the server accepts (a token's <c>userId</c>, a participant).</summary>
    public const int MaxIdLength = 255;

    /// <summary>Why an id is refused, or None when it is acceptable: not blank, at most 255 characters, no control character.</summary>
    public static Option<string> IdProblem(string? id) =>
        string.IsNullOrWhiteSpace(id) ? "is empty"
        : id.Length > MaxIdLength ? $"is longer than {MaxIdLength} characters"
        : HasControl(id) ? "contains a control character"
        : None;

    /// <summary>True when the text holds a control character (C0, DEL, C1, or a line or paragraph separator).</summary>
    public static bool HasControl(string text)
    {
        foreach (var ch in text)
            if (char.IsControl(ch) || ch is '\u2028' or '\u2029') return true;
        return false;
    }

    /// <summary>An e-mail address of the plain form <c>local@domain</c>: at most 254 characters, no space, control character, quote or bracket.</summary>
    public static bool IsEmail(string? address)
    {
        if (string.IsNullOrEmpty(address) || address.Length > 254) return false;
        var at = address.LastIndexOf('@');
        if (at <= 0 || at > 64 || at == address.Length - 1) return false;
        foreach (var ch in address[..at])
            if (ch <= ' ' || ch >= '\u007f' || "()<>[]:;@\\,\"".Contains(ch, StringComparison.Ordinal)) return false;
        return IsDomain(address[(at + 1)..]);
    }

    /// <summary>A DNS host name: labels of letters, digits and inner hyphens, at most 253 characters.</summary>
    public static bool IsDomain(string? domain)
    {
        if (string.IsNullOrEmpty(domain) || domain.Length > 253) return false;
        foreach (var label in domain.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-') return false;
            foreach (var ch in label)
                if (!(char.IsAsciiLetterOrDigit(ch) || ch == '-')) return false;
        }
        return true;
    }
}
