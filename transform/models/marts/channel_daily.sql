-- Traffic, attributed orders and marketing spend per local day and session channel (kpis.md,
-- "Marketing", "Traffic and conversion"; published mart, grain date x channel). Definitions are
-- in channel_daily.yml, word for word from kpis.md. Rules we chose:
--   * a row for every (date, channel) with a session starting, a visitor's event, an attributed
--     paid order or a spend row; counts and sums are 0 where that (date, channel) has none;
--   * attribution is last-touch on the order's own session_id (int_order_attribution); a paid order
--     whose session_id is null or matches no session counts as `direct`;
--   * attributed_gross_margin: the gross margin of the attributed orders' lines with a known unit
--     cost (int_order_item_costs); null where none of them has one, so poas is null there too;
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

-- paid orders with the channel they are attributed to (int_order_attribution)
attributed_orders as (
    select
        attribution.order_id,
        attribution.order_date,
        attribution.total_amount_base,
        order_margins.gross_margin,
        attribution.channel
    from {{ ref('int_order_attribution') }} as attribution
    left join order_margins
        on order_margins.order_id = attribution.order_id
),

session_days as (
    select
        session_date as date_day,
        channel,
        sum(sessions) as sessions,
        sum(converted_sessions) as converted_sessions
    from {{ ref('int_session_channel_days') }}
    group by session_date, channel
),

-- visitors: distinct anonymous_id with an event that day, in a session of the channel
visitor_days as (
    select
        event_date as date_day,
        channel,
        visitors
    from {{ ref('int_channel_visitor_days') }}
),

order_days as (
    select
        order_date as date_day,
        channel,
        count(*) as attributed_orders,
        sum(total_amount_base) as attributed_revenue,
        sum(gross_margin) as attributed_gross_margin
    from attributed_orders
    group by order_date, channel
),

new_customer_days as (
    select
        first_orders.first_paid_order_date as date_day,
        attributed_orders.channel,
        count(*) as new_customers
    from {{ ref('int_customer_first_orders') }} as first_orders
    inner join attributed_orders
        on attributed_orders.order_id = first_orders.first_paid_order_id
    group by first_orders.first_paid_order_date, attributed_orders.channel
),

spend_days as (
    select
        spend_date as date_day,
        channel,
        sum(spend_base) as spend,
        sum(impressions) as impressions,
        sum(clicks) as clicks
    from {{ ref('int_marketing_spend') }}
    group by spend_date, channel
),

keys as (
    select date_day, channel from session_days
    union
    select date_day, channel from visitor_days
    union
    select date_day, channel from order_days
    union
    select date_day, channel from spend_days
),

daily as (
    select
        keys.date_day,
        keys.channel,
        coalesce(session_days.sessions, 0) as sessions,
        coalesce(session_days.converted_sessions, 0) as converted_sessions,
        coalesce(visitor_days.visitors, 0) as visitors,
        coalesce(order_days.attributed_orders, 0) as attributed_orders,
        coalesce(order_days.attributed_revenue, 0) as attributed_revenue,
        order_days.attributed_gross_margin,
        coalesce(spend_days.spend, 0) as spend,
        coalesce(new_customer_days.new_customers, 0) as new_customers,
        coalesce(spend_days.impressions, 0) as impressions,
        coalesce(spend_days.clicks, 0) as clicks
    from keys
    left join session_days
        on session_days.date_day = keys.date_day and session_days.channel = keys.channel
    left join visitor_days
        on visitor_days.date_day = keys.date_day and visitor_days.channel = keys.channel
    left join order_days
        on order_days.date_day = keys.date_day and order_days.channel = keys.channel
    left join new_customer_days
        on new_customer_days.date_day = keys.date_day and new_customer_days.channel = keys.channel
    left join spend_days
        on spend_days.date_day = keys.date_day and spend_days.channel = keys.channel
)

select
    date_day as {{ adapter.quote('date') }},
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(sessions as {{ dbt.type_bigint() }}) as sessions,
    cast(visitors as {{ dbt.type_bigint() }}) as visitors,
    cast(attributed_orders as {{ dbt.type_bigint() }}) as attributed_orders,
    cast(attributed_revenue as {{ type_money() }}) as attributed_revenue,
    cast(attributed_gross_margin as {{ type_money() }}) as attributed_gross_margin,
    {{ safe_divide('converted_sessions', 'sessions') }} as conversion_rate,
    cast(spend as {{ type_money() }}) as spend,
    {{ safe_divide('attributed_revenue', 'spend') }} as roas,
    {{ safe_divide('attributed_gross_margin', 'spend') }} as poas,
    cast(new_customers as {{ dbt.type_bigint() }}) as new_customers,
    {{ safe_divide('spend', 'new_customers') }} as cac,
    cast(impressions as {{ dbt.type_bigint() }}) as impressions,
    cast(clicks as {{ dbt.type_bigint() }}) as clicks,
    {{ safe_divide('clicks', 'impressions') }} as ctr,
    {{ safe_divide('spend', 'clicks') }} as cpc
from daily
