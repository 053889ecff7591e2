namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// SQL views over the client log for analysts (created with the log; always current, no daemon):
/// <c>recorded</c> (every event with its envelope as columns), <c>messages</c>, <c>edits</c>,
/// <c>revokes</c>, <c>pins</c>, <c>reports</c> and <c>live_chat_requests</c> (with waiting and handling times).
/// Messages are counted once whichever clients recorded them.
/// </summary>
public static class AnalyticsViews
{
    /// <summary>The base view every log gets.</summary>
    public static string Recorded(string schema) => $"""
        create or replace view {schema}.recorded as
        select e.seq_id as position, e.stream_id as stream, split_part(e.stream_id, '/', 1) as user_id, e.version,
               e.data->>'Type' as event_type, (e.data->>'Data')::jsonb as event,
               (e.data->>'ReceivedAt')::bigint as received_at, (e.data->>'Seq')::bigint as seq, (e.data->>'ServerTime')::bigint as server_time,
               (e.data->>'Origin')::int as origin, (e.data->>'Service')::int as service, (e.data->>'RequestId')::bigint as request_id
        from {schema}.mt_events e where e.type = 'recorded';
        """;

    /// <summary>The client log's analytics views.</summary>
    public static string Client(string schema) => Recorded(schema) + $"""

        create or replace view {schema}.messages as
        select distinct on (msg_id) msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by from (
          select r.event->'packet'->>'msgId' as msg_id, r.event->'packet'->>'convId' as conv_id, (r.event->'packet'->>'seq')::bigint as seq,
                 r.event->'packet'->>'from' as sender, (r.event->'packet'->>'type')::int as msg_type, (r.event->'packet'->>'createdTime')::bigint as created,
                 r.event->'packet'->'message'->>'content' as text, r.user_id as first_recorded_by, 0 as pref, r.position
          from {schema}.recorded r where r.event_type = 'client.message-received.v1'
          union all
          select r.event->'result'->>'msgId', r.event->'result'->>'convId', (r.event->'result'->>'seq')::bigint, r.user_id, null, (r.event->'result'->>'created')::bigint,
                 null, r.user_id, 1, r.position
          from {schema}.recorded r where r.event_type = 'client.message-sent.v1') m
        order by msg_id, pref, position;

        create or replace view {schema}.edits as
        select distinct on (conv_id, msg_id, new_content) r.event->'packet'->>'convId' as conv_id, r.event->'packet'->>'msgId' as msg_id,
               r.event->'packet'->>'newContent' as new_content, r.received_at, r.user_id as recorded_by
        from {schema}.recorded r where r.event_type = 'client.message-edited.v1'
        order by conv_id, msg_id, new_content, r.position;

        create or replace view {schema}.revokes as
        select distinct on (msg_id) r.event->'packet'->>'convId' as conv_id, ids.msg_id, r.received_at, r.user_id as recorded_by
        from {schema}.recorded r cross join lateral jsonb_array_elements_text(r.event->'packet'->'msgIds') as ids(msg_id)
        where r.event_type = 'client.messages-revoked.v1'
        order by msg_id, r.position;

        create or replace view {schema}.pins as
        select r.event->'packet'->>'convId' as conv_id, r.event->'packet'->>'msgId' as msg_id, (r.event->'packet'->>'isPin')::boolean as is_pin,
               r.received_at, r.user_id as recorded_by
        from {schema}.recorded r where r.event_type = 'client.message-pin-changed.v1';

        create or replace view {schema}.reports as
        select r.event->'packet'->>'convId' as conv_id, r.event->'packet'->>'from' as reader, (r.event->'packet'->>'lastMsgSeq')::bigint as up_to_seq,
               case (r.event->'packet'->>'status')::int when 2 then 'read' else 'delivered' end as status, r.received_at, r.user_id as recorded_by
        from {schema}.recorded r where r.event_type = 'client.message-report-received.v1';

        create or replace view {schema}.live_chat_requests as
        with created as (
          select r.event->'result'->>'convId' as conv_id, min(r.received_at) as created_at, min(r.user_id) as customer
          from {schema}.recorded r where r.event_type = 'client.conversation-created.v1' and (r.event->'result'->>'channelType')::int = 1 group by 1),
        accepted as (
          select r.event->'result'->>'convId' as conv_id, min(r.received_at) as accepted_at, min(r.user_id) as agent
          from {schema}.recorded r where r.event_type = 'client.chat-request-answered.v1' and (r.event->'result'->>'answer')::boolean group by 1),
        ended as (
          select coalesce(r.event->'packet'->>'convId', r.event->'result'->>'convId') as conv_id, min(r.received_at) as ended_at
          from {schema}.recorded r where r.event_type in ('client.conversation-ended.v1', 'client.chat-ended.v1') group by 1)
        select c.conv_id, c.customer, a.agent, c.created_at, a.accepted_at, e.ended_at,
               a.accepted_at - c.created_at as waiting_ms, e.ended_at - a.accepted_at as handling_ms
        from created c left join accepted a using (conv_id) left join ended e using (conv_id);
        """;
}
