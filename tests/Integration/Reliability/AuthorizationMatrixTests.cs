using static EventSourced.Tests.Integration.ServerFixture;

namespace EventSourced.Tests.Integration.Reliability;

/// <summary>
/// Every conversation service against every kind of caller, from one table: who may act on a
/// conversation and a message is decided by the server's own state, never by what the request says.
/// </summary>
public sealed class AuthorizationMatrixTests(ServerFixture f) : IClassFixture<ServerFixture>
{
    public enum Who { Participant, Admin, NonParticipant, OtherMemberOfOneToOne, Unauthenticated }

    // service, the request (conv, own message id, other's message id), and the r each caller gets (null: not a success nor a refusal we pin).
    static readonly (string Name, Service Service, Func<string, string, string, Json.Obj> Body, int Participant, int Admin, int NonParticipant, int OneToOneOther)[] Table =
    [
        ("send", Service.ChatMessage, (c, _, _) => Json.Object(("convId", c), ("type", 1L), ("message", Json.Object(("content", "x")))), 0, 0, 4, 0),
        ("load", Service.ChatMessagesLoad, (c, _, _) => Json.Object(("convId", c), ("seqGreater", 0L), ("seqSmaller", 100L), ("limit", 10L), ("sort", "ASC")), 0, 0, 4, 0),
        ("edit other's", Service.ChatEditMessage, (c, _, o) => Json.Object(("convId", c), ("msgId", o), ("newContent", Json.Object(("content", "e")))), 6, 6, 4, 6),
        ("pin", Service.ChatPinMessage, (c, m, _) => Json.Object(("convId", c), ("msgId", m), ("isPin", true)), 0, 0, 4, 0),
        ("revoke other's", Service.ChatRevokeMessage, (c, _, o) => Json.Object(("convId", c), ("msgIds", new Json.Arr(Seq1<Json>(o)))), 8, 0, 4, 8),
        ("delete other's", Service.ChatDeleteMessage, (c, _, o) => Json.Object(("convId", c), ("messageIds", new Json.Arr(Seq1<Json>(o)))), 8, 0, 4, 8),
        ("remove other", Service.ChatRemoveParticipant, (c, _, _) => Json.Object(("convId", c), ("userIds", new Json.Arr(Seq1<Json>("PEER")))), 10, 0, 4, 8),
        ("rename", Service.ChatUpdateConversation, (c, _, _) => Json.Object(("convId", c), ("groupName", "n")), 0, 0, 4, 0),
        ("set role", Service.ChatSetRole, (c, _, _) => Json.Object(("convId", c), ("userId", "PEER"), ("role", "admin")), 10, 0, 4, 0),
        ("transfer", Service.ChatTransferToAnotherAgent, (c, _, _) => Json.Object(("convId", c), ("toUserId", "agentB")), 14, 14, 4, 14),
    ];

    public static TheoryData<string, Who> Cases()
    {
        var data = new TheoryData<string, Who>();
        foreach (var row in Table)
            foreach (var who in Enum.GetValues<Who>())
                data.Add(row.Name, who);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_service_answers_each_kind_of_caller_as_the_table_says(string name, Who who)
    {
        var row = Table.Single(r => r.Name == name);
        string admin = U("admin"), member = U("member"), stranger = U("stranger"), peer = U("peer");
        await using var adminC = await f.Login(admin);
        await using var memberC = await f.Login(member);
        var oneToOne = who == Who.OtherMemberOfOneToOne;
        var conv = (await adminC.RequestAsync(Service.ChatCreateConversation, oneToOne
            ? Json.Object(("participants", new Json.Arr(Seq1<Json>(member))), ("isGroup", false), ("distinct", false))
            : Json.Object(("participants", new Json.Arr(Seq<Json>(member, peer))), ("isGroup", true)))).Str("convId");
        Json.Obj Post(string text) => Json.Object(("convId", conv), ("type", 1L), ("message", Json.Object(("content", text))));
        var byMember = (await memberC.RequestAsync(Service.ChatMessage, Post("member's"))).Str("msgId");
        var byAdmin = (await adminC.RequestAsync(Service.ChatMessage, Post("admin's"))).Str("msgId");
        var before = f.Server.Hub.State.Conversations[conv];
        Json.Obj Body(string own, string others) => Json.Parse(row.Body(conv, own, others).ToJsonString().Replace("PEER", oneToOne ? member : peer, StringComparison.Ordinal))
            .Match(j => (Json.Obj)j, _ => Json.Obj.Empty);

        if (who == Who.Unauthenticated)
        {
            await using var anon = await WireClient.ConnectAsync(f.Server.Url);
            Assert.Equal(16L, (await anon.RequestAsync(row.Service, Body(byMember, byAdmin))).Int("r"));
            Assert.Equal(before, f.Server.Hub.State.Conversations[conv]);
            return;
        }
        // The caller acts on its own message (pin) or on someone else's (edit, revoke, delete).
        var (caller, own, others, expected) = who switch
        {
            Who.Participant => (memberC, byMember, byAdmin, row.Participant),
            Who.Admin => (adminC, byAdmin, byMember, row.Admin),
            Who.OtherMemberOfOneToOne => (adminC, byAdmin, byMember, row.OneToOneOther),
            _ => (await f.Login(stranger), byMember, byAdmin, row.NonParticipant),
        };
        var reply = await caller.RequestAsync(row.Service, Body(own, others));
        Assert.True(expected == reply.Int("r"), $"{name} by {who}: expected r = {expected}, got {reply}");
        if (expected != 0) Assert.Equal(before, f.Server.Hub.State.Conversations[conv]);
        if (who == Who.NonParticipant) await caller.DisposeAsync();
    }
}
