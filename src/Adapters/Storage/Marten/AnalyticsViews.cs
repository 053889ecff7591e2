namespace EventSourced.Adapters.Storage.Marten;

/// <summary>
/// SQL views over the client log for analysts (created with the log; always current, computed when queried):
/// <c>recorded</c> (every event with its envelope as columns), <c>messages</c>, <c>edits</c>,
/// <c>revokes</c>, <c>pins</c>, <c>reports</c> and <c>live_chat_requests</c> (with waiting and handling times).
/// Messages are counted once whichever clients recorded them.
/// </summary>
public static class AnalyticsViews
{
    /// <summary>
    /// The event of a row's <c>data</c> as jsonb (<c>{schema}.event_json(data->'Data')</c>): the object where the event is stored
    /// as one, its text cast where it is stored as text. jsonb holds no U+0000, so in text a \u0000 escape (not an escaped
    /// backslash before "u0000") reads as U+FFFD here: one such message no longer makes every query over the view fail.
    /// </summary>
    public static string EventJson(string schema) => $$"""
        create or replace function {{schema}}.event_json(d jsonb) returns jsonb language sql immutable parallel safe as $f$
          select case jsonb_typeof(d) when 'object' then d
                   when 'string' then case when strpos(t, '\u0000') = 0 then t::jsonb else regexp_replace(t, '(?<!\\)((?:\\\\)*)\\u0000', '\1\\ufffd', 'g')::jsonb end
                 end
          from (select d #>> '{}' as t) x
        $f$;

        """;

    /// <summary>The base view every log gets.</summary>
    public static string Recorded(string schema) => EventJson(schema) + $"""
        create or replace view {schema}.recorded as
        select e.seq_id as position, e.stream_id as stream, split_part(e.stream_id, '/', 1) as user_id, e.version,
               e.data->>'Type' as event_type, {schema}.event_json(e.data->'Data') as event,
               (e.data->>'ReceivedAt')::bigint as received_at, (e.data->>'Seq')::bigint as seq, (e.data->>'ServerTime')::bigint as server_time,
               (e.data->>'Origin')::int as origin, (e.data->>'Service')::int as service, (e.data->>'RequestId')::bigint as request_id
        from {schema}.mt_events e where e.type = 'recorded';
        """;

    /// <summary>The client log's analytics views.</summary>
    public static string Client(string schema) => Recorded(schema) + Tables(schema) + $"""

        create or replace view {schema}.messages as
        select msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by from ({Messages(schema, Everything)}) m;

        create or replace view {schema}.edits as
        select conv_id, msg_id, new_content, received_at, recorded_by from ({Edits(schema, Everything)}) e;

        create or replace view {schema}.revokes as
        select conv_id, msg_id, received_at, recorded_by from ({Revokes(schema, Everything)}) v;

        create or replace view {schema}.pins as
        select conv_id, msg_id, is_pin, received_at, recorded_by from ({Pins(schema, Everything)}) p;

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

    /// <summary>
    /// The analytics tables the async daemon keeps (<see cref="AnalyticsProjection"/>): plain tables an analyst
    /// queries with SQL, indexed, current up to the daemon's progress. Every statement is idempotent, so a
    /// range processed twice (a daemon restart) changes nothing.
    /// </summary>
    public static string Tables(string schema) => $"""

        create table if not exists {schema}.analytics_messages (msg_id text primary key, conv_id text, seq bigint, sender text, msg_type int,
          created bigint, text text, first_recorded_by text, from_received boolean, position bigint);
        create index if not exists analytics_messages_conv on {schema}.analytics_messages (conv_id, seq);
        alter table {schema}.analytics_messages add column if not exists pref int;
        create table if not exists {schema}.analytics_edits (conv_id text, msg_id text, new_content text, received_at bigint, recorded_by text,
          position bigint, primary key (conv_id, msg_id, new_content));
        create table if not exists {schema}.analytics_revokes (msg_id text primary key, conv_id text, received_at bigint, recorded_by text, position bigint);
        create table if not exists {schema}.analytics_pins (position bigint primary key, conv_id text, msg_id text, is_pin boolean, received_at bigint, recorded_by text);
        create table if not exists {schema}.analytics_participants (conv_id text, user_id text, role text, first_seen_at bigint, position bigint,
          primary key (conv_id, user_id));
        create table if not exists {schema}.analytics_live_chat (conv_id text primary key, customer text, agent text, created_at bigint,
          accepted_at bigint, ended_at bigint,
          waiting_ms bigint generated always as (accepted_at - created_at) stored,
          handling_ms bigint generated always as (ended_at - accepted_at) stored);
        """;

    /// <summary>The statements that bring the analytics tables up to date with the events of positions ? to ? (inclusive).</summary>
    public static IReadOnlyList<string> Apply(string schema) =>
    [
        $"""
        insert into {schema}.analytics_messages as t (msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by, from_received, position, pref)
        {Messages(schema, InRange)}
        on conflict (msg_id) do update set conv_id = excluded.conv_id, seq = excluded.seq, sender = excluded.sender, msg_type = excluded.msg_type,
          created = excluded.created, text = excluded.text, first_recorded_by = excluded.first_recorded_by, from_received = excluded.from_received,
          position = excluded.position, pref = excluded.pref
          where (excluded.pref, excluded.position) < (coalesce(t.pref, case when t.from_received then 0 else 2 end), t.position)
        """,
        $"""
        insert into {schema}.analytics_edits (conv_id, msg_id, new_content, received_at, recorded_by, position)
        {Edits(schema, InRange)}
        on conflict do nothing
        """,
        $"""
        insert into {schema}.analytics_revokes (conv_id, msg_id, received_at, recorded_by, position)
        {Revokes(schema, InRange)}
        on conflict do nothing
        """,
        $"""
        insert into {schema}.analytics_pins (conv_id, msg_id, is_pin, received_at, recorded_by, position)
        {Pins(schema, InRange)}
        on conflict do nothing
        """,
        $"""
        insert into {schema}.analytics_participants as t (conv_id, user_id, role, first_seen_at, position)
        select distinct on (conv_id, user_id) conv_id, user_id, role, received_at, position from (
          select r.event->'result'->>'convId' as conv_id, p->>'user' as user_id, p->>'role' as role, r.received_at, r.position
          from {schema}.recorded r cross join lateral jsonb_array_elements(coalesce(r.event->'result'->'participants', '[]')) p
          where r.position between ? and ? and r.event_type = 'client.conversation-created.v1'
          union all
          select r.event->'packet'->>'convId', p->>'user', p->>'role', r.received_at, r.position
          from {schema}.recorded r cross join lateral jsonb_array_elements(coalesce(r.event->'packet'->'added', '[]')) p
          where r.position between ? and ? and r.event_type = 'client.participants-added-notified.v1') x
        where conv_id is not null and user_id is not null
        order by conv_id, user_id, position
        on conflict (conv_id, user_id) do update set role = coalesce(t.role, excluded.role)
        """,
        $"""
        insert into {schema}.analytics_live_chat as t (conv_id, customer, created_at)
        select r.event->'result'->>'convId', min(r.user_id), min(r.received_at)
        from {schema}.recorded r where r.position between ? and ? and r.event_type = 'client.conversation-created.v1' and (r.event->'result'->>'channelType')::int = 1
        group by 1
        on conflict (conv_id) do update set customer = least(t.customer, excluded.customer), created_at = least(t.created_at, excluded.created_at)
        """,
        $"""
        insert into {schema}.analytics_live_chat as t (conv_id, agent, accepted_at)
        select r.event->'result'->>'convId', min(r.user_id), min(r.received_at)
        from {schema}.recorded r where r.position between ? and ? and r.event_type = 'client.chat-request-answered.v1' and (r.event->'result'->>'answer')::boolean
        group by 1
        on conflict (conv_id) do update set agent = least(t.agent, excluded.agent), accepted_at = least(t.accepted_at, excluded.accepted_at)
        """,
        $"""
        insert into {schema}.analytics_live_chat as t (conv_id, ended_at)
        select coalesce(r.event->'packet'->>'convId', r.event->'result'->>'convId'), min(r.received_at)
        from {schema}.recorded r where r.position between ? and ? and r.event_type in ('client.conversation-ended.v1', 'client.chat-ended.v1')
        group by 1 having coalesce(r.event->'packet'->>'convId', r.event->'result'->>'convId') is not null
        on conflict (conv_id) do update set ended_at = least(t.ended_at, excluded.ended_at)
        """,
    ];

    // The selects the views and the daemon's statements share, over every event or over the daemon's range.
    const string Everything = "true";
    const string InRange = "r.position between ? and ?";

    // Each message once (the definition the merged transcript uses: any copy any client recorded): the first received
    // copy, else one the client loaded (catch-up, a creation answer's lastMsg), else the first sent one (which has no text).
    static string Messages(string schema, string events) => $"""
        select distinct on (msg_id) msg_id, conv_id, seq, sender, msg_type, created, text, first_recorded_by, pref < 2 as from_received, position, pref from (
          select r.event->'packet'->>'msgId' as msg_id, r.event->'packet'->>'convId' as conv_id, (r.event->'packet'->>'seq')::bigint as seq,
                 r.event->'packet'->>'from' as sender, (r.event->'packet'->>'type')::int as msg_type, (r.event->'packet'->>'createdTime')::bigint as created,
                 erasure.shown(r.event->'packet'->'message', 'content') as text, r.user_id as first_recorded_by, 0 as pref, r.position
          from {schema}.recorded r where {events} and r.event_type = 'client.message-received.v1'
          union all
          select m->>'id', m->>'convId', (m->>'seq')::bigint, m->>'user', (m->>'type')::int, (m->>'created')::bigint,
                 erasure.shown(m->'content', 'content'), r.user_id, 1, r.position
          from {schema}.recorded r cross join lateral jsonb_array_elements(case
              when r.event_type = 'client.messages-loaded.v1' then coalesce(r.event->'result'->'msgs', '[]')
              when r.event_type = 'client.messages-by-ids-loaded.v1' then coalesce(r.event->'result'->'listMsgs', '[]')
              when jsonb_typeof(r.event->'result'->'lastMsg') = 'object' then jsonb_build_array(r.event->'result'->'lastMsg')
              else '[]' end) m
          where {events} and r.event_type in ('client.messages-loaded.v1', 'client.messages-by-ids-loaded.v1', 'client.conversation-created.v1')
            and m->>'id' is not null and m->>'convId' is not null and (m->>'seq')::bigint >= 1
          union all
          select r.event->'result'->>'msgId', r.event->'result'->>'convId', (r.event->'result'->>'seq')::bigint, r.user_id, null, (r.event->'result'->>'created')::bigint,
                 null, r.user_id, 2, r.position
          from {schema}.recorded r where {events} and r.event_type = 'client.message-sent.v1') m
        order by msg_id, pref, position
        """;

    static string Edits(string schema, string events) => $"""
        select distinct on (conv_id, msg_id, erasure.same(r.event->'packet'->'newContent')) r.event->'packet'->>'convId' as conv_id, r.event->'packet'->>'msgId' as msg_id,
               erasure.shown(r.event->'packet'->'newContent') as new_content, r.received_at, r.user_id as recorded_by, r.position
        from {schema}.recorded r where {events} and r.event_type = 'client.message-edited.v1'
        order by conv_id, msg_id, erasure.same(r.event->'packet'->'newContent'), r.position
        """;

    static string Revokes(string schema, string events) => $"""
        select distinct on (msg_id) r.event->'packet'->>'convId' as conv_id, ids.msg_id, r.received_at, r.user_id as recorded_by, r.position
        from {schema}.recorded r cross join lateral jsonb_array_elements_text(r.event->'packet'->'msgIds') as ids(msg_id)
        where {events} and r.event_type = 'client.messages-revoked.v1'
        order by msg_id, r.position
        """;

    static string Pins(string schema, string events) => $"""
        select r.event->'packet'->>'convId' as conv_id, r.event->'packet'->>'msgId' as msg_id, (r.event->'packet'->>'isPin')::boolean as is_pin,
               r.received_at, r.user_id as recorded_by, r.position
        from {schema}.recorded r where {events} and r.event_type = 'client.message-pin-changed.v1'
        """;
}
