-- customer_rfm against kpi_daily over the RFM window (as_of_date − 365 days, as_of_date]:
-- Σ frequency = Σ paid_orders and Σ monetary = Σ gross_revenue (each side rounded to 4 decimals
-- per row, so up to 0.0001 per row of rounding is tolerated); and one row per customer with a
-- paid order in the window (int_orders). Returns a row per check that fails.
{{ config(meta={'dagster': {'ref': {'name': 'customer_rfm'}}}) }}
with rfm as (

    select
        max(as_of_date) as as_of_date,
        count(*) as customers,
        coalesce(sum(frequency), 0) as paid_orders,
        coalesce(sum(monetary), 0) as revenue
    from {{ ref('customer_rfm') }}

),

as_of as (

    select last_complete_day as as_of_date
    from {{ ref('int_last_complete_day') }}

),

kpi as (

    select
        coalesce(sum(kpi_daily.paid_orders), 0) as paid_orders,
        coalesce(sum(kpi_daily.gross_revenue), 0) as revenue,
        count(*) as days
    from {{ ref('kpi_daily') }} as kpi_daily
    cross join as_of
    where kpi_daily.{{ adapter.quote('date') }} > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
        and kpi_daily.{{ adapter.quote('date') }} <= as_of.as_of_date

),

window_customers as (

    select count(distinct orders.customer_id) as customers
    from {{ ref('int_orders') }} as orders
    cross join as_of
    where orders.is_paid
        and orders.order_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
        and orders.order_date <= as_of.as_of_date

)

select 'paid_orders' as check_name, cast(rfm.paid_orders as {{ type_double() }}) as rfm_value,
    cast(kpi.paid_orders as {{ type_double() }}) as other_value
from rfm cross join kpi
where rfm.paid_orders <> kpi.paid_orders

union all

select 'gross_revenue', cast(rfm.revenue as {{ type_double() }}), cast(kpi.revenue as {{ type_double() }})
from rfm cross join kpi
where abs(rfm.revenue - kpi.revenue) > 0.0001 * (rfm.customers + kpi.days) + 0.00001

union all

select 'customers', cast(rfm.customers as {{ type_double() }}), cast(window_customers.customers as {{ type_double() }})
from rfm cross join window_customers
where rfm.customers <> window_customers.customers

union all

select 'as_of_date', null, null
from rfm cross join as_of
where rfm.customers > 0 and rfm.as_of_date <> as_of.as_of_date
