-- Spend, traffic, attributed orders and margin per local day, channel and campaign (kpis.md,
-- "Marketing"; published mart, grain date x channel x campaign). Definitions are in
-- campaign_daily.yml, word for word from kpis.md. Rules we chose:
--   * a session's campaign is the utm_campaign of its first event, trimmed, `(none)` when null or
--     empty; a spend row's campaign is its own `campaign`, trimmed the same way; campaign names
--     are compared as they are written (case kept);
--   * a row for every (date, channel, campaign) with a session starting, an attributed paid order
--     or a spend row; a spend campaign no session carries still has its row, with 0 sessions,
--     orders and revenue, a null margin and poas, roas 0;
--   * attribution is last-touch on the order's own session, as in channel_daily
--     (int_order_attribution): a paid order whose session_id is null or matches no session counts
--     as `direct` / `(none)`;
--   * attributed_gross_margin is null where none of the attributed orders' lines has a known cost;
--   * ratios are null where their denominator is 0.

with

-- gross margin of each paid order: its lines with a known cost (null when none has one)
order_margins as (
    select
        order_id,
        sum(case when has_cost then gross_margin_base end) as gross_margin
    from {{ ref('int_order_item_costs') }}
    where order_is_paid
    group by order_id
),

-- paid orders with the channel and campaign they are attributed to (int_order_attribution)
attributed_orders as (
    select
        attribution.order_id,
        attribution.order_date,
        attribution.total_amount_base,
        order_margins.gross_margin,
        attribution.channel,
        attribution.campaign
    from {{ ref('int_order_attribution') }} as attribution
    left join order_margins
        on order_margins.order_id = attribution.order_id
),

session_days as (
    select
        session_date as date_day,
        channel,
        campaign,
        sessions
    from {{ ref('int_session_channel_days') }}
),

order_days as (
    select
        order_date as date_day,
        channel,
        campaign,
        count(*) as attributed_orders,
        sum(total_amount_base) as attributed_revenue,
        sum(gross_margin) as attributed_gross_margin
    from attributed_orders
    group by order_date, channel, campaign
),

new_customer_days as (
    select
        first_orders.first_paid_order_date as date_day,
        attributed_orders.channel,
        attributed_orders.campaign,
        count(*) as new_customers
    from {{ ref('int_customer_first_orders') }} as first_orders
    inner join attributed_orders
        on attributed_orders.order_id = first_orders.first_paid_order_id
    group by first_orders.first_paid_order_date, attributed_orders.channel, attributed_orders.campaign
),

spend_days as (
    select
        spend_date as date_day,
        channel,
        {{ campaign_or_none('campaign') }} as campaign,
        sum(spend_base) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ ref('int_marketing_spend') }}
    group by spend_date, channel, {{ campaign_or_none('campaign') }}
),

keys as (
    select date_day, channel, campaign from session_days
    union
    select date_day, channel, campaign from order_days
    union
    select date_day, channel, campaign from spend_days
),

daily as (
    select
        keys.date_day,
        keys.channel,
        keys.campaign,
        coalesce(spend_days.spend, 0) as spend,
        coalesce(spend_days.impressions, 0) as impressions,
        coalesce(spend_days.clicks, 0) as clicks,
        coalesce(session_days.sessions, 0) as sessions,
        coalesce(order_days.attributed_orders, 0) as attributed_orders,
        coalesce(order_days.attributed_revenue, 0) as attributed_revenue,
        order_days.attributed_gross_margin,
        coalesce(new_customer_days.new_customers, 0) as new_customers
    from keys
    left join spend_days
        on spend_days.date_day = keys.date_day
        and spend_days.channel = keys.channel
        and spend_days.campaign = keys.campaign
    left join session_days
        on session_days.date_day = keys.date_day
        and session_days.channel = keys.channel
        and session_days.campaign = keys.campaign
    left join order_days
        on order_days.date_day = keys.date_day
        and order_days.channel = keys.channel
        and order_days.campaign = keys.campaign
    left join new_customer_days
        on new_customer_days.date_day = keys.date_day
        and new_customer_days.channel = keys.channel
        and new_customer_days.campaign = keys.campaign
)

select
    date_day as {{ adapter.quote('date') }},
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(campaign as {{ dbt.type_string() }}) as campaign,
    cast(spend as {{ type_money() }}) as spend,
    cast(impressions as {{ dbt.type_bigint() }}) as impressions,
    cast(clicks as {{ dbt.type_bigint() }}) as clicks,
    cast(sessions as {{ dbt.type_bigint() }}) as sessions,
    cast(attributed_orders as {{ dbt.type_bigint() }}) as attributed_orders,
    cast(attributed_revenue as {{ type_money() }}) as attributed_revenue,
    cast(attributed_gross_margin as {{ type_money() }}) as attributed_gross_margin,
    {{ safe_divide('attributed_revenue', 'spend') }} as roas,
    {{ safe_divide('attributed_gross_margin', 'spend') }} as poas,
    cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
    {{ safe_divide('spend', 'new_customers') }} as cac
from daily
