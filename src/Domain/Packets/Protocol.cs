namespace EventSourced.Domain.Packets;

/// <summary>Why a packet's body could not be read as the record its service calls for.</summary>
/// <param name="Service">The packet's service number.</param>
/// <param name="Reason">What was wrong (unknown service, missing or wrongly typed field).</param>
public sealed record BodyError(short Service, string Reason);

/// <summary>
/// The service table as types: which body record each service carries in each direction, and the
/// pure functions between packets and typed bodies. Responses with <c>r != 0</c> decode as
/// <see cref="Failure"/> (except AUTHEN, whose own record carries every code, and 41's r = 2,
/// which is a success).
/// </summary>
public static class Protocol
{
    /// <summary>Services that only read: a timed-out read changed nothing, so it is a timeout, never an unknown outcome.</summary>
    public static bool IsQuery(Service service) => service is Service.Ping or Service.ChatConversationLoad or Service.ChatMessagesLoad or Service.ChatGetUsersInfo
        or Service.ChatGetConversationsInfo or Service.ChatConversationForUsers or Service.ChatUnreadConversationCount or Service.ChatConversationAttachment
        or Service.ChatLoadAllMessagesForConversations or Service.GetMessagesInfo or Service.ChatRequestLoad or Service.GetChatServices;

    static readonly Dictionary<(Service, Direction), Type> Types = new()
    {
        [(Service.Ping, Direction.ClientToServer)] = typeof(Ping),
        [(Service.Ping, Direction.ServerToClient)] = typeof(Ping),
        [(Service.Authen, Direction.ClientToServer)] = typeof(Authen),
        [(Service.Authen, Direction.ServerToClient)] = typeof(AuthenResult),
        [(Service.CallStart, Direction.ClientToServer)] = typeof(CallStart),
        [(Service.CallStart, Direction.ServerToClient)] = typeof(CallStartResult),
        [(Service.CallStartFromServer, Direction.ServerToClient)] = typeof(IncomingCallNotice),
        [(Service.VideoRoomCallInvite, Direction.ServerToClient)] = typeof(IncomingCallNotice),
        [(Service.MsgFromOtherDevice, Direction.ServerToClient)] = typeof(OtherDeviceMessageNotice),
        [(Service.OtherDeviceAuthen, Direction.ServerToClient)] = typeof(OtherDeviceAuthenNotice),
        [(Service.PushDeviceTokenRegister, Direction.ClientToServer)] = typeof(RegisterPush),
        [(Service.PushDeviceTokenRegister, Direction.ServerToClient)] = typeof(Ack),
        [(Service.PushDeviceTokenUnregister, Direction.ClientToServer)] = typeof(UnregisterPush),
        [(Service.PushDeviceTokenUnregister, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatCreateConversation, Direction.ClientToServer)] = typeof(CreateConversation),
        [(Service.ChatCreateConversation, Direction.ServerToClient)] = typeof(CreateConversationResult),
        [(Service.ChatMessage, Direction.ClientToServer)] = typeof(SendMessage),
        [(Service.ChatMessage, Direction.ServerToClient)] = typeof(SendMessageResult),
        [(Service.ChatMessageFromServer, Direction.ServerToClient)] = typeof(MessageNotice),
        [(Service.ChatMessageReport, Direction.ClientToServer)] = typeof(ReportMessage),
        [(Service.ChatMessageReport, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatMessageReportFromServer, Direction.ServerToClient)] = typeof(ReportNotice),
        [(Service.ChatConversationLoad, Direction.ClientToServer)] = typeof(LoadConversations),
        [(Service.ChatConversationLoad, Direction.ServerToClient)] = typeof(ConversationsResult),
        [(Service.ChatMessagesLoad, Direction.ClientToServer)] = typeof(LoadMessages),
        [(Service.ChatMessagesLoad, Direction.ServerToClient)] = typeof(MessagesResult),
        [(Service.ChatConversationClearHistory, Direction.ClientToServer)] = typeof(ClearHistory),
        [(Service.ChatConversationClearHistory, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatDeleteConversation, Direction.ClientToServer)] = typeof(DeleteConversation),
        [(Service.ChatDeleteConversation, Direction.ServerToClient)] = typeof(DeleteConversationResult),
        [(Service.CustomMessage, Direction.ClientToServer)] = typeof(CustomMessage),
        [(Service.CustomMessage, Direction.ServerToClient)] = typeof(Ack),
        [(Service.CustomMessageFromServer, Direction.ServerToClient)] = typeof(CustomMessageNotice),
        [(Service.ChatGetUsersInfo, Direction.ClientToServer)] = typeof(GetUsersInfo),
        [(Service.ChatGetUsersInfo, Direction.ServerToClient)] = typeof(UsersInfoResult),
        [(Service.ChatGetConversationsInfo, Direction.ClientToServer)] = typeof(GetConversationsByIds),
        [(Service.ChatGetConversationsInfo, Direction.ServerToClient)] = typeof(ConversationsResult),
        [(Service.ChatAddParticipant, Direction.ClientToServer)] = typeof(AddParticipants),
        [(Service.ChatAddParticipant, Direction.ServerToClient)] = typeof(AddParticipantsResult),
        [(Service.ChatAddParticipantFromServer, Direction.ServerToClient)] = typeof(ParticipantsAddedNotice),
        [(Service.ChatRemoveParticipant, Direction.ClientToServer)] = typeof(RemoveParticipants),
        [(Service.ChatRemoveParticipant, Direction.ServerToClient)] = typeof(RemoveParticipantsResult),
        [(Service.ChatRemoveParticipantFromServer, Direction.ServerToClient)] = typeof(ParticipantRemovedNotice),
        [(Service.ChatDeleteMessage, Direction.ClientToServer)] = typeof(DeleteMessages),
        [(Service.ChatDeleteMessage, Direction.ServerToClient)] = typeof(DeleteMessagesResult),
        [(Service.ChatUpdateConversation, Direction.ClientToServer)] = typeof(UpdateConversation),
        [(Service.ChatUpdateConversation, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatRouteToAgent, Direction.ServerToClient)] = typeof(ChatRequestNotice),
        [(Service.ChatAgentResponse, Direction.ClientToServer)] = typeof(AnswerChatRequest),
        [(Service.ChatAgentResponse, Direction.ServerToClient)] = typeof(AnswerChatRequestResult),
        [(Service.TimeoutRouteToAgent, Direction.ServerToClient)] = typeof(AgentTimeoutNotice),
        [(Service.TimeoutRouteToQueue, Direction.ServerToClient)] = typeof(QueueTimeoutNotice),
        [(Service.EndChat, Direction.ClientToServer)] = typeof(EndChat),
        [(Service.EndChat, Direction.ServerToClient)] = typeof(EndChatResult),
        [(Service.RateChat, Direction.ClientToServer)] = typeof(RateChat),
        [(Service.RateChat, Direction.ServerToClient)] = typeof(Ack),
        [(Service.UpdateUserInfo, Direction.ClientToServer)] = typeof(UpdateUserInfo),
        [(Service.UpdateUserInfo, Direction.ServerToClient)] = typeof(Ack),
        [(Service.SendEmailTranscript, Direction.ClientToServer)] = typeof(SendTranscript),
        [(Service.SendEmailTranscript, Direction.ServerToClient)] = typeof(Ack),
        [(Service.GetChatServices, Direction.ClientToServer)] = typeof(GetChatServices),
        [(Service.GetChatServices, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ViewChat, Direction.ClientToServer)] = typeof(ChatById),
        [(Service.ViewChat, Direction.ServerToClient)] = typeof(Ack),
        [(Service.JoinChatCustomerCare, Direction.ClientToServer)] = typeof(ChatById),
        [(Service.JoinChatCustomerCare, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatConversationForUsers, Direction.ClientToServer)] = typeof(GetConversationWithUser),
        [(Service.ChatConversationForUsers, Direction.ServerToClient)] = typeof(ConversationWithUserResult),
        [(Service.ChatUnreadConversationCount, Direction.ClientToServer)] = typeof(GetUnreadCount),
        [(Service.ChatUnreadConversationCount, Direction.ServerToClient)] = typeof(UnreadCountResult),
        [(Service.ChatTransferToAnotherAgent, Direction.ClientToServer)] = typeof(TransferChat),
        [(Service.ChatTransferToAnotherAgent, Direction.ServerToClient)] = typeof(TransferChatResult),
        [(Service.ChatConfirmTransferRequest, Direction.ClientToServer)] = typeof(ConfirmTransfer),
        [(Service.ChatConfirmTransferRequest, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatTransferRequestFromAnotherAgent, Direction.ServerToClient)] = typeof(TransferRequestNotice),
        [(Service.GetMessagesInfo, Direction.ClientToServer)] = typeof(GetMessagesByIds),
        [(Service.GetMessagesInfo, Direction.ServerToClient)] = typeof(MessagesByIdsResult),
        [(Service.UpdateUserInfoNotification, Direction.ServerToClient)] = typeof(UserInfoNotice),
        [(Service.ChatContinue, Direction.ClientToServer)] = typeof(ContinueChat),
        [(Service.ChatContinue, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatUserBeginTyping, Direction.ClientToServer)] = typeof(TypingRequest),
        [(Service.ChatUserBeginTyping, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatUserEndTyping, Direction.ClientToServer)] = typeof(TypingRequest),
        [(Service.ChatUserEndTyping, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatUserBeginTypingNotification, Direction.ServerToClient)] = typeof(TypingNotice),
        [(Service.ChatUserEndTypingNotification, Direction.ServerToClient)] = typeof(TypingNotice),
        [(Service.ChatPinMessage, Direction.ClientToServer)] = typeof(PinMessage),
        [(Service.ChatPinMessage, Direction.ServerToClient)] = typeof(PinMessageResult),
        [(Service.ChatPinMessageFromServer, Direction.ServerToClient)] = typeof(PinNotice),
        [(Service.ChatEditMessage, Direction.ClientToServer)] = typeof(EditMessage),
        [(Service.ChatEditMessage, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatEditMessageFromServer, Direction.ServerToClient)] = typeof(EditNotice),
        [(Service.ChatRevokeMessage, Direction.ClientToServer)] = typeof(RevokeMessages),
        [(Service.ChatRevokeMessage, Direction.ServerToClient)] = typeof(RevokeMessagesResult),
        [(Service.ChatRevokeMessageFromServer, Direction.ServerToClient)] = typeof(RevokeNotice),
        [(Service.ChatAgentResolveConversation, Direction.ClientToServer)] = typeof(ResolveConversation),
        [(Service.ChatAgentResolveConversation, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatConversationAttachment, Direction.ClientToServer)] = typeof(LoadAttachments),
        [(Service.ChatConversationAttachment, Direction.ServerToClient)] = typeof(MessagesResult),
        [(Service.ChatSetRole, Direction.ClientToServer)] = typeof(SetRole),
        [(Service.ChatSetRole, Direction.ServerToClient)] = typeof(SetRoleResult),
        [(Service.ChatLoadAllMessagesForConversations, Direction.ClientToServer)] = typeof(LoadMessagesForConversations),
        [(Service.ChatLoadAllMessagesForConversations, Direction.ServerToClient)] = typeof(MessagesResult),
        [(Service.ChatConversationEndedNotification, Direction.ServerToClient)] = typeof(ConversationEndedNotice),
        [(Service.ChatRequestLoad, Direction.ClientToServer)] = typeof(LoadChatRequests),
        [(Service.ChatRequestLoad, Direction.ServerToClient)] = typeof(ChatRequestsResult),
        [(Service.SubscribeFromServer, Direction.ServerToClient)] = typeof(TopicNotice),
        [(Service.ChangeAttribute, Direction.ClientToServer)] = typeof(ChangeAttribute),
        [(Service.ChangeAttribute, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatBlockUser, Direction.ClientToServer)] = typeof(BlockUser),
        [(Service.ChatBlockUser, Direction.ServerToClient)] = typeof(Ack),
        [(Service.ChatJoinOaConversation, Direction.ClientToServer)] = typeof(JoinOaConversation),
        [(Service.ChatJoinOaConversation, Direction.ServerToClient)] = typeof(Ack),
    };

    /// <summary>Every (service, direction) pair this build reads and writes, with its body type.</summary>
    public static IEnumerable<(Service Service, Direction Direction, Type Body)> Table =>
        Types.OrderBy(kv => kv.Key.Item1).ThenBy(kv => kv.Key.Item2).Select(kv => (kv.Key.Item1, kv.Key.Item2, kv.Value));

    /// <summary>The body type a service carries in a direction.</summary>
    public static Option<Type> BodyType(Service s, Direction d) => Types.TryGetValue((s, d), out var t) ? Some(t) : None;

    /// <summary>True when the server's packet on this service answers a client request (so <c>r</c> applies).</summary>
    public static bool IsResponse(Service s) => Types.ContainsKey((s, Direction.ClientToServer));

    /// <summary>Reads a packet's body as the record its service and direction call for.</summary>
    public static Either<BodyError, Body> Decode(Direction direction, Packet packet)
    {
        if (packet.Known.IsNone) return new BodyError(packet.Service, $"unknown service {packet.Service}");
        var service = (Service)packet.Service;
        if (!Types.TryGetValue((service, direction), out var type))
            return new BodyError(packet.Service, $"service {service} ({packet.Service}) is not sent {Describe(direction)}");
        if (direction == Direction.ServerToClient && IsFailure(service, packet.Body)) type = typeof(Failure);
        return BodyCodec.Decode(type, packet.Body)
            .Map(o => (Body)o)
            .MapLeft(reason => new BodyError(packet.Service, reason));
    }

    static bool IsFailure(Service s, Json.Obj body) =>
        IsResponse(s) && s != Service.Authen
        && body["r"].Match(r => r is Json.Number n && n.Value != 0 && !(s == Service.ChatCreateConversation && n.Value == 2), () => false);

    /// <summary>Writes a typed body as a packet of the given service.</summary>
    public static Packet Encode(Service service, Body body) => new(service, BodyCodec.Encode(body));

    static string Describe(Direction d) => d == Direction.ClientToServer ? "by clients" : "by the server";
}
