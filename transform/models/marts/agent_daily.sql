-- Customer-service agents per local day (kpis.md, "Customer service", agent metrics; published
-- mart, grain date and agent_id). Definitions are in agent_daily.yml, word for word from kpis.md.
-- Three kinds of activity put an agent on a day, each dated by its own local day: the agent's
-- agent_messages (tickets_touched, messages), the first replies that were the agent's
-- (first_responses and their median time), and the ratings given that day to tickets whose
-- first reply was the agent's (csat). Only tickets that exist count (their ticket_created has
-- arrived, as in service_daily); an agent_message without agent_id counts for agent 'unknown'.
with events as (

    select * from {{ ref('stg_service__events') }}

),

tickets as (

    select * from {{ ref('int_tickets') }}

),

agent_messages as (

    select
        events.event_date as activity_date,
        coalesce(events.agent_id, 'unknown') as agent_id,
        events.ticket_id
    from events
    inner join tickets
        on tickets.ticket_id = events.ticket_id
    where events.event_type = 'agent_message'

),

messages_daily as (

    select
        activity_date,
        agent_id,
        count(distinct ticket_id) as tickets_touched,
        count(*) as messages
    from agent_messages
    group by activity_date, agent_id

),

first_replies as (

    -- the ticket's first agent reply, with its agent and local day, and the ticket's response time
    select
        ticket_id,
        first_agent_message_date as activity_date,
        coalesce(first_agent_id, 'unknown') as agent_id,
        first_response_minutes,
        rated_date,
        is_rated,
        is_satisfied
    from tickets
    where first_agent_message_at is not null

),

first_responses_daily as (

    select
        activity_date,
        agent_id,
        count(*) as first_responses,
        {{ percentile_cont('first_response_minutes', 0.5) }} as first_response_p50_minutes
    from first_replies
    group by activity_date, agent_id

),

ratings_daily as (

    -- ratings are dated by the day of the latest csat_rated, not by the reply's day
    select
        rated_date as activity_date,
        agent_id,
        count(*) as rated_tickets,
        {{ count_where('is_satisfied') }} as satisfied_tickets
    from first_replies
    where is_rated
    group by rated_date, agent_id

),

agent_days as (

    select activity_date, agent_id from messages_daily
    union
    select activity_date, agent_id from first_responses_daily
    union
    select activity_date, agent_id from ratings_daily

)

select
    agent_days.activity_date as {{ adapter.quote('date') }},
    cast(agent_days.agent_id as {{ dbt.type_string() }}) as agent_id,
    cast(coalesce(messages_daily.tickets_touched, 0) as {{ dbt.type_bigint() }}) as tickets_touched,
    cast(coalesce(messages_daily.messages, 0) as {{ dbt.type_bigint() }}) as messages,
    cast(coalesce(first_responses_daily.first_responses, 0) as {{ dbt.type_bigint() }}) as first_responses,
    cast(first_responses_daily.first_response_p50_minutes as {{ type_double() }}) as first_response_p50_minutes,
    {{ safe_divide('ratings_daily.satisfied_tickets', 'ratings_daily.rated_tickets') }} as csat,
    -- csat's denominator and numerator, so a CSAT over several days is a ratio of sums
    cast(coalesce(ratings_daily.rated_tickets, 0) as {{ dbt.type_bigint() }}) as rated_tickets,
    cast(coalesce(ratings_daily.satisfied_tickets, 0) as {{ dbt.type_bigint() }}) as satisfied_tickets
from agent_days
left join messages_daily
    on messages_daily.activity_date = agent_days.activity_date
    and messages_daily.agent_id = agent_days.agent_id
left join first_responses_daily
    on first_responses_daily.activity_date = agent_days.activity_date
    and first_responses_daily.agent_id = agent_days.agent_id
left join ratings_daily
    on ratings_daily.activity_date = agent_days.activity_date
    and ratings_daily.agent_id = agent_days.agent_id
