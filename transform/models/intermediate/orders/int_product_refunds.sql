-- Completed refunds attributed to products, one row per (refund_id, product_id), dated by the
-- order date of the refunded order and in the base currency at that date's rate (kpis.md:
-- "refunded_amount ... attributed to the order date of their order"; docs/design.md "Refunds").
--
-- Item refunds and whole-order refunds are told apart here, once, for every product mart:
--   * an item refund (product_id set) belongs to its product. Its units are its quantity; an
--     item refund without a quantity refunds every unit of that product on the order.
--   * a whole-order refund (product_id null) names no product and no quantity. Its amount
--     (shipping and tax included, as refunded) is spread over the products of the order in
--     proportion to their line revenue (quantity x unit_price - item discount), or to their
--     units when the order's line revenue is 0. It adds no refunded units: kpis.md's return
--     rate counts "completed item refunds" only. A whole-order refund of an order whose lines
--     are not loaded cannot be spread and is left out (the reconciliation test allows for it).
-- Refunds count whatever the status of their order, as kpi_daily.refunded_amount does.
with completed_refunds as (

    select * from {{ ref('int_refunds') }}
    where is_completed

),

-- the products of each order, lines of one product added up
order_products as (

    select
        order_id,
        product_id,
        sum(quantity) as units,
        sum(line_revenue) as line_revenue
    from {{ ref('int_order_items') }}
    group by order_id, product_id

),

order_totals as (

    select
        order_id,
        sum(units) as units,
        sum(line_revenue) as line_revenue
    from order_products
    group by order_id

),

item_refunds as (

    select
        refunds.refund_id,
        refunds.order_id,
        refunds.order_date,
        refunds.order_is_paid,
        refunds.product_id,
        false as is_whole_order,
        coalesce(refunds.quantity, order_products.units, 0) as refunded_units,
        refunds.amount_base as refunded_amount_base
    from completed_refunds as refunds
    left join order_products
        on order_products.order_id = refunds.order_id
        and order_products.product_id = refunds.product_id
    where not refunds.is_whole_order

),

whole_order_refunds as (

    select
        refunds.refund_id,
        refunds.order_id,
        refunds.order_date,
        refunds.order_is_paid,
        order_products.product_id,
        true as is_whole_order,
        0 as refunded_units,
        refunds.amount_base * case
            when order_totals.line_revenue > 0
                then cast(order_products.line_revenue as {{ type_double() }}) / order_totals.line_revenue
            else cast(order_products.units as {{ type_double() }}) / order_totals.units
        end as refunded_amount_base
    from completed_refunds as refunds
    inner join order_products
        on order_products.order_id = refunds.order_id
    inner join order_totals
        on order_totals.order_id = refunds.order_id
    where refunds.is_whole_order

)

select
    refund_id,
    order_id,
    order_date,
    order_is_paid,
    product_id,
    is_whole_order,
    cast(refunded_units as {{ dbt.type_bigint() }}) as refunded_units,
    refunded_amount_base
from item_refunds

union all

select
    refund_id,
    order_id,
    order_date,
    order_is_paid,
    product_id,
    is_whole_order,
    cast(refunded_units as {{ dbt.type_bigint() }}) as refunded_units,
    refunded_amount_base
from whole_order_refunds
