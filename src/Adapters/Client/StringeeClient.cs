using System.Collections.Concurrent;
using System.Reactive.Linq;
using System.Reactive.Subjects;
using EventSourced.Adapters.Storage;
using EventSourced.Adapters.Storage.InMemory;
using EventSourced.Domain.Packets;
using EventSourced.Projections;
using static EventSourced.Domain.Client.Event;
using C = EventSourced.Domain.Client.Command;
using Wire = EventSourced.Domain.Packets;

namespace EventSourced.Adapters.Client;

/// <summary>
/// Stringee's StringeeClient on an event log: this file maps the seed API to commands and awaits their
/// outcomes. Every command (the user's and the client's own) is decided purely and recorded before its
/// packet is sent (<c>StringeeClient.Runtime.cs</c>); every packet received is recorded before anything
/// observes it, then correlated, folded and reacted to by <see cref="Reactor"/>; the socket is the
/// connection shell's (<c>StringeeClient.Connection.cs</c>), REST is <c>StringeeClient.Rest.cs</c>.
/// Results carry Stringee's codes.
/// <para>
/// Nothing is acknowledged that is not durable: when the log cannot store what arrives, the client
/// sends no delivery report for it, drops the connection (the server stops sending), reports a
/// <see cref="RecordingFault"/> on <see cref="OnRecordingFault"/> and in its log, waits until the log
/// takes writes again, records a <c>GapDetected</c> for what it lost, reconnects and catches up.
/// </para>
/// </summary>
public sealed partial class StringeeClient : IAsyncDisposable
{
    readonly ClientOptions options;
    readonly IEventLog log;
    readonly bool ownsLog;
    readonly object stateLock = new();
    readonly SemaphoreSlim commands = new(1, 1);
    readonly Subject<Recorded> feed = new();
    readonly Subject<RecordingFault> faults = new();
    readonly BehaviorSubject<ReadModels> models = new(ReadModels.Initial);
    readonly Subject<ModelChange> changes = new();
    readonly Microsoft.Extensions.Logging.ILogger logger;

    /// <summary>A client; nothing happens until <see cref="ConnectAsync"/>.</summary>
    /// <param name="options">Servers, timeouts, the log, the logger and the clock.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is null.</exception>
    public StringeeClient(ClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options;
        ownsLog = options.Log is null;
        log = options.Log ?? new InMemoryEventLog();
        logger = options.Logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        core = ClientCore.Initial(Settings(options));
        outboxGauge = Telemetry.OutboxDepth.Register(this, () =>
        {
            lock (stateLock) return new(current.Timeline.Outbox.Count, new KeyValuePair<string, object?>("enduser.id", user));
        });
        sendQueueGauge = Telemetry.SendQueueDepth.Register(this, () => new(steps.Reader.Count, new KeyValuePair<string, object?>("enduser.id", user)));
    }

    readonly IDisposable outboxGauge;
    readonly IDisposable sendQueueGauge;

    /// <summary>
    /// What the client could not record or could not hold: storage failures (the client stops, waits for
    /// the log and catches up) and frames skipped for exceeding <see cref="ClientOptions.MaxFrameBytes"/>.
    /// </summary>
    public IObservable<RecordingFault> OnRecordingFault => Guarded(faults, nameof(OnRecordingFault));

    /// <summary>True while the log refuses writes (the client is not connected meanwhile).</summary>
    public bool StorageFailed => storageFailed;

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error,
        Message = "the event log could not store a received frame ({Reason}); not acknowledging it, dropping the connection until the log takes writes again")]
    static partial void LogUnstored(Microsoft.Extensions.Logging.ILogger logger, string reason);
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "the event log takes writes again; {Gaps} gap(s) recorded, reconnecting to catch up")]
    static partial void LogStorageBack(Microsoft.Extensions.Logging.ILogger logger, int gaps);
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error,
        Message = "reacting to a recorded frame failed (no delivery report or answer followed from it)")]
    static partial void LogReactionFailed(Microsoft.Extensions.Logging.ILogger logger, Exception ex);
    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "skipped a frame of {Bytes} bytes from the server: over the limit of {Limit} bytes")]
    static partial void LogSkipped(Microsoft.Extensions.Logging.ILogger logger, long bytes, int limit);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Error,
        Message = "a subscriber of {Observable} threw; its subscription ended (Rx's rule), the client and every other subscriber carry on")]
    static partial void LogSubscriberFailed(Microsoft.Extensions.Logging.ILogger logger, string observable, Exception ex);

    // ---------------------------------------------------------------- observables

    // Every observable reaches its subscribers through one of these: an exception a subscriber throws is caught here, logged,
    // and goes no further (not into the client's recording loop, not to the other subscribers).
    IObservable<T> Guarded<T>(IObservable<T> source, string name) => Observable.Create<T>(o => source.Subscribe(
        x =>
        {
            try
            {
                o.OnNext(x);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogSubscriberFailed(logger, name, ex);
            }
        },
        o.OnError, o.OnCompleted));

    /// <summary>Every event recorded for this user, after it is recorded.</summary>
    public IObservable<Recorded> Recorded => Guarded(feed, nameof(Recorded));
    IObservable<Event> Events => Guarded(feed, "an event observable").Select(r => r.Event);

    /// <summary>onConnect(userId, projectId, isReconnecting).</summary>
    public IObservable<ConnectionChange> OnConnect => Events.OfType<Connected>()
        .Select(c => new ConnectionChange(c.Result.UserId.IfNone(user), c.Result.ProjectId.IfNone(0), c.IsReconnecting));
    /// <summary>onDisConnect(userId, projectId, isReconnecting).</summary>
    public IObservable<ConnectionChange> OnDisConnect => Events.OfType<Disconnected>()
        .Select(d => new ConnectionChange(user, current.Session.ProjectId.IfNone(0), d.IsReconnecting));
    /// <summary>onFailWithError(userId, code, message).</summary>
    public IObservable<ConnectionError> OnFailWithError => Events.OfType<ConnectFailed>().Where(f => f.Result.R != AuthenCodes.ChangeServer)
        .Select(f => new ConnectionError(user, f.Result.R, f.Result.Message.IfNone(AuthenCodes.Message(f.Result.R))));
    /// <summary>onRequestAccessToken().</summary>
    public IObservable<Unit> OnRequestAccessToken => Events.OfType<AccessTokenRequested>().Select(_ => unit);
    /// <summary>onIncomingCall(...).</summary>
    public IObservable<IncomingCall> OnIncomingCall => Events.OfType<IncomingCallReceived>().Select(c => Call(c.Packet));
    /// <summary>onIncomingCall2(...).</summary>
    public IObservable<IncomingCall> OnIncomingCall2 => Events.OfType<IncomingCall2Received>().Select(c => Call(c.Packet));
    /// <summary>onCustomMessage(data): the message as JSON text.</summary>
    public IObservable<string> OnCustomMessage => Events.OfType<CustomMessageReceived>().Select(m => m.Packet.Message is Json.Str s ? s.Value : m.Packet.Message.ToJsonString());
    /// <summary>onObjectChange(objectType, changeType, objectChanges), with the read-model objects.</summary>
    public IObservable<ObjectChange> OnObjectChange => Events.SelectMany(e => ObjectChanges.Derive(e)).Select(Resolve);
    /// <summary>onReceiveChatRequest(request): routed now, or pending when an agent connects.</summary>
    public IObservable<ChatRequestRef> OnReceiveChatRequest => Events.SelectMany(e => e switch
    {
        ChatRequestReceived r => Seq1(new ChatRequestRef(r.Packet.ConvId, r.Packet.CustomerId, r.Packet.CustomerName.IfNone(""), r.Packet.ChannelType.IfNone(1), false)),
        ChatRequestsLoaded l => l.Result.ChatRequests.Filter(x => x.Type != Some("transfer"))
            .Map(x => new ChatRequestRef(x.ConvId, x.CustomerId, x.CustomerName.IfNone(""), x.ChannelType.IfNone(1), false)),
        _ => Seq<ChatRequestRef>(),
    });
    /// <summary>onReceiveTransferChatRequest(request).</summary>
    public IObservable<ChatRequestRef> OnReceiveTransferChatRequest => Events.SelectMany(e => e switch
    {
        TransferRequestReceived r => Seq1(new ChatRequestRef(r.Packet.ConvId, r.Packet.CustomerId, r.Packet.CustomerName.IfNone(""), r.Packet.ChannelType.IfNone(1), true)),
        ChatRequestsLoaded l => l.Result.ChatRequests.Filter(x => x.Type == Some("transfer"))
            .Map(x => new ChatRequestRef(x.ConvId, x.CustomerId, x.CustomerName.IfNone(""), x.ChannelType.IfNone(1), true)),
        _ => Seq<ChatRequestRef>(),
    });
    /// <summary>onTimeoutAnswerChat(request).</summary>
    public IObservable<ChatRequestRef> OnTimeoutAnswerChat => Events.OfType<AgentAnswerTimedOut>().Select(t =>
        current.LiveChat.ByConv.Find(t.Packet.ConvId).Map(r => new ChatRequestRef(r.ConvId, r.CustomerId, r.CustomerName, r.ChannelType, r.IsTransfer))
            .IfNone(new ChatRequestRef(t.Packet.ConvId, t.Packet.CustomerId.IfNone(""), t.Packet.CustomerName.IfNone(""), 1, false)));
    /// <summary>onTimeoutInQueue(convId, customerId, customerName).</summary>
    public IObservable<QueueTimeout> OnTimeoutInQueue => Events.OfType<QueueTimedOut>()
        .Select(t => new QueueTimeout(t.Packet.ConvId, t.Packet.CustomerId.IfNone(user), t.Packet.CustomerName.IfNone("")));
    /// <summary>onConversationEnded(convId, endedby).</summary>
    public IObservable<ConversationEnd> OnConversationEnded => Events.OfType<ConversationEnded>().Select(c => new ConversationEnd(c.Packet.ConvId, c.Packet.Endedby));
    /// <summary>onUserBeginTyping(convId, userId, displayName).</summary>
    public IObservable<UserTyping> OnUserBeginTyping => Events.OfType<UserBeganTyping>().Select(t => new UserTyping(t.Packet.ConvId, t.Packet.UserId, t.Packet.DisplayName.IfNone(t.Packet.UserId)));
    /// <summary>onUserEndTyping(convId, userId, displayName).</summary>
    public IObservable<UserTyping> OnUserEndTyping => Events.OfType<UserEndedTyping>().Select(t => new UserTyping(t.Packet.ConvId, t.Packet.UserId, t.Packet.DisplayName.IfNone(t.Packet.UserId)));

    /// <summary>All read models, current value first, then after every change.</summary>
    public IObservable<ReadModels> Models => Guarded(models, "a read-model observable");
    /// <summary>The conversation list, emitted when it changes.</summary>
    public IObservable<Seq<ConversationList.Conversation>> Conversations => Models.Select(m => m.Conversations).DistinctUntilChanged(ReferenceComparer<ConversationList.State>.Instance).Select(ConversationList.Visible);
    /// <summary>One conversation's messages as the user sees them, emitted when they change.</summary>
    public IObservable<Seq<Timeline.MessageView>> Timeline(string convId) => Models
        .Select(m => (Conversation: m.Timeline.Conversations.Find(convId).IfNoneUnsafe((Timeline.Conversation?)null), m.Timeline))
        // An event of another conversation leaves this one the same instance: nothing is rebuilt for it.
        .DistinctUntilChanged(x => x.Conversation, ReferenceComparer<Timeline.Conversation?>.Instance)
        .Select(x => Projections.Timeline.View(x.Timeline, convId)).DistinctUntilChanged();
    /// <summary>One conversation's pinned message and pin history.</summary>
    public IObservable<Pins.Conversation> Pins(string convId) => Models.Select(m => m.Pins.ByConv.Find(convId).IfNone(new Pins.Conversation(None, Seq<Pins.PinAction>()))).DistinctUntilChanged();
    /// <summary>One conversation's edits, by message.</summary>
    public IObservable<Seq<EditHistory.Entry>> EditHistory(string convId) => Models.Select(m => Projections.EditHistory.In(m.Edits, convId)).DistinctUntilChanged();

    /// <summary>The conversation list as change sets: a reset with the list now, then what each event changed (insert, update, remove at an index).</summary>
    public IObservable<Seq<VectorDiff<ConversationList.Conversation>>> ConversationChanges =>
        Guarded(changes, "a change-set observable").ChangeSets(() => Current, m => ConversationList.Visible(m.Conversations), Changes.ConversationKeys, Changes.OfConversations);
    /// <summary>One conversation's timeline as change sets: one edit in a conversation of any size is one update.</summary>
    public IObservable<Seq<VectorDiff<Timeline.MessageView>>> TimelineChanges(string convId) =>
        Guarded(changes, "a change-set observable").ChangeSets(() => Current, m => Projections.Timeline.View(m.Timeline, convId), m => Changes.TimelineKeys(m, convId), (k, c) => Changes.OfTimeline(k, c, convId));
    /// <summary>One conversation's pin history as change sets (pins and unpins appended).</summary>
    public IObservable<Seq<VectorDiff<Pins.PinAction>>> PinChanges(string convId) =>
        Guarded(changes, "a change-set observable").ChangeSets(() => Current, m => m.Pins.ByConv.Find(convId).Map(p => p.History).IfNone(Seq<Pins.PinAction>()),
            _ => Changes.Keys<int>.Of([], Comparer<int>.Default), (k, c) => (k, Changes.OfPins(c, convId)));
    /// <summary>One conversation's edit history as change sets, by message.</summary>
    public IObservable<Seq<VectorDiff<EditHistory.Entry>>> EditHistoryChanges(string convId) =>
        Guarded(changes, "a change-set observable").ChangeSets(() => Current, m => Changes.EditsOf(m, convId), m => Changes.EditKeys(m, convId), (k, c) => Changes.OfEdits(k, c, convId));

    /// <summary>The read models now.</summary>
    public ReadModels Current { get { lock (stateLock) return current; } }
    /// <summary>True while authenticated.</summary>
    public bool IsConnected { get { lock (stateLock) return decision.Session.IsConnected; } }
    /// <summary>The authenticated (or connecting) user.</summary>
    public string UserId => user;

    // ---------------------------------------------------------------- the seed API

    static Fin<Unit> Done(Fin<Seq<Event>> r) => r.Map(_ => unit);

    Fin<ConversationList.Conversation> Conversation(string id) =>
        Current.Conversations.ById.Find(id).ToFin(Error.New(-3, "No conversation found."));

    /// <summary>registerPush.</summary>
    /// <param name="deviceToken">The push token the platform gave the app (not empty).</param>
    /// <param name="isProduction">True for the production push environment, false for the sandbox.</param>
    /// <param name="isVoip">True for a VoIP (PushKit) token.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has registered the token.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> RegisterPushAsync(string deviceToken, bool isProduction, bool isVoip, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.RegisterPush(NotNull(deviceToken), isProduction, isVoip), ct).ConfigureAwait(false));
    /// <summary>unregisterPush.</summary>
    /// <param name="deviceToken">The push token the platform gave the app (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has removed the token.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> UnregisterPushAsync(string deviceToken, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.UnregisterPush(NotNull(deviceToken)), ct).ConfigureAwait(false));
    /// <summary>sendCustomMessage.</summary>
    /// <param name="toUserId">The user to send it to (not empty).</param>
    /// <param name="message">The custom message: JSON text or any string (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has accepted the message for delivery (it is not stored by the server).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> SendCustomMessageAsync(string toUserId, string message, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendCustomMessage(NotNull(toUserId), NotNull(message)), ct).ConfigureAwait(false));

    /// <summary>createConversation.</summary>
    /// <param name="userIds">The other participants (the caller is added by the server).</param>
    /// <param name="options">Name, group, distinct, custom data and official-account id; null for <see cref="ConversationOptions.Default"/> (a distinct one-to-one conversation).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The conversation, as recorded in the conversation list (for a distinct conversation that exists already, that one).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<ConversationList.Conversation>> CreateConversationAsync(Seq<string> userIds, ConversationOptions? options = null, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.CreateConversation(userIds, options ?? ConversationOptions.Default), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is ConversationCreated c ? Some(c.Result.Conversation.ConvId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")))
            .Bind(Conversation);
    /// <summary>getConversationById: from the server, recorded, then read from the conversation list.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The conversation as the server has it now, read from the conversation list after it was recorded; -3 when it is not found.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<ConversationList.Conversation>> GetConversationByIdAsync(string conversationId, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.GetConversationById(NotNull(conversationId)), ct).ConfigureAwait(false)).Bind(_ => Conversation(conversationId!));
    /// <summary>getLocalConversations: the recorded conversations, latest update first.</summary>
    /// <param name="userId">The user whose conversations to read (the seed's argument; not empty).</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The recorded conversations, latest update first, at most <paramref name="count"/>.</returns>
    /// <include file='Docs/Codes.xml' path='codes/local/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<ConversationList.Conversation>>> GetLocalConversationsAsync(string userId, int count, CancellationToken ct = default) =>
        Local(new C.GetLocalConversations(NotNull(userId), count), () => ConversationList.Visible(Current.Conversations).Take(count).ToSeq(), ct);
    /// <summary>getLastConversations.</summary>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The latest updated conversations, from the server, as recorded in the conversation list.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<ConversationList.Conversation>>> GetLastConversationsAsync(int count, CancellationToken ct = default) => Listed(new C.GetLastConversations(count), ct);
    /// <summary>getConversationsAfter.</summary>
    /// <param name="datetime">The time, in milliseconds since the Unix epoch, the conversations were last updated after or before.</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The conversations updated after <paramref name="datetime"/>, from the server, as recorded.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<ConversationList.Conversation>>> GetConversationsAfterAsync(long datetime, int count, CancellationToken ct = default) => Listed(new C.GetConversationsAfter(datetime, count), ct);
    /// <summary>getConversationsBefore.</summary>
    /// <param name="datetime">The time, in milliseconds since the Unix epoch, the conversations were last updated after or before.</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The conversations updated before <paramref name="datetime"/>, from the server, as recorded.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<ConversationList.Conversation>>> GetConversationsBeforeAsync(long datetime, int count, CancellationToken ct = default) => Listed(new C.GetConversationsBefore(datetime, count), ct);

    async Task<Fin<Seq<ConversationList.Conversation>>> Listed(Command c, CancellationToken ct) =>
        (await ExecuteAsync(c, ct).ConfigureAwait(false)).Map(es => es.Bind(e => e is ConversationsLoaded l ? l.Result.ListConvs.Map(x => x.ConvId) : Seq<string>())
            .Choose(id => Current.Conversations.ById.Find(id)));

    /// <summary>deleteConversation.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has deleted (hidden) the conversation for this user.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> DeleteConversationAsync(string conversationId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.DeleteConversation(NotNull(conversationId)), ct).ConfigureAwait(false));
    /// <summary>addParticipants: the users added.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="userIds">The users to add.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The users the server added (users already in it are left out).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Seq<string>>> AddParticipantsAsync(string conversationId, Seq<string> userIds, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.AddParticipants(NotNull(conversationId), userIds), ct).ConfigureAwait(false))
            .Map(es => es.Bind(e => e is ParticipantsAdded a ? a.Result.Added.Map(p => p.User) : Seq<string>()));
    /// <summary>removeParticipants: the users removed.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="userIds">The users to remove.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The users the server removed.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Seq<string>>> RemoveParticipantsAsync(string conversationId, Seq<string> userIds, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.RemoveParticipants(NotNull(conversationId), userIds), ct).ConfigureAwait(false))
            .Map(es => es.Bind(e => e is ParticipantsRemoved r ? r.Result.Removed.Map(p => p.User) : Seq<string>()));
    /// <summary>updateConversation(name, avatar).</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="name">The new name, or None to leave it.</param>
    /// <param name="avatar">The new avatar URL, or None to leave it.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has applied the change.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> UpdateConversationAsync(string conversationId, Option<string> name, Option<string> avatar, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.UpdateConversation(NotNull(conversationId), name, avatar), ct).ConfigureAwait(false));
    /// <summary>markConversationAsRead.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has recorded the read up to the last message.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> MarkConversationAsReadAsync(string conversationId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.MarkConversationAsRead(NotNull(conversationId)), ct).ConfigureAwait(false));
    /// <summary>getConversationWithUser.</summary>
    /// <param name="userId">The other user's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The one-to-one conversation with the user, as recorded; -3 when there is none.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<ConversationList.Conversation>> GetConversationWithUserAsync(string userId, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.GetConversationWithUser(NotNull(userId)), ct).ConfigureAwait(false))
            .Bind(es => es.Bind(e => e is ConversationWithUserLoaded l ? l.Result.Conversations.Map(c => c.ConvId) : Seq<string>()).HeadOrNone()
                .ToFin(Error.New(-3, "No conversation found.")))
            .Bind(Conversation);
    /// <summary>getUnreadConversationCount.</summary>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>How many conversations have unread messages, as the server counts them.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<int>> GetUnreadConversationCountAsync(CancellationToken ct = default) =>
        (await ExecuteAsync(new C.GetUnreadConversationCount(), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is UnreadCountReceived u ? Some(u.Result.Count) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")));
    /// <summary>sendBeginTyping.</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has passed it on.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> SendBeginTypingAsync(string convId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendBeginTyping(NotNull(convId)), ct).ConfigureAwait(false));
    /// <summary>sendEndTyping.</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has passed it on.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> SendEndTypingAsync(string convId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendEndTyping(NotNull(convId)), ct).ConfigureAwait(false));

    /// <summary>sendMessage: completes when the server has given the message its seq (a message sent while reconnecting waits in the outbox).</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="type">The message type, as in Stringee's API (1 text, 2 photo, 3 video, 4 audio, 5 file, 6 link, 7 creation, 9 location, 10 contact, 11 sticker).</param>
    /// <param name="content">The message body as Stringee's JSON object (for text: <c>{"content": "…"}</c>).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The message as the timeline shows it, with the seq the server gave it.</returns>
    /// <include file='Docs/Codes.xml' path='codes/message/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Timeline.MessageView>> SendMessageAsync(string convId, int type, Json.Obj content, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.SendMessage(NotNull(convId), type, content ?? throw new ArgumentNullException(nameof(content))), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is MessageSent s ? Some(s.Result.MsgId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")))
            .Bind(id => Projections.Timeline.View(Current.Timeline, convId!).Find(m => m.Id == id).ToFin(Error.New(-3, "No message found.")));
    /// <summary>sendMessage of a text message.</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="text">The text (null is an empty text).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The message as the timeline shows it, with the seq the server gave it.</returns>
    /// <include file='Docs/Codes.xml' path='codes/message/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Timeline.MessageView>> SendTextAsync(string convId, string text, CancellationToken ct = default) =>
        SendMessageAsync(convId, 1, Json.Object(("content", text ?? "")), ct);
    /// <summary>deleteMessage.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="messageId">The message's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has deleted the message.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> DeleteMessageAsync(string conversationId, string messageId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.DeleteMessage(NotNull(conversationId), NotNull(messageId)), ct).ConfigureAwait(false));
    /// <summary>getLocalMessages: the last <paramref name="count"/> recorded messages, oldest first.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The last <paramref name="count"/> recorded messages, oldest first.</returns>
    /// <include file='Docs/Codes.xml' path='codes/local/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<Timeline.MessageView>>> GetLocalMessagesAsync(string conversationId, int count, CancellationToken ct = default) =>
        Local(new C.GetLocalMessages(NotNull(conversationId), count), () => Projections.Timeline.View(Current.Timeline, conversationId!).TakeLast(count).ToSeq(), ct);
    /// <summary>getLastMessages.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The conversation's latest messages from the server, as the timeline shows them after they were recorded.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<Timeline.MessageView>>> GetLastMessagesAsync(string conversationId, int count, CancellationToken ct = default) =>
        Messages(new C.GetLastMessages(NotNull(conversationId), count), conversationId, ct);
    /// <summary>getMessagesAfter.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="seq">The seq the messages are after or before.</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The messages after <paramref name="seq"/>, from the server, as the timeline shows them.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<Timeline.MessageView>>> GetMessagesAfterAsync(string conversationId, long seq, int count, CancellationToken ct = default) =>
        Messages(new C.GetMessagesAfter(NotNull(conversationId), seq, count), conversationId, ct);
    /// <summary>getMessagesBefore.</summary>
    /// <param name="conversationId">The conversation's id (not empty).</param>
    /// <param name="seq">The seq the messages are after or before.</param>
    /// <param name="count">How many at most (1 or more).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The messages before <paramref name="seq"/>, from the server, as the timeline shows them.</returns>
    /// <include file='Docs/Codes.xml' path='codes/query/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public Task<Fin<Seq<Timeline.MessageView>>> GetMessagesBeforeAsync(string conversationId, long seq, int count, CancellationToken ct = default) =>
        Messages(new C.GetMessagesBefore(NotNull(conversationId), seq, count), conversationId, ct);

    async Task<Fin<Seq<Timeline.MessageView>>> Messages(Command c, string conversationId, CancellationToken ct) =>
        (await ExecuteAsync(c, ct).ConfigureAwait(false)).Map(es =>
        {
            var ids = es.Bind(e => e is MessagesLoaded l ? l.Result.Msgs.Map(m => m.Id) : Seq<string>()).ToHashSet();
            return Projections.Timeline.View(Current.Timeline, conversationId).Filter(m => ids.Contains(m.Id));
        });

    async Task<Fin<T>> Local<T>(Command c, Func<T> read, CancellationToken ct) =>
        (await ExecuteAsync(c, ct).ConfigureAwait(false)).Map(_ => read());

    /// <summary>clearDb: the local view is emptied (the event log, the audit record, is kept).</summary>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the clearing is recorded: the read models are empty, the event log keeps everything.</returns>
    /// <include file='Docs/Codes.xml' path='codes/local/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> ClearDbAsync(CancellationToken ct = default) => Done(await ExecuteAsync(new C.ClearDb(), ct).ConfigureAwait(false));

    // ---- live chat

    /// <summary>updateUserInfo(name, email, avatar).</summary>
    /// <param name="name">The display name, or None to leave it.</param>
    /// <param name="email">The e-mail address, or None to leave it.</param>
    /// <param name="avatar">The avatar URL, or None to leave it.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has updated the user's profile.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> UpdateUserInfoAsync(Option<string> name, Option<string> email, Option<string> avatar, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.UpdateUserInfo(name, email, avatar), ct).ConfigureAwait(false));
    /// <summary>createLiveChatConversation(queueId): the conversation, waiting for an agent.</summary>
    /// <param name="queueId">The queue to wait in (one of <see cref="GetChatProfileAsync"/>'s queues).</param>
    /// <param name="customData">Data for the agent, or None.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The conversation, waiting in the queue for an agent (<see cref="OnTimeoutInQueue"/> when none answers).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<ConversationList.Conversation>> CreateLiveChatConversationAsync(string queueId, Option<string> customData = default, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.CreateLiveChatConversation(NotNull(queueId), customData), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is ConversationCreated c ? Some(c.Result.Conversation.ConvId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")))
            .Bind(Conversation);
    /// <summary>acceptChatRequest(request).</summary>
    /// <param name="request">The request as <see cref="OnReceiveChatRequest"/> or <see cref="OnReceiveTransferChatRequest"/> gave it.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has given the chat to this agent.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> AcceptChatRequestAsync(ChatRequestRef request, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.AcceptChatRequest(request ?? throw new ArgumentNullException(nameof(request))), ct).ConfigureAwait(false));
    /// <summary>rejectChatRequest(request).</summary>
    /// <param name="request">The request as <see cref="OnReceiveChatRequest"/> or <see cref="OnReceiveTransferChatRequest"/> gave it.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has taken the refusal (it offers the chat to another agent).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> RejectChatRequestAsync(ChatRequestRef request, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.RejectChatRequest(request ?? throw new ArgumentNullException(nameof(request))), ct).ConfigureAwait(false));
    /// <summary>sendChatTranscript(email, convId, domain).</summary>
    /// <param name="email">Where to send the transcript (not empty).</param>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="domain">The mail domain the transcript is sent from, as in Stringee's API.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has taken the request to mail the transcript.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> SendChatTranscriptAsync(string email, string convId, string domain, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.SendChatTranscript(NotNull(email), NotNull(convId), NotNull(domain)), ct).ConfigureAwait(false));
    /// <summary>endChat(convId).</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has ended the chat (both sides see <see cref="OnConversationEnded"/>).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> EndChatAsync(string convId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.EndChat(NotNull(convId)), ct).ConfigureAwait(false));
    /// <summary>Transfer a live chat to another agent (protocol 77).</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="toUserId">The agent to hand the chat to (not empty).</param>
    /// <param name="customerId">The customer's user id, as in the request.</param>
    /// <param name="customerName">The customer's name, as in the request.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has offered the chat to the other agent (they accept or reject it).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> TransferChatAsync(string convId, string toUserId, string customerId, string customerName, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.TransferChat(NotNull(convId), NotNull(toUserId), NotNull(customerId), NotNull(customerName)), ct).ConfigureAwait(false));

    // ---- pin, edit, revoke

    /// <summary>pinMessage(convId, messageId, pin).</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="messageId">The message's id (not empty).</param>
    /// <param name="pin">True to pin, false to unpin.</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has pinned or unpinned the message.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> PinMessageAsync(string convId, string messageId, bool pin, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.PinMessage(NotNull(convId), NotNull(messageId), pin), ct).ConfigureAwait(false));
    /// <summary>editMessage(convId, messageId, newContent).</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="messageId">The message's id (not empty).</param>
    /// <param name="newContent">The new text (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has applied the edit (the history keeps every version).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> EditMessageAsync(string convId, string messageId, string newContent, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.EditMessage(NotNull(convId), NotNull(messageId), NotNull(newContent)), ct).ConfigureAwait(false));
    /// <summary>revokeMessage(convId, messageId).</summary>
    /// <param name="convId">The conversation's id (not empty).</param>
    /// <param name="messageId">The message's id (not empty).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>Success once the server has revoked the message (the log keeps what it said).</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<Unit>> RevokeMessageAsync(string convId, string messageId, CancellationToken ct = default) =>
        Done(await ExecuteAsync(new C.RevokeMessage(NotNull(convId), NotNull(messageId)), ct).ConfigureAwait(false));

    /// <summary>Start a call to a user (signalling only; rings onIncomingCall, or onIncomingCall2 with <paramref name="call2"/>).</summary>
    /// <param name="toUserId">The user to call (not empty).</param>
    /// <param name="isVideo">True for a video call.</param>
    /// <param name="call2">True for the call2 flow (the callee sees <see cref="OnIncomingCall2"/>).</param>
    /// <param name="ct">Ends the wait (see the exceptions); it does not withdraw a request already sent.</param>
    /// <returns>The call's id.</returns>
    /// <include file='Docs/Codes.xml' path='codes/command/*' />
    /// <include file='Docs/Codes.xml' path='codes/arguments/*' />
    public async Task<Fin<string>> StartCallAsync(string toUserId, bool isVideo, bool call2 = false, CancellationToken ct = default) =>
        (await ExecuteAsync(new C.StartCall(NotNull(toUserId), isVideo, call2, None), ct).ConfigureAwait(false))
            .Bind(es => es.Choose(e => e is CallStarted c ? Some(c.Result.CallId) : None).HeadOrNone().ToFin(Error.New(-2, "Generic error")));

    // ---------------------------------------------------------------- helpers

    // A null argument is the caller's bug (ArgumentNullException); an empty one is Stringee's -2, decided like any other input.
    static string NotNull(string? value, [System.Runtime.CompilerServices.CallerArgumentExpression(nameof(value))] string? name = null) =>
        value ?? throw new ArgumentNullException(name);

    IncomingCall Call(IncomingCallNotice n) => new(user, n.CallId, n.FromNumber, n.ToNumber, n.FromAlias.IfNone(n.FromNumber), n.ToAlias.IfNone(n.ToNumber),
        n.FromInternal.IfNone(true) ? 1 : 3, n.Video, n.CustomDataFromYourServer.IfNone(""));

    ObjectChange Resolve(ObjectChanges.Change c)
    {
        var m = Current;
        var objects = c.ObjectType == ObjectChanges.Conversation
            ? c.Ids.Map(id => m.Conversations.ById.Find(id).Match(x => (object)x, () => id))
            : c.Ids.Map(id => Projections.Timeline.Find(m.Timeline, c.ConvId, id).Match(x => (object)x, () => id));
        return new ObjectChange(c.ObjectType, c.ChangeType, objects.Strict());
    }

    /// <summary>Stops the connection; disposes the log when the client made it.</summary>
    public async ValueTask DisposeAsync()
    {
        var wasRunning = lifetime is not null;
        await StopLoopAsync().ConfigureAwait(false);
        if (wasRunning && user.Length > 0) await RecordLocalAsync(new Disconnected("client disposed", false)).ConfigureAwait(false);
        subscription?.Dispose();
        steps.Writer.TryComplete();
        if (stepLoop is not null) await Task.WhenAny(stepLoop, Task.Delay(TimeSpan.FromSeconds(5))).ConfigureAwait(false);
        if (alarm is not null) await alarm.DisposeAsync().ConfigureAwait(false);
        feed.OnCompleted();
        models.OnCompleted();
        changes.OnCompleted();
        http.Dispose();
        if (ownsLog) await log.DisposeAsync().ConfigureAwait(false);
        commands.Dispose();
        outboxGauge.Dispose();
        sendQueueGauge.Dispose();
    }

    sealed class ReferenceComparer<T> : IEqualityComparer<T> where T : class?
    {
        public static readonly ReferenceComparer<T> Instance = new();
        public bool Equals(T? x, T? y) => ReferenceEquals(x, y);
        public int GetHashCode(T obj) => obj is null ? 0 : System.Runtime.CompilerServices.RuntimeHelpers.GetHashCode(obj);
    }
}
