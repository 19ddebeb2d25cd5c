-- Paid orders with a coupon per local order date and coupon code, beside the orders without one
-- (kpis.md, "Access paths and coupons"; published mart, grain date x coupon_code). Definitions
-- are in coupon_performance.yml, word for word from kpis.md. Rules we chose (docs/design.md,
-- "Products and coupons"):
--   * a row for every (order date, coupon code) with at least one paid order;
--   * the code is the order's coupon_code with surrounding blanks trimmed, case kept; a blank
--     code is no coupon;
--   * refund_share: orders with at least one completed refund (item or whole-order) / orders,
--     as kpi_daily.refund_rate counts them;
--   * no_coupon_aov is null on a day without a paid order lacking a coupon.

with

paid_orders as (
    select
        order_id,
        order_date,
        nullif(trim(coupon_code), '') as coupon_code,
        total_amount_base,
        discount_amount_base
    from {{ ref('int_orders') }}
    where is_paid
),

refunded_orders as (
    select distinct order_id
    from {{ ref('int_refunds') }}
    where is_completed
),

coupon_days as (
    select
        paid_orders.order_date as date_day,
        paid_orders.coupon_code,
        count(*) as orders,
        sum(paid_orders.total_amount_base) as revenue,
        sum(paid_orders.discount_amount_base) as discount,
        {{ count_where('refunded_orders.order_id is not null') }} as refunded_orders
    from paid_orders
    left join refunded_orders
        on refunded_orders.order_id = paid_orders.order_id
    where paid_orders.coupon_code is not null
    group by paid_orders.order_date, paid_orders.coupon_code
),

no_coupon_days as (
    select
        order_date as date_day,
        count(*) as orders,
        sum(total_amount_base) as revenue
    from paid_orders
    where coupon_code is null
    group by order_date
)

select
    coupon_days.date_day as {{ adapter.quote('date') }},
    cast(coupon_days.coupon_code as {{ dbt.type_string() }}) as coupon_code,
    cast(coupon_days.orders as {{ dbt.type_bigint() }}) as orders,
    cast(coupon_days.revenue as {{ type_money() }}) as revenue,
    cast(coupon_days.discount as {{ type_money() }}) as discount,
    {{ safe_divide('coupon_days.revenue', 'coupon_days.orders') }} as aov,
    {{ safe_divide('coupon_days.refunded_orders', 'coupon_days.orders') }} as refund_share,
    {{ safe_divide('no_coupon_days.revenue', 'no_coupon_days.orders') }} as no_coupon_aov
from coupon_days
left join no_coupon_days
    on no_coupon_days.date_day = coupon_days.date_day
