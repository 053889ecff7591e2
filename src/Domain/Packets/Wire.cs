namespace EventSourced.Domain.Packets;

// Every packet body of the protocol (§4–6, §11), declared once as a record and mapped by BodyCodec.
// These records are the wire contract: Stringee's field names, Stringee's types. Optional fields
// are Option<T>. Requests are named after what they ask; responses end in "Result"; notifications
// pushed by the server end in "Notice".

/// <summary>Any typed packet body.</summary>
public abstract record Body;

/// <summary>A client request: carries the <c>requestId</c> its response will echo.</summary>
public interface IRequest
{
    /// <summary>The client-chosen request id.</summary>
    Option<long> RequestId { get; }
}

/// <summary>A server response: <c>r</c> (0 = success) and the echoed <c>requestId</c>.</summary>
public interface IResponse
{
    /// <summary>Result code; 0 is success.</summary>
    int R { get; }
    /// <summary>The request id echoed.</summary>
    Option<long> RequestId { get; }
}

// ---- shared shapes (§7) ----

/// <summary>A conversation participant (§7.1, §7.4).</summary>
public sealed record Participant(string User, Option<string> DisplayName, Option<string> AvatarUrl, Option<string> Role,
    Option<long> LastMsgSeqReceived, Option<long> LastMsgSeqSeen);

/// <summary>Sender profile attached to messages and conversation summaries.</summary>
public sealed record SenderInfo(string User, [WireName("display_name")] Option<string> DisplayName,
    [WireName("avatar_url")] Option<string> AvatarUrl);

/// <summary>A conversation as the server lists it (§7.1).</summary>
public sealed record ConversationInfo(string ConvId, Option<string> ConvName, Option<bool> IsGroup, Option<bool> IsDistinct,
    Option<string> Creator, Option<long> Created, Option<long> LastUpdate, Option<long> LastTimeNewMsg, Option<int> Unread,
    Option<long> ConvLastSeq, Option<long> LastMsgSeqReceived, Option<long> LastMsgSeqSeen, Option<string> PinMsgId,
    Option<Json> Ended, Option<int> ChannelType, Option<string> CustomData, Option<string> OaId, Option<string> LocalDbId,
    Option<string> AvatarUrl, Option<Json> LastMsg, Option<string> LastMsgId, Option<int> LastMsgType, Option<string> LastMsgSender,
    Option<SenderInfo> LastMsgSenderInfo, Option<Seq<Participant>> Participants);

/// <summary>A message as the server lists it (§7.2).</summary>
public sealed record MessageInfo(string Id, long Seq, Option<string> ConvId, Option<string> LocalDbId, Option<long> Created,
    Option<int> Type, Option<string> User, Option<Json> Content, Option<int> DeletedStatus, Option<SenderInfo> SenderInfo,
    Option<int> ChannelType, Option<int> Revoked, Option<long> Edited);

/// <summary>A user profile (§6.3 service 56).</summary>
public sealed record UserInfo(string UserId, Option<string> DisplayName, Option<string> AvatarUrl, Option<string> Email,
    Option<string> Phone, Option<string> Location, Option<string> Browser, Option<string> Platform, Option<string> Device,
    Option<string> Ipaddress, Option<string> Hostname, Option<string> Useragent);

/// <summary>A pending live-chat request (service 99).</summary>
public sealed record ChatRequestInfo(string ConvId, string CustomerId, Option<string> CustomerName, Option<int> ChannelType,
    Option<string> Type, Option<string> From);

/// <summary>A live-chat queue (§7.6).</summary>
public sealed record QueueInfo(string Id, string Name);

/// <summary>A live-chat profile (§7.6).</summary>
public sealed record ChatProfileInfo(string Id, Option<string> Portal, [WireName("project_id")] Option<long> ProjectId,
    Option<string> Language, Option<string> Background, [WireName("logo_url")] Option<string> LogoUrl,
    [WireName("auto_create_ticket")] Option<int> AutoCreateTicket, [WireName("popup_answer_url")] Option<string> PopupAnswerUrl,
    [WireName("agent_max_serve")] Option<int> AgentMaxServe, Option<int> Enabled, [WireName("business_hour_id")] Option<string> BusinessHourId,
    Option<Json> Hour, [WireName("facebook_as_livechat")] Option<int> FacebookAsLivechat,
    [WireName("zalo_as_livechat")] Option<int> ZaloAsLivechat, Option<Seq<QueueInfo>> Queues);

// ---- generic responses ----

/// <summary>A success response with no result fields.</summary>
public sealed record Ack(int R, Option<long> RequestId, Option<string> Message) : Body, IResponse;
/// <summary>Any response with <c>r != 0</c> (and not one of the successes 41/r=2 or AUTHEN's own codes).</summary>
public sealed record Failure(int R, Option<long> RequestId, Option<string> Message) : Body, IResponse;

// ---- session (§4) ----

/// <summary>PING (1): sent by the server, echoed by the client.</summary>
public sealed record Ping(Option<long> RequestId) : Body, IRequest;
/// <summary>AUTHEN request (2).</summary>
public sealed record Authen(Option<string> Accesstoken, Option<long> RequestId, Option<string> DeviceId, Option<string> BrowserId,
    Option<string> SessionId, Option<int> Platform, Option<string> PlatformVersion, Option<string> DeviceName,
    Option<string> ScreenSize, Option<string> SdkVersion) : Body, IRequest;
/// <summary>AUTHEN response (2): r is one of §9.1's codes.</summary>
public sealed record AuthenResult(int R, Option<long> RequestId, Option<string> Message, Option<string> UserId,
    Option<string> DisplayName, Option<long> ProjectId, Option<long> ConnectionId, [WireName("ping_after_ms")] Option<long> PingAfterMs,
    [WireName("ice_servers")] Option<Json> IceServers, Option<Json> Clients, Option<bool> ChatAgent, Option<string> ClientIp,
    [WireName("change_to_server")] Option<Json> ChangeToServer) : Body, IResponse;
/// <summary>OTHER_DEVICE_AUTHEN (104): another session of the same user connected or left.</summary>
public sealed record OtherDeviceAuthenNotice(string Status, Option<long> ClientId, Option<string> BrowserId) : Body;
/// <summary>MSG_FROM_OTHER_DEVICE (38): call state handled on another device.</summary>
public sealed record OtherDeviceMessageNotice(string Type, Option<Json> Data) : Body;

// ---- calls (enough to ring: 26, 33, 129) ----

/// <summary>CALL_START (26): start a call to a user (no media in this project). Field names are the web SDK's.</summary>
public sealed record CallStart(Option<long> RequestId, Option<string> FromNumber, string ToNumber, Option<bool> Video, Option<string> Custom,
    Option<bool> Call2) : Body, IRequest;
/// <summary>CALL_START response (26).</summary>
public sealed record CallStartResult(int R, Option<long> RequestId, Option<string> Message, string CallId, Option<string> ToType,
    Option<string> CustomDataFromYourServer) : Body, IResponse;
/// <summary>CALL_START_FROM_SERVER (33) and VIDEO_ROOM_CALL_INVITE (129): an incoming call, with the fields the web SDK reads.</summary>
public sealed record IncomingCallNotice(string CallId, string FromNumber, string ToNumber, Option<string> FromAlias, Option<string> ToAlias,
    bool Video, Option<bool> FromInternal, Option<string> CustomDataFromYourServer) : Body;

// ---- push (39, 40) ----

/// <summary>PUSH_DEVICE_TOKEN_REGISTER (39).</summary>
public sealed record RegisterPush(Option<long> RequestId, int DeviceType, string DeviceToken, Option<string> PackageName,
    Option<bool> Production, Option<bool> Voip, Option<bool> DeleteOthers, Option<Seq<string>> PackageNames) : Body, IRequest;
/// <summary>PUSH_DEVICE_TOKEN_UNREGISTER (40).</summary>
public sealed record UnregisterPush(Option<long> RequestId, Option<int> DeviceType, string DeviceToken, Option<string> PackageName,
    Option<long> ProjectId, Option<string> UserId) : Body, IRequest;

// ---- conversations (§6.1) ----

/// <summary>CHAT_CREATE_CONVERSATION (41).</summary>
public sealed record CreateConversation(Option<long> RequestId, Seq<string> Participants, [WhenMissing(false)] bool IsGroup, [WhenMissing(false)] bool Distinct,
    Option<string> Name, Option<string> LocalDbId, Option<string> CustomData, Option<string> OaId, Option<int> ChannelType,
    Option<Json> CustomField, Option<string> ServiceId) : Body, IRequest;
/// <summary>41 response: r = 0 new, r = 2 the existing distinct conversation. <c>group</c> repeats the id for Android.</summary>
public sealed record CreateConversationResult(int R, Option<long> RequestId, Option<string> Group, [Inline] ConversationInfo Conversation,
    Option<Json> Info) : Body, IResponse;
/// <summary>CHAT_CONVERSATION_LOAD (48).</summary>
public sealed record LoadConversations(Option<long> RequestId, [WhenMissing(0L)] long LastUpdateGreater, [WhenMissing(9007199254740991L)] long LastUpdateSmaller, [WhenMissing(50)] int Limit,
    Option<bool> LoadAllConversations, Option<bool> Unread, Option<string> OaId, Option<Seq<int>> ChannelTypes, Option<int> Ended) : Body, IRequest;
/// <summary>48 and 57 response.</summary>
public sealed record ConversationsResult(int R, Option<long> RequestId, Seq<ConversationInfo> ListConvs) : Body, IResponse;
/// <summary>CHAT_GET_CONVERSATIONS_INFO (57): ids comma-joined.</summary>
public sealed record GetConversationsByIds(Option<long> RequestId, string ConvIds) : Body, IRequest;
/// <summary>CHAT_CONVERSATION_FOR_USERS (75).</summary>
public sealed record GetConversationWithUser(Option<long> RequestId, Seq<string> Participants) : Body, IRequest;
/// <summary>75 response.</summary>
public sealed record ConversationWithUserResult(int R, Option<long> RequestId, Seq<ConversationInfo> Conversations) : Body, IResponse;
/// <summary>CHAT_UPDATE_CONVERSATION (63).</summary>
public sealed record UpdateConversation(Option<long> RequestId, string ConvId, Option<string> GroupName, Option<string> ImageUrl) : Body, IRequest;
/// <summary>CHAT_DELETE_CONVERSATION (52).</summary>
public sealed record DeleteConversation(Option<long> RequestId, string ConvId, Option<long> Seq) : Body, IRequest;
/// <summary>52 response.</summary>
public sealed record DeleteConversationResult(int R, Option<long> RequestId, string ConvId) : Body, IResponse;
/// <summary>CHAT_CONVERSATION_CLEAR_HISTORY (51).</summary>
public sealed record ClearHistory(Option<long> RequestId, string ConvId, long Seq) : Body, IRequest;
/// <summary>CHAT_ADD_PARTICIPANT (58).</summary>
public sealed record AddParticipants(Option<long> RequestId, string ConvId, Seq<string> UserIds) : Body, IRequest;
/// <summary>58 response.</summary>
public sealed record AddParticipantsResult(int R, Option<long> RequestId, Option<string> ConvId, Seq<Participant> Added) : Body, IResponse;
/// <summary>CHAT_ADD_PARTICIPANT_FROM_SERVER (59): payload undocumented; this project mirrors 61 with the added list.</summary>
public sealed record ParticipantsAddedNotice(string ConvId, Option<string> AddedBy, Seq<Participant> Added) : Body;
/// <summary>CHAT_REMOVE_PARTICIPANT (60).</summary>
public sealed record RemoveParticipants(Option<long> RequestId, string ConvId, Seq<string> UserIds) : Body, IRequest;
/// <summary>60 response.</summary>
public sealed record RemoveParticipantsResult(int R, Option<long> RequestId, Option<string> ConvId, Seq<Participant> Removed) : Body, IResponse;
/// <summary>CHAT_REMOVE_PARTICIPANT_FROM_SERVER (61): <c>removedInfo</c> is a JSON string <c>{"user":id}</c>.</summary>
public sealed record ParticipantRemovedNotice(string GroupId, Option<string> RemovedBy, string RemovedInfo) : Body;
/// <summary>CHAT_SET_ROLE (96).</summary>
public sealed record SetRole(Option<long> RequestId, string ConvId, string UserId, string Role) : Body, IRequest;
/// <summary>96 response.</summary>
public sealed record SetRoleResult(int R, Option<long> RequestId, string ConvId) : Body, IResponse;
/// <summary>CHAT_UNREAD_CONVERSATION_COUNT (76).</summary>
public sealed record GetUnreadCount(Option<long> RequestId) : Body, IRequest;
/// <summary>76 response.</summary>
public sealed record UnreadCountResult(int R, Option<long> RequestId, int Count) : Body, IResponse;
/// <summary>CHAT_JOIN_OA_CONVERSATION (200).</summary>
public sealed record JoinOaConversation(Option<long> RequestId, string ConvId) : Body, IRequest;
/// <summary>CHAT_BLOCK_USER (105): a user (Android <c>blockUser</c>, web <c>userId</c>) or group invites.</summary>
public sealed record BlockUser(Option<long> RequestId, [WireName("blockUser")] Option<string> BlockUserId, Option<string> UserId,
    [WireName("block_group_invite")] Option<string> BlockGroupInvite) : Body, IRequest;
/// <summary>CHAT_CONTINUE (82).</summary>
public sealed record ContinueChat(Option<long> RequestId, string ConvId) : Body, IRequest;

// ---- messages (§6.2) ----

/// <summary>CHAT_MESSAGE (42): send. <c>message</c> is the content object of §7.3.</summary>
public sealed record SendMessage(Option<long> RequestId, string ConvId, int Type, Json.Obj Message, Option<string> LocalDbId) : Body, IRequest;
/// <summary>42 response: the server's id, seq and time for the message.</summary>
public sealed record SendMessageResult(int R, Option<long> RequestId, string ConvId, string MsgId, long Seq, long Created,
    Option<string> LocalDbId, Option<int> ChannelType) : Body, IResponse;
/// <summary>CHAT_MESSAGE_FROM_SERVER (45): a new message.</summary>
public sealed record MessageNotice(string ConvId, string MsgId, string From, long CreatedTime, long Seq, int Type, Json.Obj Message,
    Option<int> ChannelType, Option<string> DisplayName, Option<string> AvatarUrl, Option<string> ConvName, Option<string> Role,
    Option<string> LocalDbId) : Body;
/// <summary>CHAT_MESSAGE_REPORT (46): status 1 delivered, 2 read.</summary>
public sealed record ReportMessage(Option<long> RequestId, string ConvId, long LastMsgSeq, Option<long> LastMsgTimestamp, int Status) : Body, IRequest;
/// <summary>CHAT_MESSAGE_REPORT_FROM_SERVER (47).</summary>
public sealed record ReportNotice(string ConvId, string From, long LastMsgSeq, int Status) : Body;
/// <summary>CHAT_MESSAGES_LOAD (50).</summary>
public sealed record LoadMessages(Option<long> RequestId, string ConvId, [WhenMissing(0L)] long SeqGreater, [WhenMissing(9007199254740991L)] long SeqSmaller, [WhenMissing(50)] int Limit, [WhenMissing("DESC")] string Sort,
    Option<int> LoadDeletedMessage, Option<int> LoadDeletedMessageContent, Option<bool> AllowToLoadHistory) : Body, IRequest;
/// <summary>50, 95 and 97 response.</summary>
public sealed record MessagesResult(int R, Option<long> RequestId, Seq<MessageInfo> Msgs) : Body, IResponse;
/// <summary>GET_MESSAGES_INFO (80): ids comma-joined.</summary>
public sealed record GetMessagesByIds(Option<long> RequestId, string ConvId, string MsgIds) : Body, IRequest;
/// <summary>80 response.</summary>
public sealed record MessagesByIdsResult(int R, Option<long> RequestId, Seq<MessageInfo> ListMsgs) : Body, IResponse;
/// <summary>CHAT_LOAD_ALL_MESSAGES_FOR_CONVERSATIONS (97).</summary>
public sealed record LoadMessagesForConversations(Option<long> RequestId, string ConvIds, long CreatedGreater, long CreatedSmaller,
    string Sort, int Limit) : Body, IRequest;
/// <summary>CHAT_CONVERSATION_ATTACHMENT (95).</summary>
public sealed record LoadAttachments(Option<long> RequestId, string ConvId, int MsgType, int Start, int Limit) : Body, IRequest;
/// <summary>CHAT_DELETE_MESSAGE (62).</summary>
public sealed record DeleteMessages(Option<long> RequestId, string ConvId, Seq<string> MessageIds) : Body, IRequest;
/// <summary>62 response.</summary>
public sealed record DeleteMessagesResult(int R, Option<long> RequestId, string ConvId, Seq<string> MessageIds) : Body, IResponse;
/// <summary>CHAT_PIN_MESSAGE (88).</summary>
public sealed record PinMessage(Option<long> RequestId, string ConvId, string MsgId, bool IsPin) : Body, IRequest;
/// <summary>88 response (this project's server also echoes convId and msgId).</summary>
public sealed record PinMessageResult(int R, Option<long> RequestId, bool IsPin, Option<string> ConvId, Option<string> MsgId) : Body, IResponse;
/// <summary>CHAT_PIN_MESSAGE_FROM_SERVER (89).</summary>
public sealed record PinNotice(string ConvId, string MsgId, bool IsPin) : Body;
/// <summary>CHAT_EDIT_MESSAGE (90): <c>newContent</c> is a JSON string (web) or an object (Android).</summary>
public sealed record EditMessage(Option<long> RequestId, string ConvId, string MsgId, Json NewContent) : Body, IRequest;
/// <summary>CHAT_EDIT_MESSAGE_FROM_SERVER (91): <c>newContent</c> is a string holding JSON <c>{"content":...}</c>.</summary>
public sealed record EditNotice(string ConvId, string MsgId, Json NewContent) : Body;
/// <summary>CHAT_REVOKE_MESSAGE (92).</summary>
public sealed record RevokeMessages(Option<long> RequestId, string ConvId, Seq<string> MsgIds, Option<int> Delete) : Body, IRequest;
/// <summary>92 response.</summary>
public sealed record RevokeMessagesResult(int R, Option<long> RequestId, string ConvId, Seq<string> MsgIds) : Body, IResponse;
/// <summary>CHAT_REVOKE_MESSAGE_FROM_SERVER (93).</summary>
public sealed record RevokeNotice(string ConvId, Seq<string> MsgIds) : Body;
/// <summary>CHAT_USER_BEGIN_TYPING (84) and CHAT_USER_END_TYPING (85).</summary>
public sealed record TypingRequest(Option<long> RequestId, string ConvId, string UserId) : Body, IRequest;
/// <summary>86 / 87: someone began or ended typing.</summary>
public sealed record TypingNotice(string ConvId, string UserId, Option<string> DisplayName) : Body;

// ---- users, custom messages (§6.3) ----

/// <summary>CHAT_GET_USERS_INFO (56): ids comma-separated.</summary>
public sealed record GetUsersInfo(Option<long> RequestId, string UserIds) : Body, IRequest;
/// <summary>56 response.</summary>
public sealed record UsersInfoResult(int R, Option<long> RequestId, Seq<UserInfo> Users) : Body, IResponse;
/// <summary>UPDATE_USER_INFO (70).</summary>
public sealed record UpdateUserInfo(Option<long> RequestId, [WireName("display_name")] Option<string> DisplayName, Option<string> Email,
    [WireName("avatar_url")] Option<string> AvatarUrl, Option<string> Phone, Option<string> Location, Option<string> Browser,
    Option<string> Platform, Option<string> Device, Option<string> Ipaddress, Option<string> Hostname, Option<string> Useragent) : Body, IRequest;
/// <summary>UPDATE_USER_INFO_NOTIFICATION (81): undocumented upstream; this project sends the new profile.</summary>
public sealed record UserInfoNotice(string UserId, Option<string> DisplayName, Option<string> AvatarUrl, Option<string> Email) : Body;
/// <summary>CUSTOM_MESSAGE (54).</summary>
public sealed record CustomMessage(Option<long> RequestId, string ToUser, Json Message) : Body, IRequest;
/// <summary>CUSTOM_MESSAGE_FROM_SERVER (55).</summary>
public sealed record CustomMessageNotice(string FromUser, Json Message) : Body;
/// <summary>SUBSCRIBE_FROM_SERVER (102): a topic message.</summary>
public sealed record TopicNotice(Json Message) : Body;
/// <summary>CHANGE_ATTRIBUTE (103).</summary>
public sealed record ChangeAttribute(Option<long> RequestId, string Attribute, Json Value) : Body, IRequest;

// ---- live chat (§6.4) ----

/// <summary>CHAT_ROUTE_TO_AGENT (64): a chat request for an agent.</summary>
public sealed record ChatRequestNotice(string ConvId, string CustomerId, Option<string> CustomerName, Option<int> ChannelType) : Body;
/// <summary>CHAT_AGENT_RESPONSE (65): accept or reject.</summary>
public sealed record AnswerChatRequest(Option<long> RequestId, string ConvId, bool Answer, Option<int> ChannelType) : Body, IRequest;
/// <summary>65 response.</summary>
public sealed record AnswerChatRequestResult(int R, Option<long> RequestId, string ConvId, bool Answer) : Body, IResponse;
/// <summary>TIMEOUT_ROUTE_TO_AGENT (66): the agent did not answer in time.</summary>
public sealed record AgentTimeoutNotice(string ConvId, Option<string> CustomerId, Option<string> CustomerName) : Body;
/// <summary>TIMEOUT_ROUTE_TO_QUEUE (67): nobody in the queue answered.</summary>
public sealed record QueueTimeoutNotice(string ConvId, Option<string> CustomerId, Option<string> CustomerName) : Body;
/// <summary>END_CHAT (68).</summary>
public sealed record EndChat(Option<long> RequestId, string ConvId) : Body, IRequest;
/// <summary>68 response.</summary>
public sealed record EndChatResult(int R, Option<long> RequestId, string ConvId, string Endedby) : Body, IResponse;
/// <summary>CHAT_CONVERSATION_ENDED_NOTIFICATION (98).</summary>
public sealed record ConversationEndedNotice(string ConvId, string Endedby) : Body;
/// <summary>RATE_CHAT (69): 0 bad, 1 good.</summary>
public sealed record RateChat(Option<long> RequestId, string ConvId, int Rating, Option<string> Comment) : Body, IRequest;
/// <summary>SEND_EMAIL_TRANSCRIPT (71).</summary>
public sealed record SendTranscript(Option<long> RequestId, string ConvId, string Email, string Domain) : Body, IRequest;
/// <summary>CHAT_TRANSFER_TO_ANOTHER_AGENT (77).</summary>
public sealed record TransferChat(Option<long> RequestId, string ConvId, string ToUserId, Option<string> CustomerId,
    Option<string> CustomerName) : Body, IRequest;
/// <summary>77 response.</summary>
public sealed record TransferChatResult(int R, Option<long> RequestId, string ConvId) : Body, IResponse;
/// <summary>CHAT_CONFIRM_TRANSFER_REQUEST (78).</summary>
public sealed record ConfirmTransfer(Option<long> RequestId, string ConvId, bool Answer) : Body, IRequest;
/// <summary>CHAT_TRANSFER_REQUEST_FROM_ANOTHER_AGENT (79).</summary>
public sealed record TransferRequestNotice(string ConvId, string CustomerId, Option<string> CustomerName, Option<int> ChannelType,
    string From, Option<string> FromUsername, Option<string> FromAvatar) : Body;
/// <summary>CHAT_REQUEST_LOAD (99).</summary>
public sealed record LoadChatRequests(Option<long> RequestId) : Body, IRequest;
/// <summary>99 response.</summary>
public sealed record ChatRequestsResult(int R, Option<long> RequestId, Seq<ChatRequestInfo> ChatRequests) : Body, IResponse;
/// <summary>CHAT_AGENT_RESOLVE_CONVERSATION (94).</summary>
public sealed record ResolveConversation(Option<long> RequestId, string ConvId, bool Resolved) : Body, IRequest;
/// <summary>GET_CHAT_SERVICES (72), legacy.</summary>
public sealed record GetChatServices(Option<long> RequestId) : Body, IRequest;
/// <summary>VIEW_CHAT (73) and JOIN_CHAT_CUSTOMER_CARE (74), legacy.</summary>
public sealed record ChatById(Option<long> RequestId, string ConvId) : Body, IRequest;

// ---- REST bodies (§2, §11) ----

/// <summary>GET /v2/getStringeeServerAddress response.</summary>
public sealed record ServerAddressResult(int R, Option<Json> Data) : Body;
/// <summary>GET /v1/chatcustomer/getsettingandqueues response.</summary>
public sealed record ChatProfileResult(int R, Option<ChatProfileInfo> ChatProfile, Option<Seq<QueueInfo>> Queues, Option<string> Msg) : Body;
/// <summary>GET /v1/chatcustomer response: a visitor token.</summary>
public sealed record LiveChatTokenResult(int R, [WireName("access_token")] Option<string> AccessToken, Option<string> Msg) : Body;
/// <summary>GET /v1/chatcustomer/generateticket response.</summary>
public sealed record TicketResult(int R, Option<string> Msg) : Body;
