namespace EventSourced.Projections;

/// <summary>
/// The read models a store keeps for each user, flattened into rows (one per conversation, one per
/// message with its whole version history) that a database can hold and an auditor can query. Rows
/// are a pure function of <see cref="ReadModels"/>; <see cref="Changes"/> says which rows a batch of
/// events changed without comparing every message, so a store can update only those.
/// </summary>
public static class Rows
{
    /// <summary>A conversation as one user's client knows it. <c>Id</c> is <c>user/convId</c>, encoded (<see cref="ConversationId"/>).</summary>
    public sealed record ConversationRow(string Id, string User, string ConvId, string? Name, string? Creator, long Created, bool IsGroup,
        int ChannelType, long LastSeq, long ReadSeq, int Unread, long LastUpdate, string? PinnedMsgId, bool Ended, string? EndedBy,
        bool Left, bool Deleted, IReadOnlyList<string> Participants)
    {
        /// <inheritdoc />
        public bool Equals(ConversationRow? other) => other is not null && Key == other.Key && Participants.SequenceEqual(other.Participants);

        /// <inheritdoc />
        public override int GetHashCode() => Key.GetHashCode();

        (string, string, string, string?, string?, long, bool, int, long, long, int, long, string?, bool, string?, bool, bool) Key =>
            (Id, User, ConvId, Name, Creator, Created, IsGroup, ChannelType, LastSeq, ReadSeq, Unread, LastUpdate, PinnedMsgId, Ended, EndedBy, Left, Deleted);
    }

    /// <summary>
    /// A message with its history as one user's client knows it. <c>Id</c> is <c>user/convId/msgId</c>, encoded (<see cref="MessageId"/>);
    /// <c>Versions</c> holds the original content (JSON) first, then every edit; revoked and deleted
    /// messages keep them all.
    /// </summary>
    public sealed record MessageRow(string Id, string User, string ConvId, string MsgId, long Seq, string Sender, int Type, long Created,
        bool Edited, bool Revoked, string? RevokedBy, bool Deleted, bool Pinned, IReadOnlyList<string> Versions)
    {
        /// <inheritdoc />
        public bool Equals(MessageRow? other) => other is not null && Key == other.Key && Versions.SequenceEqual(other.Versions);

        /// <inheritdoc />
        public override int GetHashCode() => Key.GetHashCode();

        (string, string, string, string, long, string, int, long, bool, bool, string?, bool, bool) Key =>
            (Id, User, ConvId, MsgId, Seq, Sender, Type, Created, Edited, Revoked, RevokedBy, Deleted, Pinned);
    }

    /// <summary>Rows to write and row ids to delete.</summary>
    public sealed record Change(Seq<ConversationRow> Conversations, Seq<MessageRow> Messages, Seq<string> DeletedConversations, Seq<string> DeletedMessages)
    {
        /// <summary>Nothing to write.</summary>
        public static readonly Change None = new(Seq<ConversationRow>(), Seq<MessageRow>(), Seq<string>(), Seq<string>());

        /// <summary>True when there is nothing to write.</summary>
        public bool IsEmpty => Conversations.IsEmpty && Messages.IsEmpty && DeletedConversations.IsEmpty && DeletedMessages.IsEmpty;
    }

    /// <summary>Orders (conversation, message) pairs part by part, ordinally: the same on every machine whatever its culture.</summary>
    public readonly struct OrdConvMsg : LanguageExt.TypeClasses.Ord<(string Conv, string Msg)>
    {
        /// <inheritdoc />
        public int Compare((string Conv, string Msg) x, (string Conv, string Msg) y) =>
            string.CompareOrdinal(x.Conv, y.Conv) is var c && c != 0 ? c : string.CompareOrdinal(x.Msg, y.Msg);
        /// <inheritdoc />
        public bool Equals((string Conv, string Msg) x, (string Conv, string Msg) y) => string.Equals(x.Conv, y.Conv, StringComparison.Ordinal) && string.Equals(x.Msg, y.Msg, StringComparison.Ordinal);
        /// <inheritdoc />
        public int GetHashCode((string Conv, string Msg) x) => HashCode.Combine(StringComparer.Ordinal.GetHashCode(x.Conv), StringComparer.Ordinal.GetHashCode(x.Msg));
        /// <inheritdoc />
        public Task<int> CompareAsync((string Conv, string Msg) x, (string Conv, string Msg) y) => Task.FromResult(Compare(x, y));
        /// <inheritdoc />
        public Task<bool> EqualsAsync((string Conv, string Msg) x, (string Conv, string Msg) y) => Task.FromResult(Equals(x, y));
        /// <inheritdoc />
        public Task<int> GetHashCodeAsync((string Conv, string Msg) x) => Task.FromResult(GetHashCode(x));
    }

    /// <summary>
    /// The messages a run of events may have changed: (conversation, message) pairs, or every
    /// message when an event resets the state.
    /// </summary>
    public sealed record Touched(Set<OrdConvMsg, (string Conv, string Msg)> Messages, bool All)
    {
        /// <summary>No event yet.</summary>
        public static readonly Touched Nothing = new(Set<OrdConvMsg, (string, string)>(), false);
    }

    /// <summary>
    /// The row id of a user's conversation: its parts encoded as in stream keys (<see cref="Recording.KeyPart"/>), so
    /// two users' rows never share an id whatever their ids hold (<c>a/b</c> in <c>c</c> and <c>a</c> in <c>b/c</c> are
    /// <c>a%2Fb/c</c> and <c>a/b%2Fc</c>), and no id holds U+0000.
    /// </summary>
    public static string ConversationId(string user, string convId) => $"{Recording.KeyPart(user)}/{Recording.KeyPart(convId)}";

    /// <summary>The row id of a user's message, its parts encoded as in <see cref="ConversationId"/>.</summary>
    public static string MessageId(string user, string convId, string msgId) =>
        $"{Recording.KeyPart(user)}/{Recording.KeyPart(convId)}/{Recording.KeyPart(msgId)}";

    /// <summary>The text every row id of a user starts with, and no other user's does.</summary>
    public static string IdPrefix(string user) => Recording.UserPrefix(user);

    /// <summary>Every conversation row of a user's read models, by id.</summary>
    public static Seq<ConversationRow> ConversationsOf(string user, ReadModels s) =>
        s.Conversations.ById.Values.Map(c => Conversation(user, c)).ToSeq();

    /// <summary>Every message row of a user's read models.</summary>
    public static Seq<MessageRow> MessagesOf(string user, ReadModels s) =>
        s.Timeline.Conversations.Values.Bind(c => c.BySeq.Values.Map(m => Message(user, s, c, m))).ToSeq();

    /// <summary>One conversation's row.</summary>
    public static ConversationRow Conversation(string user, ConversationList.Conversation c) =>
        new(ConversationId(user, c.Id), user, c.Id, N(c.Name), N(c.Creator), c.Created, c.IsGroup, c.ChannelType, c.LastSeq,
            c.ReadSeq, c.Unread, c.LastUpdate, N(c.PinnedMsgId), c.Ended, N(c.EndedBy), c.Left, c.Deleted,
            c.Participants.Values.Map(p => $"{p.User}:{p.Role}").ToArray());

    /// <summary>One message's row.</summary>
    public static MessageRow Message(string user, ReadModels s, Timeline.Conversation c, Timeline.Message m) =>
        new(MessageId(user, c.Id, m.Id), user, c.Id, m.Id, m.Seq, m.Sender, m.Type, m.Created, m.Edited, m.Revoked,
            N(Revokes.Of(s.Revokes, c.Id, m.Id).Bind(r => r.By)), m.Deleted, c.Pinned == Some(m.Id),
            m.Versions.Map(v => v.ToJsonString()).ToArray());

    /// <summary>Folds events into the read models, noting which messages they may have touched.</summary>
    public static (Folded<ReadModels> State, Touched Touched) Fold(Folded<ReadModels> s, Touched t, IEnumerable<Event> events)
    {
        foreach (var e in events)
        {
            (s, var facts) = ReadModels.Reducer.StepWithFacts(s, e);
            t = facts.Fold(t, Touch);
        }
        return (s, t);
    }

    /// <summary>Adds the messages one fact may change.</summary>
    public static Touched Touch(Touched t, Fact f)
    {
        if (t.All) return t;
        switch (f)
        {
            // A confirmation applies the command it answers (an edit, a pin).
            case Fact.Confirmed(MessageEditRequested ed, _, _):
                return Add(t, ed.Request.ConvId, Seq1(ed.Request.MsgId));
            case Fact.Confirmed(MessagePinRequested p, _, _):
                return Add(t, p.Request.ConvId, Seq1(p.Request.MsgId));
            case Fact.Of { Event: LocalDataCleared }:
                return t with { All = true };
            case Fact.Of { Event: ConversationCreated c }:
                // 41's answer brings the creation message as lastMsg.
                return Timeline.CreationMessage(c).Match(m => Add(t, m.ConvId.IfNone(c.Result.Conversation.ConvId), Seq1(m.Id)), () => t);
            case Fact.Of o:
                return ObjectChanges.Derive(o.Event).Filter(ch => ch.ObjectType == ObjectChanges.Message).Fold(t, (acc, ch) => Add(acc, ch.ConvId, ch.Ids));
            default:
                return t;
        }
    }

    static string? N(Option<string> o) => o.IfNoneUnsafe((string?)null);

    static Touched Add(Touched t, string conv, Seq<string> ids) => ids.IsEmpty ? t : t with { Messages = ids.Fold(t.Messages, (set, id) => set.AddOrUpdate((conv, id))) };

    /// <summary>
    /// The rows that differ between two states of one user's read models, <paramref name="after"/>
    /// being <paramref name="before"/> with events applied that touched <paramref name="touched"/>.
    /// Conversations are compared by reference (cheap: one per conversation); messages only where touched,
    /// or where a conversation's pinned message moved. Law: applying the change to the rows of
    /// <paramref name="before"/> gives the rows of <paramref name="after"/>.
    /// </summary>
    public static Change Changes(string user, ReadModels before, ReadModels after, Touched touched)
    {
        if (ReferenceEquals(before, after)) return Change.None;
        var conversations = after.Conversations.ById.Filter((id, c) => !before.Conversations.ById.Find(id).Exists(b => ReferenceEquals(b, c)))
            .Values.Map(c => Conversation(user, c)).ToSeq();
        var goneConversations = before.Conversations.ById.Keys.Filter(id => !after.Conversations.ById.ContainsKey(id))
            .Map(id => ConversationId(user, id)).ToSeq();
        if (touched.All)
        {
            var now = MessagesOf(user, after);
            var ids = toHashSet(now.Map(r => r.Id));
            return new Change(conversations, now, goneConversations, MessagesOf(user, before).Map(r => r.Id).Filter(id => !ids.Contains(id)));
        }
        var moved = after.Timeline.Conversations
            .Filter((id, c) => !before.Timeline.Conversations.Find(id).Exists(b => ReferenceEquals(b, c) || b.Pinned == c.Pinned))
            .Values.Bind(c => (before.Timeline.Conversations.Find(c.Id).Bind(b => b.Pinned).ToSeq() + c.Pinned.ToSeq()).Map(m => (Conv: c.Id, Msg: m)));
        var messages = touched.Messages.ToSeq().Concat(moved).Distinct().ToSeq()
            .Bind(k => after.Timeline.Conversations.Find(k.Conv)
                .Bind(c => c.SeqOf.Find(k.Msg).Bind(q => c.BySeq.Find(q)).Map(m => Message(user, after, c, m))).ToSeq())
            .Strict();
        return new Change(conversations, messages, goneConversations, Seq<string>());
    }
}
