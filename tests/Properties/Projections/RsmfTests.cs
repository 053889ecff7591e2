using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using static EventSourced.Tests.Properties.Projections.Scenario;

namespace EventSourced.Tests.Properties.Projections;

/// <summary>The RSMF manifest: file messages become attachment files it names, joins are events, ids are safe file names.</summary>
public sealed class RsmfTests
{
    [Fact]
    public void A_file_message_is_an_attachment_in_the_package_and_a_participant_added_is_a_join()
    {
        var file = new MessageReceived(new MessageNotice("c/1", "m\r\n2", "bob", 1_002, 2, 5,
            Json.Object(("file", Json.Object(("filePath", "https://files.example/a%20b.pdf"), ("filename", "minutes.pdf")))), None, None, None, None, None, None));
        var added = new ParticipantsAddedNotified(new ParticipantsAddedNotice("c/1", Some("alice"), Seq1(new Participant("carol", Some("Carol C"), None, None, None, None))));
        var package = Rsmf.Of(Recordings("alice", Created("c/1", "alice", "bob"), Received("c/1", "m1", 1, "alice", "hi"), file, added).ToList(), _ => true);
        var (name, bytes) = package.Files.Single();
        Assert.Equal("m_0D_0A2-1.url", name);
        Assert.Equal("[InternetShortcut]\r\nURL=https://files.example/a%20b.pdf\r\n", System.Text.Encoding.UTF8.GetString(bytes));
        var events = ((Json.Arr)package.Manifest["events"].IfNone(Json.Null.Value)).Items.Map(e => (Json.Obj)e);
        var attachment = (Json.Obj)((Json.Arr)events.Single(e => e["id"] == Some<Json>("m\r\n2"))["attachments"].IfNone(Json.Null.Value)).Items.Single();
        Assert.Equal((Some<Json>(name), Some<Json>("minutes.pdf")), (attachment["id"], attachment["display"]));
        var join = events.Single(e => e["type"] == Some<Json>("join"));
        Assert.Equal(Some<Json>("carol"), join["participant"]);
        var participants = ((Json.Arr)package.Manifest["participants"].IfNone(Json.Null.Value)).Items.Map(p => (Json.Obj)p);
        Assert.Equal(Some<Json>("Carol C"), participants.Single(p => p["id"] == Some<Json>("carol"))["display"]);
        Assert.Equal(3, package.EventCount);
    }

    [Property]
    public bool A_safe_name_is_a_plain_file_name_and_distinct_ids_stay_distinct(NonNull<string> a, NonNull<string> b)
    {
        var (x, y) = (Rsmf.SafeName(a.Get), Rsmf.SafeName(b.Get));
        static bool Plain(string s) => s.Length is > 0 and <= 80 && s.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') && !s.StartsWith('.');
        return (a.Get.Length == 0 || Plain(x)) && (a.Get == b.Get) == (x == y);
    }
}
