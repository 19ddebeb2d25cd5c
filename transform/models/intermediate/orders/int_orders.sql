-- One row per order in its latest state, with its order date, the KPI flags and every amount
-- converted to the base currency at the rate of the order date (kpis.md: Conventions).
--
-- Kept by order id: a run rebuilds the orders of int_order_rebuild_ids (the ones the keyed
-- staging tables rebuild, and every order from the earliest fx rate the window brings).
{{ config(**rebuild_keys_config('order_id', 'int_order_rebuild_ids')) }}
-- depends_on: {{ ref('int_order_rebuild_ids') }}
with orders as (

    select * from {{ rows_of_rebuilt_keys(ref('stg_shop__orders'), 'order_id', ref('int_order_rebuild_ids')) }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

)

select
    orders.order_id,
    orders.customer_id,
    -- the keyed hash of customer_id (macros/pii.sql), as the customer marts carry it: the
    -- semantic layer counts buyers on it (its served copy of int_orders has no customer_id)
    {{ hash_pii('orders.customer_id') }} as customer_key,
    orders.created_at,
    orders.created_at_local,
    orders.created_date as order_date,
    orders.updated_at,
    orders.status,
    -- kpis.md: paid = latest status in {paid, shipped, delivered}
    orders.status in ('paid', 'shipped', 'delivered') as is_paid,
    orders.status = 'cancelled' as is_cancelled,
    orders.platform,
    orders.session_id,
    orders.coupon_code,
    orders.currency,
    fx_rates.rate_to_base as fx_rate,
    orders.items_subtotal,
    orders.discount_amount,
    orders.shipping_fee,
    orders.tax_amount,
    orders.total_amount,
    orders.items_subtotal * fx_rates.rate_to_base as items_subtotal_base,
    orders.discount_amount * fx_rates.rate_to_base as discount_amount_base,
    orders.shipping_fee * fx_rates.rate_to_base as shipping_fee_base,
    orders.tax_amount * fx_rates.rate_to_base as tax_amount_base,
    orders.total_amount * fx_rates.rate_to_base as total_amount_base,
    orders.ship_country,
    orders.ship_region,
    orders.ship_country <> {{ sql_literal(home_country()) }} as is_cross_border,
    orders.device_id_hash,
    orders.ip_address_hash,
    orders.carrier,
    orders.promised_delivery_date,
    orders._batch_dt
from orders
left join fx_rates
    on fx_rates.currency = orders.currency
    and orders.created_date >= fx_rates.valid_from
    and (fx_rates.valid_to is null or orders.created_date < fx_rates.valid_to)
