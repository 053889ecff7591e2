using EventSourced.Domain.Packets;

namespace EventSourced.Domain.Client;

/// <summary>Options of createConversation.</summary>
public sealed record ConversationOptions(Option<string> Name, bool IsGroup, bool IsDistinct, Option<string> CustomData, Option<string> OaId)
{
    /// <summary>A one-to-one, distinct conversation with no name.</summary>
    public static readonly ConversationOptions Default = new(None, false, true, None, None);
}

/// <summary>A chat request as the SDKs hand it to accept/reject (§7.5).</summary>
public sealed record ChatRequestRef(string ConvId, string CustomerId, string CustomerName, int ChannelType, bool IsTransfer);

/// <summary>
/// What the user asks for: one command per function of the seed API (and a few protocol extras).
/// Imperative names; everything a decision needs is here or in the state.
/// </summary>
public abstract record Command
{
    private Command() { }

    public sealed record Connect(string Token) : Command;
    public sealed record Disconnect : Command;
    public sealed record RegisterPush(string DeviceToken, bool IsProduction, bool IsVoip, string PackageName = "", int DeviceType = 2) : Command;
    public sealed record UnregisterPush(string DeviceToken, string PackageName = "", int DeviceType = 2) : Command;
    public sealed record SendCustomMessage(string ToUserId, string Message) : Command;
    public sealed record CreateConversation(Seq<string> UserIds, ConversationOptions Options) : Command;
    public sealed record GetConversationById(string ConversationId) : Command;
    public sealed record GetLocalConversations(string UserId, int Count) : Command;
    public sealed record GetLastConversations(int Count) : Command;
    public sealed record GetConversationsAfter(long Datetime, int Count) : Command;
    public sealed record GetConversationsBefore(long Datetime, int Count) : Command;
    public sealed record DeleteConversation(string ConversationId) : Command;
    public sealed record AddParticipants(string ConversationId, Seq<string> UserIds) : Command;
    public sealed record RemoveParticipants(string ConversationId, Seq<string> UserIds) : Command;
    public sealed record UpdateConversation(string ConversationId, Option<string> Name, Option<string> Avatar) : Command;
    public sealed record MarkConversationAsRead(string ConversationId) : Command;
    public sealed record GetConversationWithUser(string UserId) : Command;
    public sealed record GetUnreadConversationCount : Command;
    public sealed record SendBeginTyping(string ConversationId) : Command;
    public sealed record SendEndTyping(string ConversationId) : Command;
    public sealed record SendMessage(string ConversationId, int Type, Json.Obj Content) : Command;
    public sealed record DeleteMessage(string ConversationId, string MessageId) : Command;
    public sealed record GetLocalMessages(string ConversationId, int Count) : Command;
    public sealed record GetLastMessages(string ConversationId, int Count) : Command;
    public sealed record GetMessagesAfter(string ConversationId, long Seq, int Count) : Command;
    public sealed record GetMessagesBefore(string ConversationId, long Seq, int Count) : Command;
    public sealed record ClearDb : Command;
    public sealed record GetChatProfile(string WidgetKey) : Command;
    public sealed record GetLiveChatToken(string WidgetKey, string Name, string Email) : Command;
    public sealed record UpdateUserInfo(Option<string> Name, Option<string> Email, Option<string> Avatar) : Command;
    public sealed record CreateLiveChatConversation(string QueueId, Option<string> CustomData) : Command;
    public sealed record AcceptChatRequest(ChatRequestRef Request) : Command;
    public sealed record RejectChatRequest(ChatRequestRef Request) : Command;
    public sealed record CreateLiveChatTicket(string WidgetKey, string Name, string Email, string Note) : Command;
    public sealed record SendChatTranscript(string Email, string ConversationId, string Domain) : Command;
    public sealed record EndChat(string ConversationId) : Command;
    public sealed record PinMessage(string ConversationId, string MessageId, bool Pin) : Command;
    public sealed record EditMessage(string ConversationId, string MessageId, string NewContent) : Command;
    public sealed record RevokeMessage(string ConversationId, string MessageId) : Command;
    // Protocol extras beyond the seed's list.
    public sealed record TransferChat(string ConversationId, string ToUserId, string CustomerId, string CustomerName) : Command;
    public sealed record RateChat(string ConversationId, int Rating, Option<string> Comment) : Command;
    public sealed record SetRole(string ConversationId, string UserId, string Role) : Command;
    public sealed record GetUsersInfo(Seq<string> UserIds) : Command;
    public sealed record StartCall(string ToUserId, bool IsVideo, bool IsCall2, Option<string> CustomData) : Command;
    // What the client does by itself (the reactor's commands): decided and recorded like the user's.
    /// <summary>Echo the server's PING.</summary>
    public sealed record AnswerPing : Command;
    /// <summary>Report messages received up to a seq (46 with status 1).</summary>
    public sealed record ReportDelivered(string ConversationId, long Seq) : Command;
    /// <summary>A page of the conversation list, latest first, updated before <c>Smaller</c> (catch-up).</summary>
    public sealed record ListConversationsPage(long Smaller, int Count) : Command;
    /// <summary>A conversation's messages after a seq, oldest first (catch-up).</summary>
    public sealed record CatchUpMessages(string ConversationId, long AfterSeq, int Count) : Command;
    /// <summary>Send again a message of the outbox, under its first local id, so the server keeps it once.</summary>
    public sealed record ResendMessage(string LocalId, string ConversationId, int Type, Json.Obj Content) : Command;
    /// <summary>The chat requests waiting for this agent (99).</summary>
    public sealed record LoadChatRequests : Command;
}

/// <summary>The inputs a decision may not invent: the next request id, the time, a fresh local id.</summary>
public sealed record Context(long RequestId, long Now, string LocalId);
