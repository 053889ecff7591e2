using System.IO.Compression;
using System.Text;
using EventSourced.Domain;
using EventSourced.Projections;
using MimeKit;

namespace EventSourced.Adapters.Export;

/// <summary>
/// Writes an RSMF 2.0 file: an EML message whose headers say the version, the time span and the event count, and whose one
/// attachment <c>rsmf.zip</c> holds <c>rsmf_manifest.json</c> and every file the manifest names. And the plain EML export:
/// one RFC 5322 message per conversation, its transcript as text.
/// </summary>
public static class RsmfWriter
{
    static readonly DateTimeOffset Epoch = DateTimeOffset.UnixEpoch;

    /// <summary>The rsmf.zip bytes: the manifest first, then the attachments (fixed timestamps: the same package gives the same bytes).</summary>
    public static byte[] Zip(Rsmf.Package package)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            void Add(string name, byte[] bytes)
            {
                var entry = zip.CreateEntry(name, CompressionLevel.Optimal);
                entry.LastWriteTime = new DateTimeOffset(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);
                using var s = entry.Open();
                s.Write(bytes);
            }
            Add("rsmf_manifest.json", Encoding.UTF8.GetBytes(package.Manifest.ToJsonString()));
            foreach (var (name, content) in package.Files) Add(name, content);
        }
        return buffer.ToArray();
    }

    /// <summary>The RSMF EML message.</summary>
    public static MimeMessage Message(Rsmf.Package package, string subject, long now)
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("stringee-es", "export@stringee-es.invalid"));
        mail.To.Add(new MailboxAddress("RSMF", "rsmf@stringee-es.invalid"));
        // MimeKit encodes the header (RFC 2047) and folds it: recorded text cannot add a header line.
        mail.Subject = subject;
        mail.Date = Epoch.AddMilliseconds(now);
        mail.Headers.Add("X-RSMF-Version", "2.0.0");
        mail.Headers.Add("X-RSMF-Generator", "stringee-es");
        mail.Headers.Add("X-RSMF-BeginDate", Rsmf.Time(package.Begin));
        mail.Headers.Add("X-RSMF-EndDate", Rsmf.Time(package.End));
        mail.Headers.Add("X-RSMF-EventCount", package.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var body = new TextPart("plain") { Text = $"Relativity Short Message Format 2.0 export: {package.EventCount} events. The conversations are in the attached rsmf.zip." };
        var zip = new MimePart("application", "zip")
        {
            Content = new MimeContent(new MemoryStream(Zip(package))),
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment),
            ContentTransferEncoding = ContentEncoding.Base64,
            FileName = "rsmf.zip",
        };
        mail.Body = new Multipart("mixed") { body, zip };
        return mail;
    }

    // Recorded text cannot start a line of its own in the transcript (a forged "[time] #seq user:" line): control characters are shown as codes.
    static string Visible(string text) =>
        text.Any(char.IsControl) ? string.Concat(text.Select(c => char.IsControl(c) ? $"\\x{(int)c:X2}" : c.ToString())) : text;

    /// <summary>One conversation's transcript as an RFC 5322 message: a line per message, with its edits and state.</summary>
    public static MimeMessage Conversation(string convId, Seq<Transcript.Message> messages, long now)
    {
        var mail = new MimeMessage();
        mail.From.Add(new MailboxAddress("stringee-es", "export@stringee-es.invalid"));
        mail.To.Add(new MailboxAddress("archive", "archive@stringee-es.invalid"));
        mail.Subject = $"Conversation {convId}";
        mail.Date = Epoch.AddMilliseconds(messages.HeadOrNone().Map(m => m.Created).IfNone(now));
        mail.Headers.Add("X-Stringee-Conversation", convId);
        var text = new StringBuilder();
        foreach (var m in messages)
        {
            var versions = m.Versions.Map(v => Audit.Describe(m.Type, v)).ToList();
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"[{Rsmf.Time(m.Created)}] #{m.Seq} {Visible(m.Sender)}: ");
            text.Append(Visible(m.Revoked ? $"[revoked; was: {versions[^1]}]" : versions[^1]));
            if (versions.Count > 1) text.Append(" (edited; earlier: ").Append(Visible(string.Join(" | ", versions.Take(versions.Count - 1)))).Append(')');
            text.Append("\r\n");
        }
        mail.Body = new TextPart("plain") { Text = text.ToString() };
        return mail;
    }
}
