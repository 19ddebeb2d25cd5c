-- One row per product: its last 30 days as of the shop's latest order date (kpis.md, "Products
-- and after-sales"; published mart, grain product_id). Definitions are in product_health.yml,
-- word for word from kpis.md. Rules we chose (docs/design.md, "Products and coupons"):
--   * D = as_of_date = the latest order date of any order loaded (any status): the last local
--     day the shop has order data for. It depends on the data only, so re-running any window
--     gives the same mart as a clean build. No orders at all: no D, no rows;
--   * the 30 days are (D - 30 days, D] = order dates D-29 .. D;
--   * "launched more than 30 days before D" compares local dates: D - launch date > 30 days,
--     so a product launched on D-30 is not yet a slow mover, one launched on D-31 may be;
--   * "active" is the product's latest state (the feed has no history of is_active);
--   * title is the product's latest state; gross_margin_30d sums the lines of paid orders in the
--     30 days with a known unit cost (int_order_item_costs), null when none has one;
--   * every product of the products feed has a row, plus any product sold or item-refunded in
--     the 30 days that the feed has not sent (category null, never a slow mover);
--   * on_hand, days_of_cover, stockout, low_stock are inventory_daily's row of D (kpis.md
--     "Inventory"); null when the product has no snapshot on D (never in inventory, no
--     inventory at all, or D's snapshot not sent).

with

as_of as (
    select
        max(order_date) as as_of_date,
        cast({{ dbt.dateadd('day', -29, 'max(order_date)') }} as date) as window_start
    from {{ ref('int_orders') }}
),

sales_30d as (
    select
        items.product_id,
        sum(items.quantity) as units_30d,
        sum(items.line_revenue_base) as revenue_30d
    from {{ ref('int_order_items') }} as items
    cross join as_of
    where items.order_is_paid
        and items.order_date between as_of.window_start and as_of.as_of_date
    group by items.product_id
),

margin_30d as (
    select
        item_costs.product_id,
        sum(case when item_costs.has_cost then item_costs.gross_margin_base end) as gross_margin_30d
    from {{ ref('int_order_item_costs') }} as item_costs
    cross join as_of
    where item_costs.order_is_paid
        and item_costs.order_date between as_of.window_start and as_of.as_of_date
    group by item_costs.product_id
),

-- kpis.md return rate: "completed item refunds" (whole-order refunds carry no units)
item_refunds_30d as (
    select
        refunds.product_id,
        sum(refunds.refunded_units) as refunded_units_30d
    from {{ ref('int_product_refunds') }} as refunds
    cross join as_of
    where not refunds.is_whole_order
        and refunds.order_date between as_of.window_start and as_of.as_of_date
    group by refunds.product_id
),

stock as (
    select
        inventory_daily.product_id,
        inventory_daily.on_hand,
        inventory_daily.days_of_cover,
        inventory_daily.stockout,
        inventory_daily.low_stock
    from {{ ref('inventory_daily') }} as inventory_daily
    inner join as_of on inventory_daily.{{ adapter.quote('date') }} = as_of.as_of_date
),

products as (
    select product_id, title, category, launched_date, is_active
    from {{ ref('stg_shop__products') }}
),

keys as (
    select product_id from products
    union
    select product_id from sales_30d
    union
    select product_id from item_refunds_30d
),

health as (
    select
        keys.product_id,
        as_of.as_of_date,
        products.title,
        products.category,
        products.launched_date,
        coalesce(products.is_active, false) as is_active,
        coalesce(sales_30d.units_30d, 0) as units_30d,
        coalesce(sales_30d.revenue_30d, 0) as revenue_30d,
        margin_30d.gross_margin_30d,
        coalesce(item_refunds_30d.refunded_units_30d, 0) as refunded_units_30d,
        stock.on_hand,
        stock.days_of_cover,
        stock.stockout,
        stock.low_stock
    from keys
    cross join as_of
    left join products on products.product_id = keys.product_id
    left join sales_30d on sales_30d.product_id = keys.product_id
    left join margin_30d on margin_30d.product_id = keys.product_id
    left join item_refunds_30d on item_refunds_30d.product_id = keys.product_id
    left join stock on stock.product_id = keys.product_id
    where as_of.as_of_date is not null
)

select
    cast(product_id as {{ dbt.type_string() }}) as product_id,
    as_of_date,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(units_30d as {{ dbt.type_bigint() }}) as units_30d,
    cast(revenue_30d as {{ type_money() }}) as revenue_30d,
    cast(gross_margin_30d as {{ type_money() }}) as gross_margin_30d,
    {{ safe_divide('refunded_units_30d', 'units_30d') }} as return_rate_30d,
    -- kpis.md: active product, launched more than 30 days before D, zero units sold in (D - 30 days, D]
    (
        is_active
        and launched_date is not null
        and {{ dbt.datediff('launched_date', 'as_of_date', 'day') }} > 30
        and units_30d = 0
    ) as slow_mover,
    cast(on_hand as {{ dbt.type_bigint() }}) as on_hand,
    cast(days_of_cover as {{ type_double() }}) as days_of_cover,
    stockout,
    low_stock,
    launched_date,
    is_active
from health
