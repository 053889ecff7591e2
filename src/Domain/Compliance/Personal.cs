namespace EventSourced.Domain.Compliance;

/// <summary>A personal value of an event: where it is (JSON Pointer, RFC 6901) and whose it is (the data subject).</summary>
/// <param name="Path">The pointer's segments (an array index as its decimal text).</param>
/// <param name="Subject">The data subject: a user id, or <c>email:</c> and the address for a ticket that names no user.</param>
/// <param name="SenderOf">
/// Set for an edit that does not say who sent the message (the edit notice, 91): the message whose sender owns the value;
/// <paramref name="Subject"/> is then the custodian, to be used only when the sender is not known from the log.
/// </param>
public sealed record PersonalField(Seq<string> Path, string Subject, Option<(string ConvId, string MsgId)> SenderOf = default)
{
    /// <summary>The JSON Pointer of the value (<c>/result/listConvs/0/lastMsg</c>).</summary>
    public string Pointer => string.Concat(Path.Map(s => "/" + s.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)));
}

/// <summary>
/// Which values of a stored event are personal data, and whose: message contents (<c>message</c>, <c>content</c>,
/// <c>newContent</c>, whole: the content object with its text, file paths, location), display names, avatars, emails, phone numbers, live-chat customer names,
/// the device facts of <c>updateUserInfo</c>, rating comments, and a ticket's name and note. A value belongs to the
/// user its object names (<c>userId</c>, <c>user</c>, <c>from</c>, <c>fromUser</c>, <c>sender</c>, <c>by</c>,
/// <c>customerId</c>, first found, else the enclosing object's), with the pairs the protocol puts side by side
/// (what <c>lastMsg</c> holds is <c>lastMsgSender</c>'s unless it names its own user, <c>customerName</c> is <c>customerId</c>'s, <c>fromUsername</c> and
/// <c>fromAvatar</c> are <c>from</c>'s); what names no user is the recording user's (the custodian), and a ticket's
/// fields (an object with <c>email</c> and no user) are the address's. Ids stay in clear: they are the stream keys and
/// what an erasure names. The same walk finds the values to seal before an append and the sealed values on a read.
/// </summary>
public static class Personal
{
    static readonly string[] OwnerKeys = ["userId", "user", "from", "fromUser", "sender", "by", "customerId"];

    static readonly System.Collections.Generic.HashSet<string> PersonalKeys = new(StringComparer.Ordinal)
    {
        "message", "content", "newContent",
        "displayName", "display_name", "avatarUrl", "avatar_url", "email", "phone", "customerName", "fromUsername", "fromAvatar",
        "location", "ipaddress", "hostname", "useragent", "comment",
    };

    /// <summary>The keys whose values are personal wherever they appear (a ticket's <c>name</c> and <c>note</c> are, only beside its <c>email</c>).</summary>
    public static IReadOnlyCollection<string> Keys => PersonalKeys;

    static readonly Map<string, string> OwnedBy = Map(("lastMsg", "lastMsgSender"), ("customerName", "customerId"), ("fromUsername", "from"), ("fromAvatar", "from"));

    /// <summary>The subject of a ticket-like object: its address, lower-cased.</summary>
    public static string EmailSubject(string email) => "email:" + email.Trim().ToLowerInvariant();

    /// <summary>Every personal value of an event's JSON, outermost first, in key order; <paramref name="custodian"/> owns what names no one.</summary>
    public static Seq<PersonalField> Find(Json evt, Option<string> custodian)
    {
        var found = new List<PersonalField>();
        Walk(evt, custodian, new List<string>(8), found);
        return toSeq(found);
    }

    static Option<string> StringAt(Json.Obj o, string key) => o[key].Bind(v => v is Json.Str s && s.Value.Length > 0 ? Some(s.Value) : None);

    static Option<string> OwnerIn(Json.Obj o)
    {
        foreach (var k in OwnerKeys)
            if (StringAt(o, k) is { IsSome: true } v) return v;
        return None;
    }

    static readonly string[] Indexes = Enumerable.Range(0, 64).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();

    static string Index(int i) => i < Indexes.Length ? Indexes[i] : i.ToString(System.Globalization.CultureInfo.InvariantCulture);

    // The path walked so far is one list, pushed and popped on the way: a field's path is copied only when it is personal
    // (replay walks every stored event, and most fields are not).
    static void Walk(Json value, Option<string> owner, List<string> path, List<PersonalField> found)
    {
        switch (value)
        {
            case Json.Arr a:
                var i = 0;
                foreach (var item in a.Items)
                {
                    path.Add(Index(i++));
                    Walk(item, owner, path, found);
                    path.RemoveAt(path.Count - 1);
                }
                break;
            case Json.Obj o:
                var own = OwnerIn(o);
                var here = own.IsSome ? own : owner;
                var email = StringAt(o, "email");
                var ticket = here.IsNone && email.IsSome;
                foreach (var (key, v) in o.Fields)
                {
                    if (v is Json.Null) continue;
                    var personal = PersonalKeys.Contains(key) && !(key == "message" && o["r"].IsSome)
                        || ticket && key is "name" or "note";
                    // A scalar that is not personal holds nothing personal: nothing to look up or walk.
                    if (!personal && v is not (Json.Obj or Json.Arr)) continue;
                    var paired = OwnedBy.Find(key).Bind(k => StringAt(o, k));
                    if (!personal)
                    {
                        path.Add(key);
                        Walk(v, paired | here, path, found);
                        path.RemoveAt(path.Count - 1);
                        continue;
                    }
                    var subject = paired | here | (ticket ? email.Map(EmailSubject) : None);
                    var senderOf = key == "newContent" && own.IsNone
                        ? from c in StringAt(o, "convId") from m in StringAt(o, "msgId") select (c, m)
                        : None;
                    foreach (var s in subject) found.Add(new PersonalField(toSeq(path.Append(key).ToArray()), s, senderOf));
                }
                break;
        }
    }

    /// <summary>
    /// Who an event is about when it names someone at its top (a server event's <c>sender</c>, <c>by</c>, <c>from</c>, or the
    /// same one level down, in the body a client event wraps): the owner of what its raw packet holds that names no one.
    /// </summary>
    public static Option<string> OwnerOf(Json evt) => evt is Json.Obj o
        ? OwnerKeys.Select(k => StringAt(o, k)).FirstOrDefault(v => v.IsSome)
          | o.Fields.Values.Choose(v => v is Json.Obj inner ? OwnerKeys.Select(k => StringAt(inner, k)).FirstOrDefault(x => x.IsSome) : None).HeadOrNone()
        : None;

    /// <summary>
    /// The messages an event says who sent (an object with <c>convId</c>, <c>msgId</c> or <c>id</c>, and <c>from</c>,
    /// <c>user</c> or <c>sender</c>): how an edit later in the same append finds its message's sender.
    /// </summary>
    public static Seq<(string ConvId, string MsgId, string Sender)> Senders(Json evt)
    {
        var found = new List<(string, string, string)>();
        void Walk(Json v)
        {
            switch (v)
            {
                case Json.Arr a:
                    foreach (var item in a.Items) Walk(item);
                    break;
                case Json.Obj o:
                    var conv = StringAt(o, "convId");
                    var msg = StringAt(o, "msgId") | StringAt(o, "id");
                    var sender = StringAt(o, "from") | StringAt(o, "user") | StringAt(o, "sender");
                    foreach (var c in conv) foreach (var m in msg) foreach (var s in sender) found.Add((c, m, s));
                    foreach (var (key, item) in o.Fields) if (!PersonalKeys.Contains(key)) Walk(item);
                    break;
            }
        }
        Walk(evt);
        return toSeq(found);
    }

    /// <summary>The value at a path, if there is one.</summary>
    public static Option<Json> At(Json root, Seq<string> path) => path.IsEmpty ? Some(root) : root switch
    {
        Json.Obj o => o[path.Head].Bind(v => At(v, path.Tail)),
        Json.Arr a when int.TryParse(path.Head, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < a.Items.Count
            => At(a.Items[i], path.Tail),
        _ => None,
    };

    /// <summary>The JSON with the value at <paramref name="path"/> replaced (unchanged when the path leads nowhere).</summary>
    public static Json SetAt(Json root, Seq<string> path, Json value) => path.IsEmpty ? value : root switch
    {
        Json.Obj o when o[path.Head].IsSome => o.With(path.Head, SetAt((Json)o[path.Head], path.Tail, value)),
        Json.Arr a when int.TryParse(path.Head, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var i) && i < a.Items.Count
            => new Json.Arr(toSeq(a.Items.Select((x, j) => j == i ? SetAt(x, path.Tail, value) : x).ToArray())),
        _ => root,
    };

    /// <summary>What an erased value reads as, keeping its JSON kind (a typed event still decodes): <c>"[erased]"</c>, a content object saying so, <c>[]</c>, 0, false.</summary>
    public static Json Erased(char kind) => kind switch
    {
        'o' => Json.Object(("content", "[erased]")),
        'a' => new Json.Arr(Seq<Json>()),
        'n' => new Json.Number(0),
        'b' => new Json.Bool(false),
        _ => new Json.Str(Placeholder),
    };

    /// <summary>The key a sealed object is stored under (a control character starts it: no protocol field does).</summary>
    public const string SealedKey = "\u0001sealed";

    /// <summary>
    /// How a sealed value is stored in place of the value: an object as <c>{"\u0001sealed": token}</c>, anything else as
    /// the token string, so that the stored event still decodes as its type (a message's content stays an object).
    /// </summary>
    public static Json Stored(string token, char kind) => kind == 'o' ? Json.Object((SealedKey, token)) : new Json.Str(token);

    /// <summary>The token a stored value holds, if it is sealed (<paramref name="prefix"/> starts every token).</summary>
    public static Option<string> TokenOf(Json stored, string prefix) => stored switch
    {
        Json.Str s when s.Value.StartsWith(prefix, StringComparison.Ordinal) => s.Value,
        Json.Obj o when o.Fields.Count == 1 => o[SealedKey].Bind(v => v is Json.Str s && s.Value.StartsWith(prefix, StringComparison.Ordinal) ? Some(s.Value) : None),
        _ => None,
    };

    /// <summary>The text an erased value shows.</summary>
    public const string Placeholder = "[erased]";

    /// <summary>The one-letter kind a sealed value records, so that its erasure keeps the kind.</summary>
    public static char KindOf(Json v) => v switch
    {
        Json.Obj => 'o',
        Json.Arr => 'a',
        Json.Number => 'n',
        Json.Bool => 'b',
        _ => 's',
    };
}
