-- Σ product_daily.revenue per date must equal the order-item revenue of paid orders of that
-- order date (quantity × unit_price − item discount, base currency), computed here from staging
-- by a route that shares nothing with int_order_items / int_fx_rates: paid = latest status in
-- {paid, shipped, delivered} on stg_shop__orders, the rate by "greatest rate date on or before
-- the order date" (base currency at 1). Tolerance: 0.01 plus 0.0001 per product row of the day
-- (each mart row is rounded to 4 decimals).
{{ config(meta={'dagster': {'ref': {'name': 'product_daily'}}}) }}
-- all of history at once: a run's full pass only (transform/data_tests.py)
{{ config(tags=['full_pass_only']) }}
with paid_orders as (

    select order_id, created_date as order_date, currency
    from {{ ref('stg_shop__orders') }}
    where status in ('paid', 'shipped', 'delivered')

),

rate_dates as (

    select
        paid_orders.order_id,
        max(rates.rate_date) as rate_date
    from paid_orders
    inner join {{ ref('stg_finance__fx_rates') }} as rates
        on rates.currency = paid_orders.currency
        and rates.rate_date <= paid_orders.order_date
    group by paid_orders.order_id

),

order_rates as (

    select
        paid_orders.order_id,
        paid_orders.order_date,
        case
            when paid_orders.currency = {{ sql_literal(base_currency()) }} then 1
            else rates.rate_to_base
        end as rate_to_base
    from paid_orders
    left join rate_dates
        on rate_dates.order_id = paid_orders.order_id
    left join {{ ref('stg_finance__fx_rates') }} as rates
        on rates.currency = paid_orders.currency
        and rates.rate_date = rate_dates.rate_date

),

from_items as (

    select
        order_rates.order_date as date_day,
        sum((items.quantity * items.unit_price - items.discount_amount) * order_rates.rate_to_base) as revenue
    from {{ ref('stg_shop__order_items') }} as items
    inner join order_rates
        on order_rates.order_id = items.order_id
    group by order_rates.order_date

),

from_mart as (

    select
        {{ adapter.quote('date') }} as date_day,
        sum(revenue) as revenue,
        count(*) as product_rows
    from {{ ref('product_daily') }}
    group by {{ adapter.quote('date') }}

)

select
    coalesce(from_items.date_day, from_mart.date_day) as date_day,
    from_items.revenue as item_revenue,
    from_mart.revenue as mart_revenue
from from_items
full outer join from_mart
    on from_mart.date_day = from_items.date_day
where abs(coalesce(from_items.revenue, 0) - coalesce(from_mart.revenue, 0))
    > 0.01 + 0.0001 * coalesce(from_mart.product_rows, 0)
