using System.Security.Cryptography;
using System.Text;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;
using Microsoft.Extensions.Logging;
using MimeKit;

namespace EventSourced.Adapters.Server;

/// <summary>
/// The files the server hands to the outside world: push records for offline devices, live-chat
/// tickets and transcript mails (.eml), in a folder only this user can read (0700, files 0600).
/// File names are derived from ids safely (a short readable prefix and a hash, whatever the id
/// holds); mail is built by MimeKit, which encodes every header. A write that fails is logged and
/// reported, never thrown: an outbox file can never break a delivery.
/// </summary>
public sealed class Outbox(string root, ILogger logger)
{
    const UnixFileMode PrivateDir = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    long sequence;

    /// <summary>The folder it writes in.</summary>
    public string Root => root;

    /// <summary>A file-name part for any id: up to 32 safe characters of it, then 16 hex digits of its SHA-256 (distinct ids, distinct names).</summary>
    public static string SafeName(string id)
    {
        var readable = new string(id.Take(32).Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' ? ch : '_').ToArray());
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)))[..16];
        return $"{readable}-{hash}";
    }

    string Folder(string name)
    {
        var dir = Path.Combine(root, name);
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(dir);
        else
        {
            Directory.CreateDirectory(root, PrivateDir);
            Directory.CreateDirectory(dir, PrivateDir);
        }
        return dir;
    }

    Fin<string> Write(string folder, string name, byte[] bytes)
    {
        try
        {
            var path = Path.Combine(Folder(folder), name);
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows()) options.UnixCreateMode = PrivateFile;
            using (var f = new FileStream(path, options)) f.Write(bytes);
            return path;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            logger.LogError(ex, "outbox: could not write {Folder} file", folder);
            return Error.New($"outbox: could not write a {folder} file: {ex.Message}");
        }
    }

    string Unique(long now, string id, string ext) =>
        FormattableString.Invariant($"{now}-{Interlocked.Increment(ref sequence)}-{SafeName(id)}{ext}");

    /// <summary>A push record per device token of an offline user.</summary>
    public Fin<Unit> Push(string user, Map<OrdStringOrdinal, string, int> tokens, Packet packet, long now)
    {
        foreach (var (token, deviceType) in tokens)
        {
            var record = Json.Object(("userId", user), ("deviceToken", token), ("deviceType", (long)deviceType), ("service", (long)packet.Service),
                ("data", packet.Body), ("at", now));
            var written = Write("push", Unique(now, user, ".json"), record.ToUtf8());
            if (written.IsFail) return written.Map(_ => unit);
        }
        return unit;
    }

    /// <summary>A live-chat ticket.</summary>
    public Fin<Unit> Ticket(ServerEvent.TicketCreated t) =>
        Write("tickets", Unique(t.At, t.Email, ".json"), Json.Object(("widgetKey", t.WidgetKey), ("name", t.Name), ("email", t.Email),
            ("phone", t.Phone.IfNone("")), ("note", t.Note), ("at", t.At)).ToUtf8()).Map(_ => unit);

    /// <summary>
    /// A transcript mail of a conversation to the address the request named (validated by the
    /// decider; MimeKit refuses and encodes anything a header cannot hold).
    /// </summary>
    public Fin<Unit> Transcript(ServerState state, StoredConversation c, ServerEvent.TranscriptRequested t)
    {
        try
        {
            var text = new StringBuilder();
            foreach (var m in c.Messages.Values.Where(m => !m.Deleted && m.Type < 100 && m.Type != 7))
            {
                var line = m.Revoked ? "(message revoked)" : Domain.Client.Chat.TextOf(m.Content);
                text.Append(FormattableString.Invariant($"[{DateTimeOffset.FromUnixTimeMilliseconds(m.Created):u}] {state.NameOf(m.Sender)}: {line}\r\n"));
            }
            var mail = new MimeMessage();
            mail.From.Add(new MailboxAddress("Chat transcripts", $"transcripts@{(string.IsNullOrEmpty(t.Domain) ? "localhost" : t.Domain)}"));
            mail.To.Add(MailboxAddress.Parse(t.Email));
            mail.Subject = $"Chat transcript {c.Id}";
            mail.Date = DateTimeOffset.FromUnixTimeMilliseconds(t.At);
            mail.Body = new TextPart("plain") { Text = text.ToString() };
            using var bytes = new MemoryStream();
            mail.WriteTo(bytes);
            return Write("transcripts", Unique(t.At, c.Id, ".eml"), bytes.ToArray()).Map(_ => unit);
        }
        catch (Exception ex) when (ex is ParseException or FormatException or ArgumentException)
        {
            logger.LogError(ex, "outbox: transcript of {Conversation} not written", c.Id);
            return Error.New($"outbox: transcript not written: {ex.Message}");
        }
    }
}
