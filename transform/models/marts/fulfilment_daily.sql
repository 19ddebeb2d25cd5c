-- Fulfilment and delivery per fulfilment day, destination country and carrier (kpis.md
-- "Fulfilment and delivery"; published mart, grain date x ship_country x carrier). Definitions
-- are in fulfilment_daily.yml, word for word from kpis.md. The day's paid orders are followed to
-- shipping and delivery on that day's row: a row changes as its orders ship and arrive.
-- Percentiles are continuous (linear interpolation) over the row's orders that have the hours.

with orders as (

    select * from {{ ref('int_order_fulfilment') }}

),

late_refunds as (

    -- completed refunds with reason late_delivery, counted on their order
    select
        order_id,
        count(*) as late_delivery_refunds
    from {{ ref('int_refunds') }}
    where is_completed and reason = 'late_delivery'
    group by order_id

)

select
    orders.paid_date as {{ adapter.quote('date') }},
    cast(orders.ship_country as {{ dbt.type_string() }}) as ship_country,
    cast(orders.carrier_or_unknown as {{ dbt.type_string() }}) as carrier,
    cast(count(*) as {{ dbt.type_bigint() }}) as paid_orders,
    cast({{ count_where('orders.shipped_at is not null') }} as {{ dbt.type_bigint() }}) as shipped_orders,
    cast({{ count_where('orders.delivered_at is not null') }} as {{ dbt.type_bigint() }}) as delivered_orders,
    cast({{ percentile_cont('orders.handling_hours', 0.5) }} as {{ type_double() }}) as handling_p50_hours,
    cast({{ percentile_cont('orders.handling_hours', 0.9) }} as {{ type_double() }}) as handling_p90_hours,
    cast({{ percentile_cont('orders.transit_hours', 0.5) }} as {{ type_double() }}) as transit_p50_hours,
    cast({{ percentile_cont('orders.transit_hours', 0.9) }} as {{ type_double() }}) as transit_p90_hours,
    {{ safe_divide(count_where('orders.is_on_time'), count_where('orders.is_on_time is not null')) }} as on_time_rate,
    cast(coalesce(sum(late_refunds.late_delivery_refunds), 0) as {{ dbt.type_bigint() }}) as late_delivery_refunds,
    -- on_time_rate's numerator and denominator, so a rate over several rows is Σ / Σ
    cast({{ count_where('orders.is_on_time') }} as {{ dbt.type_bigint() }}) as on_time_deliveries,
    cast({{ count_where('orders.is_on_time is not null') }} as {{ dbt.type_bigint() }}) as promised_deliveries
from orders
left join late_refunds on late_refunds.order_id = orders.order_id
group by orders.paid_date, orders.ship_country, orders.carrier_or_unknown
