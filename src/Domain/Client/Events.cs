using EventSourced.Domain.Packets;

namespace EventSourced.Domain.Client;

/// <summary>
/// The exact bytes of a packet as it crossed the wire, with value equality, so a replay or a hash
/// is byte-exact whatever a store does to the typed event.
/// </summary>
public sealed class Raw : IEquatable<Raw>
{
    readonly byte[] bytes;
    /// <summary>Wraps bytes (copied, so the value is immutable).</summary>
    public Raw(ReadOnlySpan<byte> data) => bytes = data.ToArray();
    /// <summary>No bytes: for events that did not come from a packet.</summary>
    public static readonly Raw None = new([]);
    /// <summary>The bytes.</summary>
    public ReadOnlySpan<byte> Span => bytes;
    /// <summary>Number of bytes.</summary>
    public int Length => bytes.Length;
    /// <summary>A copy of the bytes.</summary>
    public byte[] ToArray() => (byte[])bytes.Clone();
    /// <inheritdoc />
    public bool Equals(Raw? other) => other is not null && bytes.AsSpan().SequenceEqual(other.bytes);
    /// <inheritdoc />
    public override bool Equals(object? obj) => Equals(obj as Raw);
    /// <inheritdoc />
    public override int GetHashCode()
    {
        var h = new HashCode();
        h.AddBytes(bytes);
        return h.ToHashCode();
    }
    /// <inheritdoc />
    public override string ToString() => $"{bytes.Length} bytes";
}

/// <summary>Where an event came from.</summary>
public enum Origin
{
    /// <summary>A packet received from the server.</summary>
    Received = 0,
    /// <summary>A packet sent to the server (a user command or an automatic reply).</summary>
    Sent = 1,
    /// <summary>Something the client itself observed or decided (connection state, timeouts, local data).</summary>
    Local = 2,
}

/// <summary>
/// Everything recorded around an event: which stream, its place in the local log (the client's
/// clock: what it knew when) and the server's clock where the packet had one (<c>seq</c>, time:
/// what was true when), the direction, the <c>requestId</c> and the raw bytes.
/// </summary>
/// <param name="Stream">Stream key: <c>{user}/conversation/{convId}</c> or <c>{user}/session</c>.</param>
/// <param name="Position">Global position in the local log, assigned on append (0 before).</param>
/// <param name="Version">Version within the stream, assigned on append (0 before).</param>
/// <param name="ReceivedAt">Local time the client recorded it, epoch ms.</param>
/// <param name="ServerTime">Server time carried by the packet, epoch ms.</param>
/// <param name="Seq">Conversation sequence number carried by the packet.</param>
/// <param name="Origin">Received, sent or local.</param>
/// <param name="Service">Service number of the packet, if any.</param>
/// <param name="RequestId">The packet's <c>requestId</c>, if any.</param>
/// <param name="Raw">The packet's exact bytes (empty for local events).</param>
public sealed record Envelope(string Stream, long Position, long Version, long ReceivedAt, Option<long> ServerTime, Option<long> Seq,
    Origin Origin, Option<short> Service, Option<long> RequestId, Raw Raw);

/// <summary>Anything an event log stores: a payload with its envelope.</summary>
/// <typeparam name="TSelf">The record type itself.</typeparam>
public interface IRecorded<TSelf>
{
    /// <summary>The envelope.</summary>
    Envelope Meta { get; }
    /// <summary>The same record with another envelope (the log assigns stream, position and version).</summary>
    TSelf WithMeta(Envelope meta);
}

/// <summary>A client event as stored: envelope and payload.</summary>
public sealed record Recorded(Envelope Meta, Event Event) : IRecorded<Recorded>
{
    /// <inheritdoc />
    public Recorded WithMeta(Envelope meta) => this with { Meta = meta };
}

/// <summary>
/// The client's event catalogue: every user command, every server packet and every connection
/// fact. Storage contract: a breaking change is a new record, never an edit of one of these.
/// Command events hold the exact request body they put on the wire; received events hold the
/// typed body they were decoded from.
/// </summary>
public abstract record Event
{
    private Event() { }

    // ---- connection (local facts and session packets) ----
    /// <summary>connect(token): the token's id and claims are kept, never its signature.</summary>
    public sealed record ConnectRequested(string TokenId, Option<string> UserId, Option<long> ExpiresAt) : Event;
    /// <summary>disconnect().</summary>
    public sealed record DisconnectRequested : Event;
    /// <summary>The transport opened (before AUTHEN).</summary>
    public sealed record TransportOpened(string Server) : Event;
    /// <summary>The transport closed; <c>IsReconnecting</c> when the client will try again.</summary>
    public sealed record Disconnected(string Reason, bool IsReconnecting) : Event;
    /// <summary>AUTHEN sent (the token in the raw bytes has its signature removed).</summary>
    public sealed record AuthenSent(Authen Request) : Event;
    /// <summary>AUTHEN answered with r = 0: onConnect.</summary>
    public sealed record Connected(AuthenResult Result, bool IsReconnecting) : Event;
    /// <summary>AUTHEN answered with r != 0: onFailWithError.</summary>
    public sealed record ConnectFailed(AuthenResult Result) : Event;
    /// <summary>r = 6: onRequestAccessToken.</summary>
    public sealed record AccessTokenRequested : Event;
    /// <summary>PING from the server.</summary>
    public sealed record PingReceived(Ping Packet) : Event;
    /// <summary>PING echoed.</summary>
    public sealed record PingAnswered(Ping Packet) : Event;
    /// <summary>Another session of this user connected or left (104).</summary>
    public sealed record OtherDeviceChanged(OtherDeviceAuthenNotice Packet) : Event;
    /// <summary>Call state from another device (38).</summary>
    public sealed record OtherDeviceMessageReceived(OtherDeviceMessageNotice Packet) : Event;

    // ---- calls ----
    /// <summary>A call started by this client (26).</summary>
    public sealed record CallStartRequested(CallStart Request) : Event;
    /// <summary>26 answered.</summary>
    public sealed record CallStarted(CallStartResult Result) : Event;
    /// <summary>onIncomingCall (33).</summary>
    public sealed record IncomingCallReceived(IncomingCallNotice Packet) : Event;
    /// <summary>onIncomingCall2 (129).</summary>
    public sealed record IncomingCall2Received(IncomingCallNotice Packet) : Event;

    // ---- push, custom messages, users ----
    /// <summary>registerPush (39).</summary>
    public sealed record PushRegisterRequested(RegisterPush Request) : Event;
    /// <summary>unregisterPush (40).</summary>
    public sealed record PushUnregisterRequested(UnregisterPush Request) : Event;
    /// <summary>sendCustomMessage (54).</summary>
    public sealed record CustomMessageSendRequested(CustomMessage Request) : Event;
    /// <summary>onCustomMessage (55).</summary>
    public sealed record CustomMessageReceived(CustomMessageNotice Packet) : Event;
    /// <summary>A topic message (102).</summary>
    public sealed record TopicMessageReceived(TopicNotice Packet) : Event;
    /// <summary>updateUserInfo (70).</summary>
    public sealed record UserInfoUpdateRequested(UpdateUserInfo Request) : Event;
    /// <summary>Users' profiles asked for (56).</summary>
    public sealed record UsersInfoRequested(GetUsersInfo Request) : Event;
    /// <summary>56 answered.</summary>
    public sealed record UsersInfoReceived(UsersInfoResult Result) : Event;
    /// <summary>A user's profile changed (81).</summary>
    public sealed record UserInfoChanged(UserInfoNotice Packet) : Event;

    // ---- conversations ----
    /// <summary>createConversation (41).</summary>
    public sealed record ConversationCreateRequested(CreateConversation Request) : Event;
    /// <summary>createLiveChatConversation (41 with channel type 1).</summary>
    public sealed record LiveChatConversationCreateRequested(CreateConversation Request, string QueueId) : Event;
    /// <summary>41 answered (r = 0 new, r = 2 existing distinct).</summary>
    public sealed record ConversationCreated(CreateConversationResult Result) : Event;
    /// <summary>getLastConversations / getConversationsAfter / getConversationsBefore (48).</summary>
    public sealed record ConversationsLoadRequested(LoadConversations Request) : Event;
    /// <summary>getConversationById (57).</summary>
    public sealed record ConversationFetchRequested(GetConversationsByIds Request) : Event;
    /// <summary>48 or 57 answered.</summary>
    public sealed record ConversationsLoaded(ConversationsResult Result) : Event;
    /// <summary>getConversationWithUser (75).</summary>
    public sealed record ConversationWithUserRequested(GetConversationWithUser Request) : Event;
    /// <summary>75 answered.</summary>
    public sealed record ConversationWithUserLoaded(ConversationWithUserResult Result) : Event;
    /// <summary>updateConversation (63).</summary>
    public sealed record ConversationUpdateRequested(UpdateConversation Request) : Event;
    /// <summary>deleteConversation (52).</summary>
    public sealed record ConversationDeleteRequested(DeleteConversation Request) : Event;
    /// <summary>52 answered.</summary>
    public sealed record ConversationDeleted(DeleteConversationResult Result) : Event;
    /// <summary>Clear a conversation's history up to a seq (51).</summary>
    public sealed record HistoryClearRequested(ClearHistory Request) : Event;
    /// <summary>addParticipants (58).</summary>
    public sealed record ParticipantsAddRequested(AddParticipants Request) : Event;
    /// <summary>58 answered.</summary>
    public sealed record ParticipantsAdded(AddParticipantsResult Result) : Event;
    /// <summary>Participants added by someone (59).</summary>
    public sealed record ParticipantsAddedNotified(ParticipantsAddedNotice Packet) : Event;
    /// <summary>removeParticipants (60).</summary>
    public sealed record ParticipantsRemoveRequested(RemoveParticipants Request) : Event;
    /// <summary>60 answered.</summary>
    public sealed record ParticipantsRemoved(RemoveParticipantsResult Result) : Event;
    /// <summary>A participant removed by someone (61).</summary>
    public sealed record ParticipantRemovedNotified(ParticipantRemovedNotice Packet) : Event;
    /// <summary>A participant's role set (96).</summary>
    public sealed record RoleSetRequested(SetRole Request) : Event;
    /// <summary>96 answered.</summary>
    public sealed record RoleSet(SetRoleResult Result) : Event;
    /// <summary>getUnreadConversationCount (76).</summary>
    public sealed record UnreadCountRequested(GetUnreadCount Request) : Event;
    /// <summary>76 answered.</summary>
    public sealed record UnreadCountReceived(UnreadCountResult Result) : Event;
    /// <summary>markConversationAsRead (46 with status 2).</summary>
    public sealed record ConversationReadMarked(ReportMessage Request) : Event;
    /// <summary>The automatic delivery report after a new message (46 with status 1).</summary>
    public sealed record MessageDeliveryReported(ReportMessage Request) : Event;
    /// <summary>A participant received or read up to a seq (47).</summary>
    public sealed record MessageReportReceived(ReportNotice Packet) : Event;
    /// <summary>sendBeginTyping (84).</summary>
    public sealed record TypingBeginRequested(TypingRequest Request) : Event;
    /// <summary>sendEndTyping (85).</summary>
    public sealed record TypingEndRequested(TypingRequest Request) : Event;
    /// <summary>onUserBeginTyping (86).</summary>
    public sealed record UserBeganTyping(TypingNotice Packet) : Event;
    /// <summary>onUserEndTyping (87).</summary>
    public sealed record UserEndedTyping(TypingNotice Packet) : Event;

    // ---- messages ----
    /// <summary>sendMessage (42).</summary>
    public sealed record MessageSendRequested(SendMessage Request) : Event;
    /// <summary>42 answered: the server's id, seq and time.</summary>
    public sealed record MessageSent(SendMessageResult Result) : Event;
    /// <summary>A new message (45).</summary>
    public sealed record MessageReceived(MessageNotice Packet) : Event;
    /// <summary>getLastMessages / getMessagesAfter / getMessagesBefore and catch-up (50).</summary>
    public sealed record MessagesLoadRequested(LoadMessages Request) : Event;
    /// <summary>50, 95 or 97 answered.</summary>
    public sealed record MessagesLoaded(MessagesResult Result) : Event;
    /// <summary>Messages asked for by id (80).</summary>
    public sealed record MessagesByIdsRequested(GetMessagesByIds Request) : Event;
    /// <summary>80 answered.</summary>
    public sealed record MessagesByIdsLoaded(MessagesByIdsResult Result) : Event;
    /// <summary>deleteMessage (62).</summary>
    public sealed record MessageDeleteRequested(DeleteMessages Request) : Event;
    /// <summary>62 answered.</summary>
    public sealed record MessagesDeleted(DeleteMessagesResult Result) : Event;
    /// <summary>pinMessage (88).</summary>
    public sealed record MessagePinRequested(PinMessage Request) : Event;
    /// <summary>88 answered.</summary>
    public sealed record MessagePinAnswered(PinMessageResult Result) : Event;
    /// <summary>A message pinned or unpinned (89).</summary>
    public sealed record MessagePinChanged(PinNotice Packet) : Event;
    /// <summary>editMessage (90).</summary>
    public sealed record MessageEditRequested(EditMessage Request) : Event;
    /// <summary>A message's content edited (91).</summary>
    public sealed record MessageEdited(EditNotice Packet) : Event;
    /// <summary>revokeMessage (92).</summary>
    public sealed record MessageRevokeRequested(RevokeMessages Request) : Event;
    /// <summary>92 answered.</summary>
    public sealed record MessageRevokeAnswered(RevokeMessagesResult Result) : Event;
    /// <summary>Messages revoked (93).</summary>
    public sealed record MessagesRevoked(RevokeNotice Packet) : Event;

    // ---- live chat ----
    /// <summary>getChatProfile (REST).</summary>
    public sealed record ChatProfileRequested(string WidgetKey) : Event;
    /// <summary>The chat profile answered.</summary>
    public sealed record ChatProfileReceived(ChatProfileResult Result) : Event;
    /// <summary>getLiveChatToken (REST).</summary>
    public sealed record LiveChatTokenRequested(string WidgetKey, string Name, string Email) : Event;
    /// <summary>A visitor token answered (kept without its signature).</summary>
    public sealed record LiveChatTokenReceived(LiveChatTokenResult Result) : Event;
    /// <summary>createLiveChatTicket (REST).</summary>
    public sealed record TicketCreateRequested(string WidgetKey, string Name, string Email, string Note) : Event;
    /// <summary>The ticket answered.</summary>
    public sealed record TicketCreated(TicketResult Result) : Event;
    /// <summary>onReceiveChatRequest (64).</summary>
    public sealed record ChatRequestReceived(ChatRequestNotice Packet) : Event;
    /// <summary>onReceiveTransferChatRequest (79).</summary>
    public sealed record TransferRequestReceived(TransferRequestNotice Packet) : Event;
    /// <summary>Pending requests loaded (99), after AUTHEN for agents.</summary>
    public sealed record ChatRequestsLoadRequested(LoadChatRequests Request) : Event;
    /// <summary>99 answered.</summary>
    public sealed record ChatRequestsLoaded(ChatRequestsResult Result) : Event;
    /// <summary>acceptChatRequest / rejectChatRequest of a normal request (65).</summary>
    public sealed record ChatRequestAnswerRequested(AnswerChatRequest Request) : Event;
    /// <summary>65 answered.</summary>
    public sealed record ChatRequestAnswered(AnswerChatRequestResult Result) : Event;
    /// <summary>acceptChatRequest / rejectChatRequest of a transfer (78).</summary>
    public sealed record TransferAnswerRequested(ConfirmTransfer Request) : Event;
    /// <summary>Transfer to another agent (77).</summary>
    public sealed record ChatTransferRequested(TransferChat Request) : Event;
    /// <summary>77 answered.</summary>
    public sealed record ChatTransferred(TransferChatResult Result) : Event;
    /// <summary>onTimeoutAnswerChat (66).</summary>
    public sealed record AgentAnswerTimedOut(AgentTimeoutNotice Packet) : Event;
    /// <summary>onTimeoutInQueue (67).</summary>
    public sealed record QueueTimedOut(QueueTimeoutNotice Packet) : Event;
    /// <summary>endChat (68).</summary>
    public sealed record ChatEndRequested(EndChat Request) : Event;
    /// <summary>68 answered.</summary>
    public sealed record ChatEnded(EndChatResult Result) : Event;
    /// <summary>onConversationEnded (98).</summary>
    public sealed record ConversationEnded(ConversationEndedNotice Packet) : Event;
    /// <summary>Rate a chat (69).</summary>
    public sealed record ChatRateRequested(RateChat Request) : Event;
    /// <summary>sendChatTranscript (71).</summary>
    public sealed record TranscriptSendRequested(SendTranscript Request) : Event;

    // ---- generic answers, failures and local facts ----
    /// <summary>A request answered with r = 0 and no result fields.</summary>
    public sealed record RequestAcknowledged(short Service, Ack Result) : Event;
    /// <summary>A request answered with r != 0.</summary>
    public sealed record RequestFailed(short Service, Failure Result) : Event;
    /// <summary>A request with no answer in time.</summary>
    public sealed record RequestTimedOut(short Service, long RequestId) : Event;
    /// <summary>Catch-up found seqs missing in a conversation (From..To inclusive; To is the highest known) and will fetch them.</summary>
    public sealed record GapDetected(string ConvId, long From, long To) : Event;
    /// <summary>The catch-up that followed a <see cref="GapDetected"/> ended with every seq From..To held.</summary>
    public sealed record GapFilled(string ConvId, long From, long To) : Event;
    /// <summary>The catch-up ended with seqs From..To still missing, and why (the server had no more, refused, or the page limit was reached).</summary>
    public sealed record GapUnrecoverable(string ConvId, long From, long To, string Reason) : Event;
    /// <summary>clearDb(): the local view of this user's data is emptied; the log itself is kept.</summary>
    public sealed record LocalDataCleared : Event;
    /// <summary>A frame that could not be read, or a body missing fields: kept with its raw bytes.</summary>
    public sealed record PacketMalformed(Option<short> Service, string Reason) : Event;
    /// <summary>A well-formed frame of a service this build does not handle in this direction.</summary>
    public sealed record PacketUnknown(short Service, Json.Obj Body) : Event;
}
