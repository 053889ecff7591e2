using EventSourced.Domain.Client;

namespace EventSourced.Domain.Server;

/// <summary>
/// The local server's event catalogue: the facts its conversations, messages, users and queues
/// are folded from. Storage contract: a breaking change is a new record, never an edit.
/// </summary>
public abstract record ServerEvent
{
    private ServerEvent() { }

    public sealed record ConversationCreated(string ConvId, string Creator, string Name, bool IsGroup, bool Distinct, int ChannelType,
        Option<string> CustomData, Option<string> OaId, Seq<string> Participants, Option<string> QueueId, long At) : ServerEvent, IInConversation;
    public sealed record MessagePosted(string ConvId, string MsgId, long Seq, string Sender, int Type, Json.Obj Content, Option<string> LocalDbId, long At) : ServerEvent, IInConversation;
    public sealed record ParticipantsAdded(string ConvId, string By, Seq<string> Users, long At) : ServerEvent, IInConversation;
    public sealed record ParticipantRemoved(string ConvId, string By, string User, long At) : ServerEvent, IInConversation;
    public sealed record RoleSet(string ConvId, string User, string Role, long At) : ServerEvent, IInConversation;
    public sealed record ConversationUpdated(string ConvId, Option<string> Name, Option<string> Avatar, long At) : ServerEvent, IInConversation;
    public sealed record ConversationHidden(string ConvId, string User, long At) : ServerEvent, IInConversation;
    public sealed record HistoryCleared(string ConvId, string User, long Seq, long At) : ServerEvent, IInConversation;
    public sealed record Reported(string ConvId, string User, long Seq, int Status, long At) : ServerEvent, IInConversation;
    public sealed record MessagesDeleted(string ConvId, string By, Seq<string> MsgIds, long At) : ServerEvent, IInConversation;
    public sealed record MessagePinned(string ConvId, string MsgId, bool IsPin, string By, long At) : ServerEvent, IInConversation;
    public sealed record MessageEdited(string ConvId, string MsgId, Json.Obj Content, string By, long At) : ServerEvent, IInConversation;
    public sealed record MessagesRevoked(string ConvId, Seq<string> MsgIds, string By, long At) : ServerEvent, IInConversation;
    public sealed record UserUpdated(string UserId, Option<string> DisplayName, Option<string> Email, Option<string> AvatarUrl, Option<string> Phone, long At) : ServerEvent;
    public sealed record UserBlocked(string UserId, string Blocked, long At) : ServerEvent;
    public sealed record PushRegistered(string UserId, string Token, int DeviceType, Option<string> PackageName, long At) : ServerEvent;
    public sealed record PushUnregistered(string UserId, string Token, long At) : ServerEvent;
    public sealed record ChatQueued(string ConvId, string QueueId, string CustomerId, string CustomerName, long At) : ServerEvent, IInConversation;
    public sealed record ChatOffered(string ConvId, string Agent, long At) : ServerEvent, IInConversation;
    public sealed record ChatAnswered(string ConvId, string Agent, bool Accepted, long At) : ServerEvent, IInConversation;
    public sealed record ChatAgentTimedOut(string ConvId, string Agent, long At) : ServerEvent, IInConversation;
    public sealed record ChatQueueTimedOut(string ConvId, long At) : ServerEvent, IInConversation;
    public sealed record ChatTransferRequested(string ConvId, string From, string To, long At) : ServerEvent, IInConversation;
    public sealed record ChatTransferAnswered(string ConvId, string To, bool Accepted, long At) : ServerEvent, IInConversation;
    public sealed record ChatEnded(string ConvId, string By, long At) : ServerEvent, IInConversation;
    public sealed record ChatRated(string ConvId, string By, int Rating, Option<string> Comment, long At) : ServerEvent, IInConversation;
    public sealed record TranscriptRequested(string ConvId, string By, string Email, string Domain, long At) : ServerEvent, IInConversation;
    public sealed record TicketCreated(string WidgetKey, string Name, string Email, Option<string> Phone, string Note, long At) : ServerEvent;
    public sealed record IdEpochStarted(string Epoch, long At) : ServerEvent;
    public sealed record CallStarted(string CallId, string From, string To, bool Video, bool Call2, Option<string> Custom, long At) : ServerEvent;
}

/// <summary>A server event about one conversation: the server keeps it in that conversation's stream.</summary>
public interface IInConversation
{
    /// <summary>The conversation's id.</summary>
    string ConvId { get; }
}

/// <summary>A server event as stored.</summary>
public sealed record ServerRecorded(Envelope Meta, ServerEvent Event) : IRecorded<ServerRecorded>
{
    /// <inheritdoc />
    public ServerRecorded WithMeta(Envelope meta) => this with { Meta = meta };
}
