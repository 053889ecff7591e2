using EventSourced.Domain.Client;
using EventSourced.Domain.Packets;
using static EventSourced.Domain.Server.ServerEvent;

namespace EventSourced.Domain.Server;

/// <summary>
/// Live-chat routing as a pure step of time: offer waiting chats to the next available agent of
/// their queue (64), time out unanswered offers (66, then the next agent), and time out chats
/// nobody took within the queue timeout (67 to the customer).
/// </summary>
public static class Routing
{
    /// <summary>What must happen now; <paramref name="online"/> says whether an agent has a live session.</summary>
    public static Outcome Step(ServerState s, ServerRules rules, long now, Func<string, bool> online)
    {
        var events = Seq<ServerEvent>();
        var deliveries = Seq<Delivery>();
        foreach (var r in s.Requests.Values)
        {
            var queue = rules.Queues.Find(r.QueueId);
            if (queue.IsNone) continue;
            var q = (QueueRules)queue;
            var current = r;
            if (current.Status == RequestStatus.Offered && now - current.OfferedAt >= q.AgentTimeoutMs)
            {
                var agent = current.OfferedTo.IfNone("");
                var timedOut = new ChatAgentTimedOut(current.ConvId, agent, now);
                events = events.Add(timedOut);
                deliveries = deliveries.Add(Notify(agent, Service.TimeoutRouteToAgent, new AgentTimeoutNotice(current.ConvId, current.CustomerId, current.CustomerName)));
                current = current with { Status = RequestStatus.Waiting, OfferedTo = None, Declined = current.Declined.TryAdd(agent) };
            }
            if (current.Status != RequestStatus.Waiting) continue;
            if (now - current.QueuedAt >= q.QueueTimeoutMs)
            {
                events = events.Add(new ChatQueueTimedOut(current.ConvId, now));
                deliveries = deliveries.Add(Notify(current.CustomerId, Service.TimeoutRouteToQueue, new QueueTimeoutNotice(current.ConvId, current.CustomerId, current.CustomerName)));
                continue;
            }
            var next = q.Agents.Find(a => !current.Declined.Contains(a) && online(a));
            foreach (var agent in next)
            {
                events = events.Add(new ChatOffered(current.ConvId, agent, now));
                deliveries = deliveries.Add(Notify(agent, Service.ChatRouteToAgent, new ChatRequestNotice(current.ConvId, current.CustomerId, current.CustomerName, 1)));
            }
        }
        return new Outcome(events, None, deliveries);
    }

    static Delivery Notify(string user, Service service, Body body) => new(Seq1(user), None, Protocol.Encode(service, body), false);
}
