-- One row per order line, with its order's date, status and currency, and money in the base
-- currency at the order's rate. Lines whose order is not (yet) known are left out; the
-- relationships test on stg_shop__order_items reports them.
--
-- Incremental, keyed on order_date: a run rebuilds the order dates in int_order_rebuild_days
-- (orders or lines the batch window changes, fx corrections) from all lines of those orders.
{{ config(
    materialized='incremental',
    on_schema_change='append_new_columns',
    pre_hook="{{ delete_rebuild_days('order_date', 'select order_date from ' ~ ref('int_order_rebuild_days')) }}",
    **rebuild_days_strategy('order_date')
) }}
-- depends_on: {{ ref('int_order_rebuild_days') }}
with items as (

    select * from {{ ref('stg_shop__order_items') }}

),

orders as (

    select * from {{ ref('int_orders') }}

)

select
    items.order_id,
    items.line_number,
    items.product_id,
    items.quantity,
    items.unit_price,
    items.discount_amount,
    -- kpis.md: product revenue = quantity x unit_price - item discount
    items.quantity * items.unit_price - items.discount_amount as line_revenue,
    orders.currency,
    orders.fx_rate,
    items.unit_price * orders.fx_rate as unit_price_base,
    items.discount_amount * orders.fx_rate as discount_amount_base,
    -- the line as money before the rate: the product then keeps every decimal on engines that cap
    -- decimals at 38 digits by dropping scale (Spark)
    cast(items.quantity * items.unit_price - items.discount_amount as {{ type_money() }}) * orders.fx_rate
        as line_revenue_base,
    orders.order_date,
    orders.status as order_status,
    orders.is_paid as order_is_paid,
    orders.customer_id,
    orders.session_id,
    -- batches of the line's and of the order's latest versions: a re-ingest of either batch
    -- rebuilds the line (int_order_rebuild_days)
    items._batch_dt,
    orders._batch_dt as _order_batch_dt
from items
inner join orders
    on orders.order_id = items.order_id
{% if is_incremental() %}
where orders.order_date in (select order_date from {{ ref('int_order_rebuild_days') }})
{% endif %}
