using EventSourced.Domain.Packets;
using static EventSourced.Domain.Client.Event;
using C = EventSourced.Domain.Client.Command;
using W = EventSourced.Domain.Packets;

namespace EventSourced.Domain.Client;

/// <summary>What the client's decisions read: the session and the chat facts.</summary>
public sealed record ClientState(Session.State Session, Chat.State Chat)
{
    /// <summary>A client that has done nothing yet.</summary>
    public static readonly ClientState Initial = new(Client.Session.State.Initial, Client.Chat.State.Initial);
}

/// <summary>
/// The client's decisions: a command and the state give the events to record, or the Stringee
/// rejection (-1 not connected, -2 invalid argument, -3 not found). A command that is already
/// satisfied gives no events. Pure: ids and time arrive in <see cref="Context"/>.
/// </summary>
public static class Decider
{
    /// <summary>Applies one fact to both parts of the state.</summary>
    public static ClientState Apply(ClientState s, Fact f)
    {
        var session = Session.Apply(s.Session, f);
        var chat = Chat.Apply(s.Chat, f);
        return ReferenceEquals(session, s.Session) && ReferenceEquals(chat, s.Chat) ? s : new ClientState(session, chat);
    }

    /// <summary>Folds events from the start: each through the correlation stage, then its facts.</summary>
    public static ClientState Fold(Seq<Event> events) => Correlation.Run(Correlation.State.Empty, events).Facts.Fold(ClientState.Initial, Apply);

    static readonly Either<Rejection, Seq<Event>> Nothing = Seq<Event>();
    const long NoUpperBound = 9007199254740991; // Number.MAX_SAFE_INTEGER, as the web SDK sends

    /// <summary>Decides a command.</summary>
    public static Either<Rejection, Seq<Event>> Decide(ClientState s, Command c, Context x)
    {
        Option<long> id = x.RequestId;
        return c switch
        {
            C.Connect k => string.IsNullOrWhiteSpace(k.Token) ? Rejection.Invalid("Access token is empty")
                : s.Session.IsConnected ? Nothing
                : One(Jwt.Read(k.Token).Match(
                    Right: t => new ConnectRequested(t.TokenId, t.Text("userId"), t.Integer("exp")),
                    Left: _ => new ConnectRequested("", None, None))),
            C.Disconnect => s.Session.Status == Session.Status.Disconnected && s.Session.StoppedByUser ? Nothing : One(new DisconnectRequested()),
            C.ClearDb => One(new LocalDataCleared()),
            C.GetChatProfile k => NotEmpty(k.WidgetKey, Rejection.Invalid("Widget key can not be null"))
                .Map(_ => Seq1<Event>(new ChatProfileRequested(k.WidgetKey))),
            C.GetLiveChatToken k => NotEmpty(k.WidgetKey, Rejection.Invalid("Widget key can not be null"))
                .Map(_ => Seq1<Event>(new LiveChatTokenRequested(k.WidgetKey, k.Name, k.Email))),
            C.CreateLiveChatTicket k => NotEmpty(k.WidgetKey, Rejection.Invalid("Widget key can not be null"))
                .Map(_ => Seq1<Event>(new TicketCreateRequested(k.WidgetKey, k.Name, k.Email, k.Note))),
            C.SendMessage m => CanQueue(s).Bind(_ => ConvId(m.ConversationId)).Bind(_ =>
                One(new MessageSendRequested(new W.SendMessage(id, m.ConversationId, m.Type, m.Content, x.LocalId)))),
            _ => Connected(s).Bind(me => Online(s, me, c, x, id)),
        };
    }

    static Either<Rejection, Seq<Event>> Online(ClientState s, string me, Command c, Context x, Option<long> id) => c switch
    {
        C.RegisterPush p => NotEmpty(p.DeviceToken, Rejection.DataEmpty).Bind(_ => s.Session.PushTokens.Contains(p.DeviceToken) ? Nothing :
            One(new PushRegisterRequested(new W.RegisterPush(id, p.DeviceType, p.DeviceToken, Opt(p.PackageName), p.IsProduction, p.IsVoip, None, None)))),
        C.UnregisterPush p => NotEmpty(p.DeviceToken, Rejection.DataEmpty).Bind(_ =>
            One(new PushUnregisterRequested(new W.UnregisterPush(id, p.DeviceType, p.DeviceToken, Opt(p.PackageName), s.Session.ProjectId, me)))),
        C.SendCustomMessage m => UserId(m.ToUserId).Bind(_ => NotEmpty(m.Message, Rejection.DataEmpty)).Bind(_ =>
            Json.Parse(m.Message).Match(
                Right: j => One(new CustomMessageSendRequested(new CustomMessage(id, m.ToUserId, j))),
                Left: _ => One(new CustomMessageSendRequested(new CustomMessage(id, m.ToUserId, new Json.Str(m.Message)))))),
        C.CreateConversation k => k.UserIds.IsEmpty || k.UserIds.Exists(string.IsNullOrWhiteSpace) ? Rejection.Invalid("User ids can not be empty")
            : One(new ConversationCreateRequested(new W.CreateConversation(id, k.UserIds, k.Options.IsGroup || k.UserIds.Count > 1,
                k.Options.IsDistinct, k.Options.Name, x.LocalId, k.Options.CustomData, k.Options.OaId, 0, None, None))),
        C.GetConversationById k => ConvId(k.ConversationId).Bind(_ =>
            One(new ConversationFetchRequested(new GetConversationsByIds(id, k.ConversationId)))),
        C.GetLocalConversations k => UserId(k.UserId).Bind(_ => Count(k.Count)).Bind(_ => Nothing),
        C.GetLastConversations k => Count(k.Count).Bind(_ => Load(id, 0, NoUpperBound, k.Count)),
        C.GetConversationsAfter k => Count(k.Count).Bind(_ => Load(id, k.Datetime, NoUpperBound, k.Count)),
        C.GetConversationsBefore k => Count(k.Count).Bind(_ => Load(id, 0, k.Datetime, k.Count)),
        C.DeleteConversation k => ConvId(k.ConversationId).Bind(_ =>
            One(new ConversationDeleteRequested(new W.DeleteConversation(id, k.ConversationId, LastSeq(s, k.ConversationId))))),
        C.AddParticipants k => ConvId(k.ConversationId).Bind(_ => Users(k.UserIds)).Bind(_ =>
            One(new ParticipantsAddRequested(new W.AddParticipants(id, k.ConversationId, k.UserIds)))),
        C.RemoveParticipants k => ConvId(k.ConversationId).Bind(_ => Users(k.UserIds)).Bind(_ =>
            One(new ParticipantsRemoveRequested(new W.RemoveParticipants(id, k.ConversationId, k.UserIds)))),
        C.UpdateConversation k => ConvId(k.ConversationId).Bind(_ => k.Name.IsNone && k.Avatar.IsNone ? Rejection.DataEmpty
            : One(new ConversationUpdateRequested(new W.UpdateConversation(id, k.ConversationId, k.Name, k.Avatar)))),
        C.MarkConversationAsRead k => ConvId(k.ConversationId).Bind(_ => s.Chat.Conversations.Find(k.ConversationId).Match(
            Some: conv => conv.ReadSeq >= conv.LastSeq ? Nothing
                : One(new ConversationReadMarked(new ReportMessage(id, k.ConversationId, conv.LastSeq, x.Now, 2))),
            None: () => Rejection.NotFound("No conversation found."))),
        C.GetConversationWithUser k => UserId(k.UserId).Bind(_ =>
            One(new ConversationWithUserRequested(new W.GetConversationWithUser(id, Seq(k.UserId, me))))),
        C.GetUnreadConversationCount => One(new UnreadCountRequested(new GetUnreadCount(id))),
        C.SendBeginTyping k => ConvId(k.ConversationId).Bind(_ => One(new TypingBeginRequested(new TypingRequest(id, k.ConversationId, me)))),
        C.SendEndTyping k => ConvId(k.ConversationId).Bind(_ => One(new TypingEndRequested(new TypingRequest(id, k.ConversationId, me)))),
        C.DeleteMessage k => Known(s, k.ConversationId, k.MessageId).Bind(m => m.Deleted ? Nothing
            : One(new MessageDeleteRequested(new DeleteMessages(id, k.ConversationId, Seq1(k.MessageId))))),
        C.GetLocalMessages k => ConvId(k.ConversationId).Bind(_ => Count(k.Count)).Bind(_ => Nothing),
        C.GetLastMessages k => ConvId(k.ConversationId).Bind(_ => Count(k.Count)).Bind(_ =>
            One(new MessagesLoadRequested(new LoadMessages(id, k.ConversationId, 0, NoUpperBound, k.Count, "DESC", None, None, None)))),
        C.GetMessagesAfter k => ConvId(k.ConversationId).Bind(_ => Count(k.Count)).Bind(_ =>
            One(new MessagesLoadRequested(new LoadMessages(id, k.ConversationId, k.Seq, NoUpperBound, k.Count, "ASC", None, None, None)))),
        C.GetMessagesBefore k => ConvId(k.ConversationId).Bind(_ => Count(k.Count)).Bind(_ =>
            One(new MessagesLoadRequested(new LoadMessages(id, k.ConversationId, 0, k.Seq, k.Count, "DESC", None, None, None)))),
        C.UpdateUserInfo k => k.Name.IsNone && k.Email.IsNone && k.Avatar.IsNone ? Rejection.DataEmpty
            : One(new UserInfoUpdateRequested(new W.UpdateUserInfo(id, k.Name, k.Email, k.Avatar, None, None, None, None, None, None, None, None))),
        C.CreateLiveChatConversation k => NotEmpty(k.QueueId, Rejection.Invalid("Queue id can not be null")).Bind(_ =>
            One(new LiveChatConversationCreateRequested(new W.CreateConversation(id, Seq<string>(), true, false, k.QueueId, x.LocalId,
                k.CustomData, None, 1, None, None), k.QueueId))),
        C.AcceptChatRequest k => Answer(k.Request, true, id),
        C.RejectChatRequest k => Answer(k.Request, false, id),
        C.SendChatTranscript k => ConvId(k.ConversationId).Bind(_ => NotEmpty(k.Email, Rejection.Invalid("Email can not be null"))).Bind(_ =>
            One(new TranscriptSendRequested(new SendTranscript(id, k.ConversationId, k.Email, k.Domain)))),
        C.EndChat k => ConvId(k.ConversationId).Bind(_ => One(new ChatEndRequested(new W.EndChat(id, k.ConversationId)))),
        C.PinMessage k => Known(s, k.ConversationId, k.MessageId).Bind(m =>
            m.Revoked || m.Deleted ? Rejection.Invalid(m.Revoked ? "Can not pin a revoked message" : "Can not pin a deleted message")
            : IsPinned(s, m) == k.Pin ? Nothing
            : One(new MessagePinRequested(new W.PinMessage(id, k.ConversationId, k.MessageId, k.Pin)))),
        C.EditMessage k => Known(s, k.ConversationId, k.MessageId).Bind(m =>
            m.Revoked ? Rejection.Invalid("Can not edit a revoked message")
            : m.Deleted ? Rejection.Invalid("Can not edit a deleted message")
            : m.Sender != me ? Rejection.Invalid("Only the sender can edit a message")
            : string.IsNullOrEmpty(k.NewContent) ? Rejection.Invalid("Content can not be empty")
            : m.Text == k.NewContent ? Nothing
            : One(new MessageEditRequested(new W.EditMessage(id, k.ConversationId, k.MessageId, Json.Object(("content", k.NewContent)))))),
        C.RevokeMessage k => Known(s, k.ConversationId, k.MessageId).Bind(m =>
            m.Revoked ? Nothing
            : m.Sender != me && !IsAdmin(s, k.ConversationId, me) ? Rejection.Invalid("Only the sender or an admin can revoke a message")
            : One(new MessageRevokeRequested(new RevokeMessages(id, k.ConversationId, Seq1(k.MessageId), None)))),
        C.TransferChat k => ConvId(k.ConversationId).Bind(_ => UserId(k.ToUserId)).Bind(_ =>
            One(new ChatTransferRequested(new W.TransferChat(id, k.ConversationId, k.ToUserId, k.CustomerId, k.CustomerName)))),
        C.RateChat k => ConvId(k.ConversationId).Bind(_ => k.Rating is 0 or 1 ? One(new ChatRateRequested(new W.RateChat(id, k.ConversationId, k.Rating, k.Comment)))
            : Rejection.Invalid("Rating must be 0 (bad) or 1 (good)")),
        C.SetRole k => ConvId(k.ConversationId).Bind(_ => UserId(k.UserId)).Bind(_ => k.Role is "admin" or "member"
            ? One(new RoleSetRequested(new W.SetRole(id, k.ConversationId, k.UserId, k.Role))) : Rejection.Invalid("Role must be admin or member")),
        C.GetUsersInfo k => Users(k.UserIds).Bind(_ => One(new UsersInfoRequested(new W.GetUsersInfo(id, string.Join(",", k.UserIds))))),
        C.AnswerPing => One(new PingAnswered(new Ping(id))),
        C.ReportDelivered k => ConvId(k.ConversationId).Bind(_ => One(new MessageDeliveryReported(new ReportMessage(id, k.ConversationId, k.Seq, x.Now, 1)))),
        C.ListConversationsPage k => Count(k.Count).Bind(_ => Load(id, 0, k.Smaller, k.Count)),
        C.CatchUpMessages k => ConvId(k.ConversationId).Bind(_ => Count(k.Count)).Bind(_ =>
            One(new MessagesLoadRequested(new LoadMessages(id, k.ConversationId, k.AfterSeq, NoUpperBound, k.Count, "ASC", None, None, None)))),
        C.ResendMessage k => ConvId(k.ConversationId).Bind(_ => NotEmpty(k.LocalId, Rejection.Invalid("Local id can not be empty"))).Bind(_ =>
            One(new MessageSendRequested(new W.SendMessage(id, k.ConversationId, k.Type, k.Content, k.LocalId)))),
        C.LoadChatRequests => One(new ChatRequestsLoadRequested(new W.LoadChatRequests(id))),
        C.StartCall k => UserId(k.ToUserId).Bind(_ =>
            One(new CallStartRequested(new CallStart(id, me, k.ToUserId, k.IsVideo, k.CustomData, k.IsCall2)))),
        _ => Rejection.GenericError,
    };

    static Either<Rejection, Seq<Event>> One(Event e) => Seq1(e);

    static Either<Rejection, Seq<Event>> Load(Option<long> id, long greater, long smaller, int count) =>
        One(new ConversationsLoadRequested(new LoadConversations(id, greater, smaller, count, None, None, None, None, None)));

    static Either<Rejection, Seq<Event>> Answer(ChatRequestRef r, bool accept, Option<long> id) =>
        ConvId(r.ConvId).Bind(_ => r.IsTransfer
            ? One(new TransferAnswerRequested(new ConfirmTransfer(id, r.ConvId, accept)))
            : One(new ChatRequestAnswerRequested(new AnswerChatRequest(id, r.ConvId, accept, r.ChannelType))));

    static Either<Rejection, string> Connected(ClientState s) =>
        s.Session.IsConnected && s.Session.UserId.IsSome ? (string)s.Session.UserId : Rejection.NotConnected;

    // Sending is allowed while a dropped connection is being re-established: the outbox holds it.
    static Either<Rejection, Unit> CanQueue(ClientState s) =>
        s.Session.UserId.IsSome && !s.Session.StoppedByUser && s.Session.Status != Session.Status.Disconnected ? unit : Rejection.NotConnected;

    static Either<Rejection, Unit> NotEmpty(string value, Rejection r) => string.IsNullOrWhiteSpace(value) ? r : unit;
    static Either<Rejection, Unit> ConvId(string value) => NotEmpty(value, Rejection.ConversationIdNull);
    static Either<Rejection, Unit> UserId(string value) => NotEmpty(value, Rejection.UserIdNull);
    static Either<Rejection, Unit> Count(int count) => count > 0 ? unit : Rejection.Invalid("Count must be greater than 0");
    static Either<Rejection, Unit> Users(Seq<string> ids) =>
        ids.IsEmpty || ids.Exists(string.IsNullOrWhiteSpace) ? Rejection.Invalid("User ids can not be empty") : unit;
    static Option<string> Opt(string s) => string.IsNullOrEmpty(s) ? None : Some(s);

    static Either<Rejection, Chat.Message> Known(ClientState s, string convId, string msgId) =>
        ConvId(convId).Bind(_ => NotEmpty(msgId, Rejection.MessageIdNull)).Bind(_ =>
            s.Chat.Messages.Find(msgId).Filter(m => m.ConvId == convId).ToEither(Rejection.NotFound("No message found.")));

    static bool IsPinned(ClientState s, Chat.Message m) =>
        s.Chat.Conversations.Find(m.ConvId).Bind(c => c.PinnedMsgId) == Some(m.Id);

    static bool IsAdmin(ClientState s, string convId, string me) =>
        s.Chat.Conversations.Find(convId).Bind(c => c.Roles.Find(me)) == Some("admin");

    static Option<long> LastSeq(ClientState s, string convId) => s.Chat.Conversations.Find(convId).Map(c => c.LastSeq);
}
