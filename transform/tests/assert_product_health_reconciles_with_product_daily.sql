-- product_health against product_daily over the 30 days (as_of_date − 29 … as_of_date), per
-- product: units_30d = Σ units_sold; revenue_30d = Σ revenue (within 0.01 + 0.0001 per day
-- row, for rounding); return_rate_30d = Σ refunded_units / Σ units_sold (product_daily's
-- refunded_units are the item refunds the return rate counts), both null or within 1e-9.
-- A product with units or item refunds in the window but no product_health row fails too.
{{ config(meta={'dagster': {'ref': {'name': 'product_health'}}}) }}
with as_of as (

    select max(as_of_date) as as_of_date from {{ ref('product_health') }}

),

window_days as (

    select
        daily.product_id,
        sum(daily.units_sold) as units,
        sum(daily.revenue) as revenue,
        sum(daily.refunded_units) as refunded_units,
        count(*) as day_rows
    from {{ ref('product_daily') }} as daily
    cross join as_of
    where daily.{{ adapter.quote('date') }} > cast({{ dbt.dateadd('day', -30, 'as_of.as_of_date') }} as date)
        and daily.{{ adapter.quote('date') }} <= as_of.as_of_date
    group by daily.product_id

),

compared as (

    select
        coalesce(health.product_id, window_days.product_id) as product_id,
        health.units_30d,
        coalesce(window_days.units, 0) as daily_units,
        health.revenue_30d,
        coalesce(window_days.revenue, 0) as daily_revenue,
        health.return_rate_30d,
        {{ safe_divide('window_days.refunded_units', 'window_days.units') }} as daily_return_rate,
        coalesce(window_days.day_rows, 0) as day_rows,
        window_days.units > 0 or window_days.refunded_units > 0 as active_in_window
    from {{ ref('product_health') }} as health
    full outer join window_days
        on window_days.product_id = health.product_id

)

select *
from compared
where (units_30d is null and active_in_window)
    or (units_30d is not null and (
        units_30d <> daily_units
        or abs(revenue_30d - daily_revenue) > 0.01 + 0.0001 * day_rows
        or (return_rate_30d is null) <> (daily_return_rate is null)
        or abs(return_rate_30d - daily_return_rate) > 1e-9
    ))
