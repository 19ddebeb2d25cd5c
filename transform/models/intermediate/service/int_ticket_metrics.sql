-- One row per ticket (int_tickets) with what service_daily aggregates: the reporting channel and
-- category ('unknown' when ticket_created has none), the SLA target of its priority (seed
-- sla_targets, editable without SQL) and whether the SLA was breached, plus the reopen and
-- one-touch flags, bot containment and whether a pre-sale ticket's customer bought within 7 x 24 h.
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

paid_orders as (

    -- kpis.md: a paid order is one whose latest status is paid, shipped or delivered
    select customer_id, created_at
    from {{ ref('int_orders') }}
    where is_paid
        and customer_id is not null

),

presale_converted as (

    -- pre_sale tickets with a customer whose customer places a paid order with created_at in
    -- (ticket created, ticket created + 7 x 24 h]: an order at exactly 168 hours counts
    select distinct tickets.ticket_id
    from tickets
    inner join paid_orders
        on paid_orders.customer_id = tickets.customer_id
        and paid_orders.created_at > tickets.created_at
        and paid_orders.created_at <= {{ timestamp_add('hour', 168, 'tickets.created_at') }}
    where tickets.category = 'pre_sale'

),

as_of as (

    select max(event_ts) as sla_as_of_at from {{ ref('stg_service__events') }}

),

judged as (

    select
        tickets.*,
        targets.target_minutes as sla_target_minutes,
        as_of.sla_as_of_at,
        {{ timestamp_diff_in('tickets.created_at', 'as_of.sla_as_of_at', 'millisecond', 60000) }} as minutes_open_at_as_of,
        presale_converted.ticket_id is not null as has_presale_order
    from tickets
    cross join as_of
    left join targets
        on targets.priority = tickets.priority
    left join presale_converted
        on presale_converted.ticket_id = tickets.ticket_id

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
    -- contained: solved (latest state) with a bot's answer and no agent's message at all
    is_solved and bot_message_count >= 1 and agent_message_count = 0 as is_bot_contained,
    -- pre-sale conversion counts only pre_sale tickets that name their customer
    coalesce(category = 'pre_sale', false) and customer_id is not null as is_presale_with_customer,
    coalesce(category = 'pre_sale', false) and customer_id is not null and has_presale_order as is_presale_converted,
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
