-- The headline KPIs per local day (kpis.md, "Published marts"). Definitions are in
-- kpi_daily.yml, word for word from kpis.md; date range and null rules follow docs/design.md:
--   * one row per local date from the earliest to the latest date on which an order was created,
--     a session started or a ticket was created;
--   * the KPIs of a source with no rows at all (shop orders, traffic events, service events)
--     are null; once a source has rows its counts and sums are 0 on days without records;
--   * ratios are null where their denominator is 0.

with

-- which sources have sent anything at all -------------------------------------------------------
order_source as (
    select count(*) > 0 as has_orders from {{ ref('int_orders') }}
),

-- every traffic event belongs to a session, so "no sessions" is "no events"
traffic_source as (
    select count(*) > 0 as has_traffic from {{ ref('int_sessions') }}
),

service_source as (
    select count(*) > 0 as has_service from {{ ref('stg_service__events') }}
),

-- orders and revenue, by order date ---------------------------------------------------------
order_days as (
    select
        order_date as date_day,
        count(*) as placed_orders,
        {{ count_where('is_paid') }} as paid_orders,
        {{ count_where('is_cancelled') }} as cancelled_orders,
        sum(items_subtotal_base) as gmv,
        sum(case when is_paid then total_amount_base end) as gross_revenue,
        sum(case when is_paid then discount_amount_base end) as discount_amount,
        {{ count_where('is_paid and is_cross_border') }} as cross_border_paid_orders,
        count(distinct case when is_paid then customer_id end) as buyers
    from {{ ref('int_orders') }}
    group by order_date
),

unit_days as (
    select
        order_date as date_day,
        sum(quantity) as units_sold
    from {{ ref('int_order_items') }}
    where order_is_paid
    group by order_date
),

-- margin: lines of paid orders, their cost where known (int_order_item_costs) ------------------
margin_days as (
    select
        order_date as date_day,
        sum(case when has_cost then cost_base end) as cogs,
        sum(case when has_cost then gross_margin_base end) as gross_margin,
        sum(case when has_cost then line_revenue_base else 0 end) as costed_line_revenue,
        sum(line_revenue_base) as line_revenue
    from {{ ref('int_order_item_costs') }}
    where order_is_paid
    group by order_date
),

refund_days as (
    select
        order_date as date_day,
        sum(amount_base) as refunded_amount,
        count(distinct case when order_is_paid then order_id end) as refunded_paid_orders
    from {{ ref('int_refunds') }}
    where is_completed
    group by order_date
),

-- customers ---------------------------------------------------------------------------------
new_customer_days as (
    select
        first_paid_order_date as date_day,
        count(*) as new_customers
    from {{ ref('int_customer_first_orders') }}
    group by first_paid_order_date
),

returning_customer_days as (
    select
        orders.order_date as date_day,
        count(distinct orders.customer_id) as returning_customers
    from {{ ref('int_orders') }} as orders
    inner join {{ ref('int_customer_first_orders') }} as first_orders
        on first_orders.customer_id = orders.customer_id
    where orders.is_paid
        and orders.order_date > first_orders.first_paid_order_date
    group by orders.order_date
),

-- traffic -----------------------------------------------------------------------------------
session_days as (
    select
        session_date as date_day,
        count(*) as sessions,
        {{ count_where('is_bounce') }} as bounced_sessions,
        {{ count_where('has_purchase') }} as converted_sessions,
        cast(sum({{ timestamp_diff('session_start_at', 'session_end_at', 'millisecond') }}) as {{ type_double() }}) / 1000 as session_seconds
    from {{ ref('int_sessions') }}
    group by session_date
),

traffic_event_days as (
    select
        event_date as date_day,
        visitors,
        purchasing_visitors,
        page_load_p50_ms,
        page_load_p90_ms
    from {{ ref('int_traffic_days') }}
),

-- customer service --------------------------------------------------------------------------
ticket_days as (
    select
        ticket_date as date_day,
        count(*) as tickets,
        {{ count_where('is_rated') }} as rated_tickets,
        {{ count_where('is_satisfied') }} as satisfied_tickets
    from {{ ref('int_tickets') }}
    group by ticket_date
),

-- provisional days: refunds may still change a day until the refund window has passed ---------
last_complete as (
    select last_complete_day from {{ ref('int_last_complete_day') }}
),

-- the date range ----------------------------------------------------------------------------
activity_days as (
    select date_day from order_days
    union all
    select date_day from session_days
    union all
    select date_day from ticket_days
),

bounds as (
    select
        min(date_day) as start_day,
        max(date_day) as end_day
    from activity_days
),

spine as (
    {{ day_spine('bounds') }}
),

-- one row per day, raw counts and sums ------------------------------------------------------
daily as (
    select
        spine.date_day,
        order_source.has_orders,
        traffic_source.has_traffic,
        service_source.has_service,
        coalesce(order_days.placed_orders, 0) as placed_orders,
        coalesce(order_days.paid_orders, 0) as paid_orders,
        coalesce(order_days.cancelled_orders, 0) as cancelled_orders,
        coalesce(order_days.gmv, 0) as gmv,
        coalesce(order_days.gross_revenue, 0) as gross_revenue,
        coalesce(refund_days.refunded_amount, 0) as refunded_amount,
        coalesce(unit_days.units_sold, 0) as units_sold,
        coalesce(order_days.discount_amount, 0) as discount_amount,
        coalesce(order_days.cross_border_paid_orders, 0) as cross_border_paid_orders,
        coalesce(refund_days.refunded_paid_orders, 0) as refunded_paid_orders,
        coalesce(new_customer_days.new_customers, 0) as new_customers,
        coalesce(returning_customer_days.returning_customers, 0) as returning_customers,
        coalesce(order_days.buyers, 0) as buyers,
        margin_days.cogs,
        margin_days.gross_margin,
        coalesce(margin_days.costed_line_revenue, 0) as costed_line_revenue,
        coalesce(margin_days.line_revenue, 0) as line_revenue,
        coalesce(session_days.sessions, 0) as sessions,
        coalesce(session_days.bounced_sessions, 0) as bounced_sessions,
        coalesce(session_days.converted_sessions, 0) as converted_sessions,
        coalesce(session_days.session_seconds, 0) as session_seconds,
        coalesce(traffic_event_days.visitors, 0) as visitors,
        coalesce(traffic_event_days.purchasing_visitors, 0) as purchasing_visitors,
        traffic_event_days.page_load_p50_ms,
        traffic_event_days.page_load_p90_ms,
        coalesce(ticket_days.tickets, 0) as tickets,
        coalesce(ticket_days.rated_tickets, 0) as rated_tickets,
        coalesce(ticket_days.satisfied_tickets, 0) as satisfied_tickets,
        coalesce(
            spine.date_day <= {{ dbt.dateadd('day', -refund_window_days(), 'last_complete.last_complete_day') }}, false
        ) as is_final
    from spine
    cross join order_source
    cross join traffic_source
    cross join service_source
    cross join last_complete
    left join order_days on order_days.date_day = spine.date_day
    left join unit_days on unit_days.date_day = spine.date_day
    left join margin_days on margin_days.date_day = spine.date_day
    left join refund_days on refund_days.date_day = spine.date_day
    left join new_customer_days on new_customer_days.date_day = spine.date_day
    left join returning_customer_days on returning_customer_days.date_day = spine.date_day
    left join session_days on session_days.date_day = spine.date_day
    left join traffic_event_days on traffic_event_days.date_day = spine.date_day
    left join ticket_days on ticket_days.date_day = spine.date_day
)

select
    date_day as {{ adapter.quote('date') }},

    -- orders and revenue
    case when has_orders then cast(placed_orders as {{ dbt.type_bigint() }}) end as placed_orders,
    case when has_orders then cast(paid_orders as {{ dbt.type_bigint() }}) end as paid_orders,
    case when has_orders then cast(cancelled_orders as {{ dbt.type_bigint() }}) end as cancelled_orders,
    case when has_orders then cast(gmv as {{ type_money() }}) end as gmv,
    case when has_orders then cast(gross_revenue as {{ type_money() }}) end as gross_revenue,
    case when has_orders then cast(refunded_amount as {{ type_money() }}) end as refunded_amount,
    -- from the published (rounded) components, so net = gross - refunded holds to the last digit
    case
        when has_orders then cast(
                cast(gross_revenue as {{ type_money() }}) - cast(refunded_amount as {{ type_money() }})
                as {{ type_money() }}
            )
    end as net_revenue,
    case when has_orders then {{ safe_divide('gross_revenue', 'paid_orders') }} end as aov,
    case when has_orders then cast(units_sold as {{ dbt.type_bigint() }}) end as units_sold,
    case when has_orders then cast(discount_amount as {{ type_money() }}) end as discount_amount,
    case when has_orders then {{ safe_divide('cross_border_paid_orders', 'paid_orders') }} end as cross_border_share,

    -- customers
    case when has_orders then cast(new_customers as {{ dbt.type_bigint() }}) end as new_customers,
    case when has_orders then cast(returning_customers as {{ dbt.type_bigint() }}) end as returning_customers,
    case when has_orders then cast(buyers as {{ dbt.type_bigint() }}) end as buyers,
    case when has_orders then {{ safe_divide('gross_revenue', 'buyers') }} end as revenue_per_buyer,

    -- margin: null without a costed line (kpis.md conventions), ratios null on a 0 denominator
    cast(cogs as {{ type_money() }}) as cogs,
    cast(gross_margin as {{ type_money() }}) as gross_margin,
    {{ safe_divide('gross_margin', 'costed_line_revenue') }} as margin_rate,
    case when has_orders then {{ safe_divide('costed_line_revenue', 'line_revenue') }} end as cost_coverage,

    -- traffic
    case when has_traffic then cast(sessions as {{ dbt.type_bigint() }}) end as sessions,
    case when has_traffic then cast(visitors as {{ dbt.type_bigint() }}) end as visitors,
    case when has_traffic then {{ safe_divide('bounced_sessions', 'sessions') }} end as bounce_rate,
    case when has_traffic then {{ safe_divide('converted_sessions', 'sessions') }} end as conversion_rate,
    case when has_traffic then {{ safe_divide('purchasing_visitors', 'visitors') }} end as visitor_conversion_rate,
    case when has_traffic then {{ safe_divide('session_seconds', 'sessions') }} end as avg_session_seconds,
    cast(page_load_p50_ms as {{ type_double() }}) as page_load_p50_ms,
    cast(page_load_p90_ms as {{ type_double() }}) as page_load_p90_ms,

    -- after-sales
    case when has_orders then {{ safe_divide('refunded_paid_orders', 'paid_orders') }} end as refund_rate,

    -- customer service
    case when has_service then cast(tickets as {{ dbt.type_bigint() }}) end as tickets,
    case when has_service and has_orders then 100 * {{ safe_divide('tickets', 'paid_orders') }} end as tickets_per_100_orders,
    case when has_service then {{ safe_divide('satisfied_tickets', 'rated_tickets') }} end as csat,

    -- provisional numbers
    is_final

from daily
order by date_day
