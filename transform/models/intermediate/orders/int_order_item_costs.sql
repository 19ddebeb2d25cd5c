-- One row per order line with its unit cost (kpis.md "unit cost of a line"): the unit_cost of the
-- product version in effect at the order's created_at (the latest version with updated_at <=
-- created_at; if none, the earliest version), in that version's currency, converted at the order
-- date; null when that version has no unit_cost, or when the feed never sent the product.
--
-- A table rebuilt from all lines every run, not incremental like int_order_items: a product
-- version arriving late (or a product first sent after its first orders) changes the cost of
-- lines of order dates no batch of orders touches (docs/decisions.md).
with lines as (

    select
        items.order_id,
        items.line_number,
        items.product_id,
        items.quantity,
        items.line_revenue_base,
        items.order_date,
        items.order_is_paid,
        items.session_id,
        orders.created_at
    from {{ ref('int_order_items') }} as items
    inner join {{ ref('int_orders') }} as orders
        on orders.order_id = items.order_id

),

versions as (

    select * from {{ ref('stg_shop__product_versions') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

),

costed as (

    select
        lines.*,
        versions.updated_at as product_version_at,
        versions.unit_cost,
        versions.currency as cost_currency,
        fx_rates.rate_to_base as cost_fx_rate
    from lines
    left join versions
        on versions.product_id = lines.product_id
        and (versions.valid_from is null or versions.valid_from <= lines.created_at)
        and (versions.valid_to is null or lines.created_at < versions.valid_to)
    left join fx_rates
        on fx_rates.currency = versions.currency
        and lines.order_date >= fx_rates.valid_from
        and (fx_rates.valid_to is null or lines.order_date < fx_rates.valid_to)

)

select
    order_id,
    line_number,
    product_id,
    order_date,
    order_is_paid,
    session_id,
    quantity,
    line_revenue_base,
    product_version_at,
    cost_currency,
    unit_cost,
    cost_fx_rate,
    unit_cost * cost_fx_rate as unit_cost_base,
    unit_cost is not null as has_cost,
    -- the line's cost as money before the rate: the product then keeps every decimal on engines
    -- that cap decimals at 38 digits by dropping scale (Spark)
    cast(quantity * unit_cost as {{ type_money() }}) * cost_fx_rate as cost_base,
    line_revenue_base - cast(quantity * unit_cost as {{ type_money() }}) * cost_fx_rate as gross_margin_base
from costed
