-- One row per refund in its latest state, attributed to the order date of its order and
-- converted with the refund's own currency at that date's rate (docs/design.md, "Refunds").
-- Refunds whose order is not (yet) known are left out; the relationships test on
-- stg_shop__refunds reports them.
with refunds as (

    select * from {{ ref('stg_shop__refunds') }}

),

orders as (

    select * from {{ ref('int_orders') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

)

select
    refunds.refund_id,
    refunds.order_id,
    refunds.product_id,
    refunds.product_id is null as is_whole_order,
    refunds.quantity,
    refunds.reason,
    refunds.status,
    refunds.status = 'completed' as is_completed,
    refunds.requested_at,
    refunds.requested_date,
    refunds.updated_at,
    refunds.currency,
    refunds.amount,
    fx_rates.rate_to_base as fx_rate,
    refunds.amount * fx_rates.rate_to_base as amount_base,
    orders.order_date,
    orders.is_paid as order_is_paid,
    orders.customer_id
from refunds
inner join orders
    on orders.order_id = refunds.order_id
left join fx_rates
    on fx_rates.currency = refunds.currency
    and orders.order_date >= fx_rates.valid_from
    and (fx_rates.valid_to is null or orders.order_date < fx_rates.valid_to)
