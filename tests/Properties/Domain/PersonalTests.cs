using EventSourced.Domain.Compliance;
using EventSourced.Domain.Packets;
using EventSourced.Domain.Server;

namespace EventSourced.Tests.Properties.Domain;

/// <summary>
/// Which values are personal and whose (what crypto-shredding seals): the walk that finds them before an append must find the
/// same ones in the sealed event on a read, and each value belongs to the user its object names.
/// </summary>
public sealed class PersonalTests
{
    static Json Parse(string text) => (Json)Json.Parse(text);

    static string[] Found(Json evt, Option<string> custodian) => Personal.Find(evt, custodian).Map(f => $"{f.Pointer} {f.Subject}").ToArray();

    // Every personal value replaced by a token that says which value it was, as the sealing step stores it.
    static Json Sealed(Json evt, Seq<PersonalField> fields) =>
        fields.Fold(evt, (j, f) =>
        {
            var kind = Personal.KindOf((Json)Personal.At(j, f.Path));
            return Personal.SetAt(j, f.Path, Personal.Stored($"\u0001sealed:v1:7:{kind}:00:{f.Pointer}", kind));
        });

    static Property SealingKeepsTheWalk(Json evt)
    {
        var fields = Personal.Find(evt, Some("custodian"));
        var sealedEvt = Sealed(evt, fields);
        var again = Personal.Find(sealedEvt, Some("custodian"));
        var restored = fields.Fold(sealedEvt, (j, f) => Personal.SetAt(j, f.Path, (Json)Personal.At(evt, f.Path)));
        return (again.Map(f => (f.Pointer, f.Subject)).SequenceEqual(fields.Map(f => (f.Pointer, f.Subject)))
                && fields.ForAll(f => Personal.At(sealedEvt, f.Path).Bind(v => Personal.TokenOf(v, "\u0001sealed:")) == Some($"\u0001sealed:v1:7:{Personal.KindOf((Json)Personal.At(evt, f.Path))}:00:{f.Pointer}"))
                && restored == evt)
            .Label($"{evt}");
    }

    [Property(MaxTest = 300)]
    public Property A_sealed_client_event_has_its_personal_values_where_the_plain_one_had_them_and_opens_back_to_it() =>
        Prop.ForAll(Generators.AnyEvent.ToArbitrary(), e => SealingKeepsTheWalk(BodyCodec.Encode(e)));

    [Property(MaxTest = 300)]
    public Property A_sealed_server_event_has_its_personal_values_where_the_plain_one_had_them_and_opens_back_to_it() =>
        Prop.ForAll(Generators.For<ServerEvent>().ToArbitrary(), e => SealingKeepsTheWalk(BodyCodec.Encode(e)));

    [Fact]
    public void A_message_is_its_senders_and_the_conversations_name_is_no_ones()
    {
        var notice = new Event.MessageReceived(new MessageNotice("c1", "m1", "bob", 1, 2, 1, Json.Object(("content", "hi")), None, Some("Bob B"),
            Some("b.png"), Some("Team"), None, None));
        Assert.Equal(["/packet/avatarUrl bob", "/packet/displayName bob", "/packet/message bob"], Found(BodyCodec.Encode(notice), Some("amy")));
        Assert.Equal([("c1", "m1", "bob")], Personal.Senders(BodyCodec.Encode(notice)).ToArray());
    }

    [Fact]
    public void In_a_listing_each_participant_owns_their_profile_and_the_last_message_is_its_senders()
    {
        var listing = Parse("""
            {"result":{"r":0,"listConvs":[{"convId":"c","convName":"Team","avatarUrl":"img","lastMsgSender":"bob","lastMsg":{"content":"hi","id":"m"},
             "participants":[{"user":"amy","displayName":"Amy","avatarUrl":"a.png"},{"user":"bob","displayName":"Bob"}]}]}}
            """);
        Assert.Equal([
            "/result/listConvs/0/avatarUrl zed", "/result/listConvs/0/lastMsg/content bob",
            "/result/listConvs/0/participants/0/avatarUrl amy", "/result/listConvs/0/participants/0/displayName amy",
            "/result/listConvs/0/participants/1/displayName bob"], Found(listing, Some("zed")));
    }

    [Fact]
    public void A_customer_name_is_the_customers_and_a_transfer_senders_name_is_the_senders()
    {
        Assert.Equal(["/customerName v-1", "/fromAvatar agent2", "/fromUsername agent2"],
            Found(Parse("""{"convId":"c","customerId":"v-1","customerName":"Carol","from":"agent2","fromUsername":"Agent Two","fromAvatar":"x"}"""), None));
        // A transfer request names no customer id: the name is the recording agent's to erase.
        Assert.Equal(["/request/customerName agent2"], Found(Parse("""{"request":{"convId":"c","customerId":"","customerName":"Carol","toUserId":"agent1"}}"""), Some("agent2")));
    }

    [Fact]
    public void A_ticket_that_names_no_user_is_its_addresss_and_a_servers_text_is_no_ones()
    {
        Assert.Equal(["/email email:dana@x.test", "/name email:dana@x.test", "/note email:dana@x.test", "/phone email:dana@x.test"],
            Found(Parse("""{"widgetKey":"w","name":"Dana","email":" Dana@X.test","phone":"1","note":"call me","at":1}"""), None));
        Assert.Empty(Found(Parse("""{"result":{"r":0,"message":"SUCCESS","requestId":3}}"""), Some("amy")));
        Assert.Empty(Found(Parse("""{"convId":"c","name":"Team","avatar":"img","at":1}"""), None));
    }

    [Fact]
    public void An_edit_notice_says_which_message_whose_sender_owns_the_new_content()
    {
        var fields = Personal.Find(Parse("""{"packet":{"convId":"c","msgId":"m","newContent":"{\"content\":\"x\"}"}}"""), Some("amy"));
        Assert.Equal([("/packet/newContent", "amy", Some(("c", "m")))], fields.Map(f => (f.Pointer, f.Subject, f.SenderOf)).ToArray());
        // A server edit names its editor, who is the sender.
        Assert.Equal(["/content bob"], Found(Parse("""{"convId":"c","msgId":"m","content":{"content":"x"},"by":"bob","at":1}"""), None));
    }

    [Fact]
    public void A_pointer_escapes_slashes_and_tildes_and_leads_to_the_value()
    {
        var evt = Parse("""{"a/b":{"c~d":[{"user":"u","email":"e@x"}]}}""");
        var field = Personal.Find(evt, None).Single();
        Assert.Equal("/a~1b/c~0d/0/email", field.Pointer);
        Assert.Equal(Some<Json>(new Json.Str("e@x")), Personal.At(evt, field.Path));
        Assert.Equal(new Json.Str("[erased]"), Personal.Erased('s'));
        Assert.Equal(Json.Object(("content", "[erased]")), Personal.Erased('o'));
    }
}
