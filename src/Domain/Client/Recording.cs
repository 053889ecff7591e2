using EventSourced.Domain.Packets;
using static EventSourced.Domain.Client.Event;

namespace EventSourced.Domain.Client;

/// <summary>Which framing a packet used.</summary>
public enum FrameForm
{
    /// <summary>WebSocket text frame <c>{"service":N,"body":{...}}</c>.</summary>
    Text = 0,
    /// <summary>Native binary frame <c>"ST"</c> + length + service + JSON.</summary>
    Binary = 1,
}

/// <summary>
/// The pure edge between packets and events: what a received frame records, what packet a command
/// event puts on the wire, and the envelope (stream, clocks, raw bytes) of each. The event log
/// fills in positions on append; the adapter supplies the time.
/// </summary>
public static class Recording
{
    /// <summary>
    /// A user or conversation id as it stands in a stream key: <c>%</c>, <c>/</c> and U+0000 percent-encoded, so
    /// the key splits back into exactly the ids it was made of whatever they contain (a user named
    /// <c>alice/conversation/x</c> is <c>alice%2Fconversation%2Fx</c>, never alice's stream), and a database's
    /// text, which holds no U+0000, holds every key.
    /// </summary>
    public static string KeyPart(string id) =>
        id.AsSpan().IndexOfAny('%', '/', '\0') < 0 ? id
            : id.Replace("%", "%25", StringComparison.Ordinal).Replace("/", "%2F", StringComparison.Ordinal).Replace("\0", "%00", StringComparison.Ordinal);

    /// <summary>The inverse of <see cref="KeyPart"/> (None for text <see cref="KeyPart"/> does not give).</summary>
    public static Option<string> FromKeyPart(string part)
    {
        if (part.Contains('/', StringComparison.Ordinal)) return None;
        if (!part.Contains('%', StringComparison.Ordinal)) return part;
        var b = new System.Text.StringBuilder(part.Length);
        for (var i = 0; i < part.Length; i++)
        {
            if (part[i] != '%') b.Append(part[i]);
            else if (string.CompareOrdinal(part, i, "%25", 0, 3) == 0) { b.Append('%'); i += 2; }
            else if (string.CompareOrdinal(part, i, "%2F", 0, 3) == 0) { b.Append('/'); i += 2; }
            else if (string.CompareOrdinal(part, i, "%00", 0, 3) == 0) { b.Append('\0'); i += 2; }
            else return None;
        }
        return b.ToString();
    }

    /// <summary>The prefix every stream of a user's recording starts with (and no other user's does).</summary>
    public static string UserPrefix(string user) => $"{KeyPart(user)}/";
    /// <summary>The stream of a user's session facts.</summary>
    public static string SessionStream(string user) => $"{KeyPart(user)}/session";
    /// <summary>The stream of one of a user's conversations.</summary>
    public static string ConversationStream(string user, string convId) => $"{KeyPart(user)}/conversation/{KeyPart(convId)}";
    /// <summary>Whose recording a stream is: its user, or the key itself for a key this module does not give.</summary>
    public static string UserOf(string stream) => UserOfStream(stream).IfNone(stream);
    /// <summary>The user whose recording a stream is (None for a key this module does not give).</summary>
    public static Option<string> UserOfStream(string stream)
    {
        var parts = stream.Split('/');
        return parts switch
        {
            [var u, "session"] when u.Length > 0 => FromKeyPart(u),
            [var u, "conversation", var c] when u.Length > 0 && FromKeyPart(c).IsSome => FromKeyPart(u),
            _ => None,
        };
    }

    /// <summary>The stream an event belongs in.</summary>
    public static string StreamOf(string user, Event e) =>
        ConversationOf(e).Match(c => ConversationStream(user, c), () => SessionStream(user));

    /// <summary>
    /// Every event a received frame records (usually one). Never throws and never drops: an
    /// unreadable frame is <see cref="PacketMalformed"/>, an unknown service <see cref="PacketUnknown"/>,
    /// and each keeps the raw bytes in its envelope.
    /// </summary>
    public static Seq<Recorded> Receive(string user, ReadOnlySpan<byte> raw, FrameForm form, long receivedAt, bool reconnecting,
        int maxFrameBytes = Frame.DefaultMaxBytes)
    {
        var frame = form == FrameForm.Text ? Frame.DecodeText(raw, maxFrameBytes) : Frame.DecodeBinary(raw, maxFrameBytes);
        var bytes = new Raw(raw);
        return frame.Match(
            Left: error => Seq1(Draft(user, new PacketMalformed(None, error.Reason), receivedAt, Origin.Received, None, None, bytes)),
            Right: packet => Events(packet, reconnecting)
                .Map(e => Draft(user, e, receivedAt, Origin.Received, Some(packet.Service), packet.RequestId, bytes)));
    }

    /// <summary>The events a decoded packet from the server stands for.</summary>
    public static Seq<Event> Events(Packet packet, bool reconnecting)
    {
        if (packet.Known.IsNone || Protocol.BodyType((Service)packet.Service, Direction.ServerToClient).IsNone)
            return Seq1<Event>(new PacketUnknown(packet.Service, packet.Body));
        return Protocol.Decode(Direction.ServerToClient, packet).Match(
            Left: error => Seq1<Event>(new PacketMalformed(Some(packet.Service), error.Reason)),
            Right: body => FromServer((Service)packet.Service, body, reconnecting));
    }

    /// <summary>The events a typed server body stands for.</summary>
    public static Seq<Event> FromServer(Service service, Body body, bool reconnecting) => body switch
    {
        AuthenResult { R: AuthenCodes.Ok } r => Seq1<Event>(new Connected(r, reconnecting)),
        AuthenResult { R: AuthenCodes.Expired } r => Seq<Event>(new ConnectFailed(r), new AccessTokenRequested()),
        AuthenResult r => Seq1<Event>(new ConnectFailed(r)),
        IncomingCallNotice c when service == Service.VideoRoomCallInvite => Seq1<Event>(new IncomingCall2Received(c)),
        TypingNotice t when service == Service.ChatUserEndTypingNotification => Seq1<Event>(new UserEndedTyping(t)),
        _ => Seq1(One(service, body)),
    };

    static Event One(Service service, Body body) => body switch
    {
        Ping p => new PingReceived(p),
        CallStartResult r => new CallStarted(r),
        IncomingCallNotice c => new IncomingCallReceived(c),
        OtherDeviceAuthenNotice n => new OtherDeviceChanged(n),
        OtherDeviceMessageNotice n => new OtherDeviceMessageReceived(n),
        Ack a => new RequestAcknowledged((short)service, a),
        Failure f => new RequestFailed((short)service, f),
        CreateConversationResult r => new ConversationCreated(r),
        ConversationsResult r => new ConversationsLoaded(r),
        ConversationWithUserResult r => new ConversationWithUserLoaded(r),
        DeleteConversationResult r => new ConversationDeleted(r),
        AddParticipantsResult r => new ParticipantsAdded(r),
        ParticipantsAddedNotice n => new ParticipantsAddedNotified(n),
        RemoveParticipantsResult r => new ParticipantsRemoved(r),
        ParticipantRemovedNotice n => new ParticipantRemovedNotified(n),
        SetRoleResult r => new RoleSet(r),
        UnreadCountResult r => new UnreadCountReceived(r),
        SendMessageResult r => new MessageSent(r),
        MessageNotice n => new MessageReceived(n),
        ReportNotice n => new MessageReportReceived(n),
        MessagesResult r => new MessagesLoaded(r),
        MessagesByIdsResult r => new MessagesByIdsLoaded(r),
        DeleteMessagesResult r => new MessagesDeleted(r),
        PinMessageResult r => new MessagePinAnswered(r),
        PinNotice n => new MessagePinChanged(n),
        EditNotice n => new MessageEdited(n),
        RevokeMessagesResult r => new MessageRevokeAnswered(r),
        RevokeNotice n => new MessagesRevoked(n),
        TypingNotice n => new UserBeganTyping(n),
        UsersInfoResult r => new UsersInfoReceived(r),
        UserInfoNotice n => new UserInfoChanged(n),
        CustomMessageNotice n => new CustomMessageReceived(n),
        TopicNotice n => new TopicMessageReceived(n),
        ChatRequestNotice n => new ChatRequestReceived(n),
        AnswerChatRequestResult r => new ChatRequestAnswered(r),
        AgentTimeoutNotice n => new AgentAnswerTimedOut(n),
        QueueTimeoutNotice n => new QueueTimedOut(n),
        EndChatResult r => new ChatEnded(r),
        ConversationEndedNotice n => new ConversationEnded(n),
        TransferRequestNotice n => new TransferRequestReceived(n),
        TransferChatResult r => new ChatTransferred(r),
        ChatRequestsResult r => new ChatRequestsLoaded(r),
        _ => new PacketUnknown((short)service, BodyCodec.Encode(body)),
    };

    /// <summary>
    /// The packet a command event puts on the wire, if it is one that does. AUTHEN's recorded
    /// request holds the token without its signature; the adapter sends the real one.
    /// </summary>
    public static Option<(Service Service, Body Body)> Request(Event e) => e switch
    {
        AuthenSent x => (Service.Authen, (Body)x.Request),
        PingAnswered x => (Service.Ping, (Body)x.Packet),
        CallStartRequested x => (Service.CallStart, (Body)x.Request),
        PushRegisterRequested x => (Service.PushDeviceTokenRegister, (Body)x.Request),
        PushUnregisterRequested x => (Service.PushDeviceTokenUnregister, (Body)x.Request),
        CustomMessageSendRequested x => (Service.CustomMessage, (Body)x.Request),
        UserInfoUpdateRequested x => (Service.UpdateUserInfo, (Body)x.Request),
        UsersInfoRequested x => (Service.ChatGetUsersInfo, (Body)x.Request),
        ConversationCreateRequested x => (Service.ChatCreateConversation, (Body)x.Request),
        LiveChatConversationCreateRequested x => (Service.ChatCreateConversation, (Body)x.Request),
        ConversationsLoadRequested x => (Service.ChatConversationLoad, (Body)x.Request),
        ConversationFetchRequested x => (Service.ChatGetConversationsInfo, (Body)x.Request),
        ConversationWithUserRequested x => (Service.ChatConversationForUsers, (Body)x.Request),
        ConversationUpdateRequested x => (Service.ChatUpdateConversation, (Body)x.Request),
        ConversationDeleteRequested x => (Service.ChatDeleteConversation, (Body)x.Request),
        HistoryClearRequested x => (Service.ChatConversationClearHistory, (Body)x.Request),
        ParticipantsAddRequested x => (Service.ChatAddParticipant, (Body)x.Request),
        ParticipantsRemoveRequested x => (Service.ChatRemoveParticipant, (Body)x.Request),
        RoleSetRequested x => (Service.ChatSetRole, (Body)x.Request),
        UnreadCountRequested x => (Service.ChatUnreadConversationCount, (Body)x.Request),
        ConversationReadMarked x => (Service.ChatMessageReport, (Body)x.Request),
        MessageDeliveryReported x => (Service.ChatMessageReport, (Body)x.Request),
        TypingBeginRequested x => (Service.ChatUserBeginTyping, (Body)x.Request),
        TypingEndRequested x => (Service.ChatUserEndTyping, (Body)x.Request),
        MessageSendRequested x => (Service.ChatMessage, (Body)x.Request),
        MessagesLoadRequested x => (Service.ChatMessagesLoad, (Body)x.Request),
        MessagesByIdsRequested x => (Service.GetMessagesInfo, (Body)x.Request),
        MessageDeleteRequested x => (Service.ChatDeleteMessage, (Body)x.Request),
        MessagePinRequested x => (Service.ChatPinMessage, (Body)x.Request),
        MessageEditRequested x => (Service.ChatEditMessage, (Body)x.Request),
        MessageRevokeRequested x => (Service.ChatRevokeMessage, (Body)x.Request),
        ChatRequestsLoadRequested x => (Service.ChatRequestLoad, (Body)x.Request),
        ChatRequestAnswerRequested x => (Service.ChatAgentResponse, (Body)x.Request),
        TransferAnswerRequested x => (Service.ChatConfirmTransferRequest, (Body)x.Request),
        ChatTransferRequested x => (Service.ChatTransferToAnotherAgent, (Body)x.Request),
        ChatEndRequested x => (Service.EndChat, (Body)x.Request),
        ChatRateRequested x => (Service.RateChat, (Body)x.Request),
        TranscriptSendRequested x => (Service.SendEmailTranscript, (Body)x.Request),
        _ => Option<(Service, Body)>.None,
    };

    /// <summary>The packet a command event puts on the wire, if any.</summary>
    public static Option<Packet> Outgoing(Event e) => Request(e).Map(r => Protocol.Encode(r.Service, r.Body));

    /// <summary>The record of a command event that is sent, with the exact bytes that go out.</summary>
    public static (Recorded Record, Option<Packet> Packet) Send(string user, Event e, long now, FrameForm form = FrameForm.Text)
    {
        var packet = Outgoing(e);
        var raw = packet.Match(p => new Raw(form == FrameForm.Text ? Frame.EncodeText(p) : Frame.EncodeBinary(p)), () => Raw.None);
        return (Draft(user, e, now, packet.IsSome ? Origin.Sent : Origin.Local, packet.Map(p => p.Service),
            packet.Bind(p => p.RequestId), raw), packet);
    }

    /// <summary>The record of a local fact (connection state, timeouts, clearDb, REST answers).</summary>
    public static Recorded Local(string user, Event e, long now) => Draft(user, e, now, Origin.Local, None, None, Raw.None);

    static Recorded Draft(string user, Event e, long at, Origin origin, Option<short> service, Option<long> requestId, Raw raw)
    {
        var (seq, serverTime) = Clocks(e);
        return new Recorded(new Envelope(StreamOf(user, e), 0, 0, at, serverTime, seq, origin, service, requestId, raw), e);
    }

    /// <summary>The server's clocks an event carries: its message <c>seq</c> and server time.</summary>
    public static (Option<long> Seq, Option<long> ServerTime) Clocks(Event e) => e switch
    {
        MessageReceived m => (Some(m.Packet.Seq), Some(m.Packet.CreatedTime)),
        MessageSent m => (Some(m.Result.Seq), Some(m.Result.Created)),
        MessageReportReceived r => (Some(r.Packet.LastMsgSeq), None),
        _ => (None, None),
    };

    /// <summary>The conversation an event is about, if exactly one.</summary>
    public static Option<string> ConversationOf(Event e) => e switch
    {
        ConversationCreateRequested x => None,
        ConversationCreated x => Some(x.Result.Conversation.ConvId),
        ConversationUpdateRequested x => Some(x.Request.ConvId),
        ConversationDeleteRequested x => Some(x.Request.ConvId),
        ConversationDeleted x => Some(x.Result.ConvId),
        HistoryClearRequested x => Some(x.Request.ConvId),
        ParticipantsAddRequested x => Some(x.Request.ConvId),
        ParticipantsAdded x => x.Result.ConvId,
        ParticipantsAddedNotified x => Some(x.Packet.ConvId),
        ParticipantsRemoveRequested x => Some(x.Request.ConvId),
        ParticipantsRemoved x => x.Result.ConvId,
        ParticipantRemovedNotified x => Some(x.Packet.GroupId),
        RoleSetRequested x => Some(x.Request.ConvId),
        RoleSet x => Some(x.Result.ConvId),
        ConversationReadMarked x => Some(x.Request.ConvId),
        MessageDeliveryReported x => Some(x.Request.ConvId),
        MessageReportReceived x => Some(x.Packet.ConvId),
        TypingBeginRequested x => Some(x.Request.ConvId),
        TypingEndRequested x => Some(x.Request.ConvId),
        UserBeganTyping x => Some(x.Packet.ConvId),
        UserEndedTyping x => Some(x.Packet.ConvId),
        MessageSendRequested x => Some(x.Request.ConvId),
        MessageSent x => Some(x.Result.ConvId),
        MessageReceived x => Some(x.Packet.ConvId),
        MessagesLoadRequested x => Some(x.Request.ConvId),
        MessagesLoaded x => Single(x.Result.Msgs.Map(m => m.ConvId)),
        MessagesByIdsRequested x => Some(x.Request.ConvId),
        MessagesByIdsLoaded x => Single(x.Result.ListMsgs.Map(m => m.ConvId)),
        MessageDeleteRequested x => Some(x.Request.ConvId),
        MessagesDeleted x => Some(x.Result.ConvId),
        MessagePinRequested x => Some(x.Request.ConvId),
        MessagePinAnswered x => x.Result.ConvId,
        MessagePinChanged x => Some(x.Packet.ConvId),
        MessageEditRequested x => Some(x.Request.ConvId),
        MessageEdited x => Some(x.Packet.ConvId),
        MessageRevokeRequested x => Some(x.Request.ConvId),
        MessageRevokeAnswered x => Some(x.Result.ConvId),
        MessagesRevoked x => Some(x.Packet.ConvId),
        ChatRequestReceived x => Some(x.Packet.ConvId),
        TransferRequestReceived x => Some(x.Packet.ConvId),
        ChatRequestAnswerRequested x => Some(x.Request.ConvId),
        ChatRequestAnswered x => Some(x.Result.ConvId),
        TransferAnswerRequested x => Some(x.Request.ConvId),
        ChatTransferRequested x => Some(x.Request.ConvId),
        ChatTransferred x => Some(x.Result.ConvId),
        AgentAnswerTimedOut x => Some(x.Packet.ConvId),
        QueueTimedOut x => Some(x.Packet.ConvId),
        ChatEndRequested x => Some(x.Request.ConvId),
        ChatEnded x => Some(x.Result.ConvId),
        ConversationEnded x => Some(x.Packet.ConvId),
        ChatRateRequested x => Some(x.Request.ConvId),
        TranscriptSendRequested x => Some(x.Request.ConvId),
        GapDetected x => Some(x.ConvId),
        GapFilled x => Some(x.ConvId),
        GapUnrecoverable x => Some(x.ConvId),
        _ => None,
    };

    static Option<string> Single(Seq<Option<string>> ids)
    {
        var distinct = ids.Somes().Distinct().ToSeq();
        return distinct.Count == 1 ? distinct.Head : None;
    }

    /// <summary>The request id of a command event's request, if it has one.</summary>
    public static Option<long> RequestIdOf(Event e) =>
        Request(e).Bind(r => r.Body is IRequest q ? q.RequestId : None);
}
