-- One row per service ticket that has a ticket_created event (kpis.md: a ticket is all service
-- events of one ticket_id; its date, channel, category and priority come from ticket_created).
-- Events of a ticket whose ticket_created has not arrived are held back until it does.
with events as (

    select * from {{ ref('stg_service__events') }}

),

created as (

    select
        ticket_id,
        event_ts as created_at,
        event_ts_local as created_at_local,
        event_date as ticket_date,
        channel,
        category,
        priority,
        customer_id,
        order_id,
        row_number() over (partition by ticket_id order by event_ts, event_id) as created_seq
    from events
    where event_type = 'ticket_created'

),

ratings as (

    -- the latest csat_rated event of the ticket counts (by event_ts, ties by event_id)
    select
        ticket_id,
        csat_score,
        event_ts as rated_at,
        event_date as rated_date,
        row_number() over (partition by ticket_id order by event_ts desc, event_id desc) as rating_rank
    from events
    where event_type = 'csat_rated'
        and csat_score is not null

),

first_replies as (

    -- the ticket's first agent_message (by event_ts, ties by event_id): who sent it and its local day
    select
        ticket_id,
        agent_id as first_agent_id,
        event_date as first_agent_message_date,
        row_number() over (partition by ticket_id order by event_ts, event_id) as reply_rank
    from events
    where event_type = 'agent_message'

),

activity as (

    select
        ticket_id,
        count(*) as event_count,
        min(case when event_type = 'agent_message' then event_ts end) as first_agent_message_at,
        max(case when event_type = 'ticket_solved' then event_ts end) as last_solved_at,
        max(case when event_type = 'ticket_reopened' then event_ts end) as last_reopened_at,
        {{ count_where("event_type = 'agent_message'") }} as agent_message_count,
        {{ count_where("event_type = 'ticket_reopened'") }} as reopen_count,
        {{ count_where("event_type = 'bot_message'") }} as bot_message_count
    from events
    group by ticket_id

),

tickets as (

    select
        created.ticket_id,
        created.created_at,
        created.created_at_local,
        created.ticket_date,
        created.channel,
        created.category,
        created.priority,
        created.customer_id,
        created.order_id,
        activity.event_count,
        activity.agent_message_count,
        activity.reopen_count,
        activity.bot_message_count,
        activity.first_agent_message_at,
        first_replies.first_agent_id,
        first_replies.first_agent_message_date,
        -- solved = solved at least once and not reopened after the last solve
        (
            activity.last_solved_at is not null
            and (activity.last_reopened_at is null or activity.last_reopened_at <= activity.last_solved_at)
        ) as is_solved,
        activity.last_solved_at,
        ratings.csat_score,
        ratings.rated_at,
        ratings.rated_date
    from created
    inner join activity
        on activity.ticket_id = created.ticket_id
    left join ratings
        on ratings.ticket_id = created.ticket_id
        and ratings.rating_rank = 1
    left join first_replies
        on first_replies.ticket_id = created.ticket_id
        and first_replies.reply_rank = 1
    where created.created_seq = 1

)

select
    ticket_id,
    created_at,
    created_at_local,
    ticket_date,
    channel,
    category,
    priority,
    customer_id,
    order_id,
    event_count,
    agent_message_count,
    reopen_count,
    bot_message_count,
    first_agent_message_at,
    first_agent_id,
    first_agent_message_date,
    -- first agent_message - ticket_created, in minutes (bots do not count); null without a reply.
    -- Counted in milliseconds: a datediff in seconds counts second boundaries crossed, which is
    -- up to a second off and can tip a response across its SLA target.
    {{ timestamp_diff_in('created_at', 'first_agent_message_at', 'millisecond', 60000) }} as first_response_minutes,
    is_solved,
    case when is_solved then last_solved_at end as solved_at,
    -- last ticket_solved - ticket_created, in minutes; null while unsolved
    case
        when is_solved then {{ timestamp_diff_in('created_at', 'last_solved_at', 'millisecond', 60000) }}
    end as resolution_minutes,
    csat_score,
    rated_at,
    rated_date,
    csat_score is not null as is_rated,
    csat_score >= 4 as is_satisfied
from tickets
