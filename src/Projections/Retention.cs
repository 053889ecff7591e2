using EventSourced.Domain.Compliance;

namespace EventSourced.Projections;

/// <summary>What retention needs to know of each conversation in a client log: its channel type, when anything last happened in it, who recorded or sent in it, and the positions of its recorded events.</summary>
public static class Retention
{
    /// <summary>Every conversation with events in the log, by id (ordinal).</summary>
    public static Seq<Holds.Conversation> Conversations(IEnumerable<Recorded> log)
    {
        var byConv = new SortedDictionary<string, (int Channel, long Last, System.Collections.Generic.HashSet<string> Users, List<long> Positions)>(StringComparer.Ordinal);
        var channels = new Dictionary<string, int>(StringComparer.Ordinal);
        void Channel(string conv, Option<int> type)
        {
            foreach (var t in type) channels[conv] = t;
        }
        foreach (var r in log)
        {
            switch (r.Event)
            {
                case ConversationCreated c: Channel(c.Result.Conversation.ConvId, c.Result.Conversation.ChannelType); break;
                case ConversationsLoaded l: foreach (var c in l.Result.ListConvs) Channel(c.ConvId, c.ChannelType); break;
                case MessageReceived m: Channel(m.Packet.ConvId, m.Packet.ChannelType); break;
                case MessageSent m: Channel(m.Result.ConvId, m.Result.ChannelType); break;
                case ChatRequestReceived q: Channel(q.Packet.ConvId, q.Packet.ChannelType); break;
            }
            // Only events in a conversation's own stream are that conversation's recording (session-stream events stay).
            foreach (var conv in Recording.ConversationOf(r.Event))
            {
                if (r.Meta.Stream != Recording.ConversationStream(Recording.UserOfStream(r.Meta.Stream).IfNone(""), conv)) continue;
                if (!byConv.TryGetValue(conv, out var c)) byConv[conv] = c = (0, 0, new System.Collections.Generic.HashSet<string>(StringComparer.Ordinal), []);
                foreach (var u in Recording.UserOfStream(r.Meta.Stream)) c.Users.Add(u);
                if (r.Event is MessageReceived mr) c.Users.Add(mr.Packet.From);
                c.Positions.Add(r.Meta.Position);
                byConv[conv] = c with { Last = Math.Max(c.Last, r.Meta.ReceivedAt) };
            }
        }
        return toSeq(byConv.Select(kv => new Holds.Conversation(kv.Key, channels.TryGetValue(kv.Key, out var t) ? t : 0, kv.Value.Last,
            toSeq(kv.Value.Users.Order(StringComparer.Ordinal)).Strict(), toSeq(kv.Value.Positions).Strict()))).Strict();
    }
}
