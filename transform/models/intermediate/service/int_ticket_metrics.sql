-- One row per ticket (int_tickets) with what service_daily aggregates: the reporting channel and
-- category ('unknown' when ticket_created has none), the SLA target of its priority (seed
-- sla_targets, editable without SQL) and whether the SLA was breached, plus the reopen and
-- one-touch flags.
--
-- SLA as-of time: the latest event_ts of any service event loaded. A ticket nobody answered is
-- breached once more than its target has passed by then. Taking it from the data (not the clock,
-- not the run's window) makes a rerun over the same loaded data give the same mart, whatever
-- window the run was started for (docs/design.md, "Customer service").
with tickets as (

    select * from {{ ref('int_tickets') }}

),

targets as (

    select priority, target_minutes from {{ ref('sla_targets') }}

),

as_of as (

    select max(event_ts) as sla_as_of_at from {{ ref('stg_service__events') }}

),

judged as (

    select
        tickets.*,
        targets.target_minutes as sla_target_minutes,
        as_of.sla_as_of_at,
        {{ dbt.datediff('tickets.created_at', 'as_of.sla_as_of_at', 'millisecond') }} / 60000.0 as minutes_open_at_as_of
    from tickets
    cross join as_of
    left join targets
        on targets.priority = tickets.priority

)

select
    ticket_id,
    ticket_date,
    coalesce(channel, 'unknown') as channel,
    coalesce(category, 'unknown') as category,
    priority,
    created_at,
    first_response_minutes,
    resolution_minutes,
    is_solved,
    agent_message_count,
    reopen_count >= 1 as is_reopened,
    is_solved and agent_message_count = 1 as is_one_touch,
    csat_score,
    is_rated,
    is_satisfied,
    sla_target_minutes,
    sla_as_of_at,
    -- breached: answered later than the target, or unanswered with more than the target gone by
    -- at the as-of time; a reply exactly at the target is in time. Not judged without a target.
    case
        when sla_target_minutes is null then null
        when first_response_minutes is not null then first_response_minutes > sla_target_minutes
        else minutes_open_at_as_of > sla_target_minutes
    end as sla_breached
from judged
