using EventSourced.Domain.Packets;
using static EventSourced.Domain.Client.Event;
using C = EventSourced.Domain.Client.Command;

namespace EventSourced.Adapters.Client;

// REST: server discovery and the live-chat calls (recorded as local events, request then answer).
public sealed partial class StringeeClient
{
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(15) };

    async Task<Seq<Uri>> ServersAsync(CancellationToken ct)
    {
        if (!options.Servers.IsEmpty) return options.Servers;
        var baseUrl = options.RestBaseUrl ?? new Uri("https://api.stringee.com/");
        try
        {
            var body = Json.Parse(await http.GetByteArrayAsync(new Uri(baseUrl, $"v2/getStringeeServerAddress?access_token={Uri.EscapeDataString(token ?? "")}"), ct).ConfigureAwait(false));
            var secure = baseUrl.Scheme == Uri.UriSchemeHttps;
            return body.Match(
                Right: j => j is Json.Obj o && o["data"].Case is Json.Obj d && d["stringeeServerAddrs"].Case is Json.Obj a && a["web"].Case is Json.Arr web
                    ? web.Items.Choose(x => x is Json.Obj w && w["ip"].Case is Json.Str ip && w["port"].Case is Json.Number port
                        ? Some(new Uri($"{(secure ? "wss" : "ws")}://{ip.Value}:{(long)port.Value}")) : None).ToSeq()
                    : Seq<Uri>(),
                Left: _ => Seq<Uri>());
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or UriFormatException)
        {
            return Seq<Uri>();
        }
    }

    async Task<Fin<Json.Obj>> RestAsync(string pathAndQuery, Event requested, Func<Json.Obj, Event> answered, CancellationToken ct)
    {
        var recorded = await RecordLocalAsync(requested).ConfigureAwait(false);
        if (recorded.IsFail) return recorded.Map(_ => Json.Obj.Empty);
        var baseUrl = options.RestBaseUrl ?? new Uri("https://api.stringeex.com/");
        try
        {
            var text = await http.GetByteArrayAsync(new Uri(baseUrl, pathAndQuery), ct).ConfigureAwait(false);
            var body = Json.Parse(text).Match(j => j as Json.Obj ?? Json.Obj.Empty, _ => Json.Obj.Empty);
            await RecordLocalAsync(answered(body)).ConfigureAwait(false);
            var r = body["r"].Bind(j => j is Json.Number n ? Some((int)n.Value) : None).IfNone(-2);
            return r == 0 ? body : Error.New(r, body["msg"].Bind(j => j is Json.Str s ? Some(s.Value) : None).IfNone("Generic error"));
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            return Error.New(-3, $"Request failed: {ex.Message}");
        }
    }

    static Fin<T> Decode<T>(Json.Obj body) => BodyCodec.Decode<T>(body).Match(Right: v => Fin<T>.Succ(v), Left: e => Fin<T>.Fail(Error.New(-2, e)));

    /// <summary>getChatProfile(widgetKey): the profile with its queues.</summary>
    /// <param name="widgetKey">The live-chat widget key from Stringee's portal (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The widget's settings and its queues.</returns>
    /// <include file='Docs/Codes.xml' path='codes/rest/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<ChatProfileResult>> GetChatProfileAsync(string widgetKey, CancellationToken ct = default)
    {
        var ok = Decider.Decide(ClientState.Initial, new C.GetChatProfile(NotNull(widgetKey)), new Context(0, 0, ""));
        if (ok.IsLeft) return Failure(ok.LeftToSeq().Head);
        return (await RestAsync($"v1/chatcustomer/getsettingandqueues?key={Uri.EscapeDataString(widgetKey!)}", new ChatProfileRequested(widgetKey!),
            b => new ChatProfileReceived(Decode<ChatProfileResult>(b).IfFail(new ChatProfileResult(-2, None, None, "unreadable profile"))), ct).ConfigureAwait(false))
            .Bind(Decode<ChatProfileResult>);
    }

    /// <summary>getLiveChatToken(widgetKey, name, email): a token for <see cref="ConnectAsync"/>. Recorded without its signature.</summary>
    /// <param name="widgetKey">The live-chat widget key from Stringee's portal (not empty).</param>
    /// <param name="name">The customer's name.</param>
    /// <param name="email">The customer's e-mail address.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>An access token for <see cref="ConnectAsync"/>.</returns>
    /// <include file='Docs/Codes.xml' path='codes/rest/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<string>> GetLiveChatTokenAsync(string widgetKey, string name, string email, CancellationToken ct = default)
    {
        var ok = Decider.Decide(ClientState.Initial, new C.GetLiveChatToken(NotNull(widgetKey), NotNull(name), NotNull(email)), new Context(0, 0, ""));
        if (ok.IsLeft) return Failure(ok.LeftToSeq().Head);
        var body = await RestAsync($"v1/chatcustomer?key={Uri.EscapeDataString(widgetKey!)}&username={Uri.EscapeDataString(name)}&email={Uri.EscapeDataString(email)}&userId={Uri.EscapeDataString($"visitor-{Guid.NewGuid():N}")}",
            new LiveChatTokenRequested(widgetKey!, name, email),
            b => new LiveChatTokenReceived(new LiveChatTokenResult(0, b["access_token"].Bind(j => j is Json.Str s ? Some(Jwt.Redact(s.Value)) : None), None)), ct).ConfigureAwait(false);
        return body.Bind(b => b["access_token"].Bind(j => j is Json.Str s ? Some(s.Value) : None).ToFin(Error.New(-2, "no access_token in the answer")));
    }

    /// <summary>createLiveChatTicket(widgetKey, name, email, note).</summary>
    /// <param name="widgetKey">The live-chat widget key from Stringee's portal (not empty).</param>
    /// <param name="name">The customer's name.</param>
    /// <param name="email">The customer's e-mail address.</param>
    /// <param name="note">The ticket's text.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the ticket is created.</returns>
    /// <include file='Docs/Codes.xml' path='codes/rest/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> CreateLiveChatTicketAsync(string widgetKey, string name, string email, string note, CancellationToken ct = default)
    {
        var ok = Decider.Decide(ClientState.Initial, new C.CreateLiveChatTicket(NotNull(widgetKey), NotNull(name), NotNull(email), NotNull(note)), new Context(0, 0, ""));
        if (ok.IsLeft) return Failure(ok.LeftToSeq().Head);
        return (await RestAsync($"v1/chatcustomer/generateticket?key={Uri.EscapeDataString(widgetKey!)}&username={Uri.EscapeDataString(name)}&email={Uri.EscapeDataString(email)}&note={Uri.EscapeDataString(note)}",
            new TicketCreateRequested(widgetKey!, name, email, note), b => new TicketCreated(Decode<TicketResult>(b).IfFail(new TicketResult(-2, None))), ct).ConfigureAwait(false)).Map(_ => unit);
    }
}
