-- Completed refunds per local order date, product category and reason, beside the units sold of
-- that category and date (kpis.md, "Products and after-sales", returns by reason; published mart,
-- grain date x category x reason). Definitions are in returns_daily.yml, word for word from
-- kpis.md. Rules we chose (docs/design.md, "Products and coupons"):
--   * a row for every (order date, category, reason) with at least one completed refund;
--   * an item refund (product_id set) belongs to its product's category (latest state of the
--     products feed; 'unknown' for a product the feed has not sent); its units are its quantity,
--     or every unit of the product on the order when it has none (as int_product_refunds);
--   * a refund without product_id is category '(whole order)'; its units are the Σ quantity of
--     the order's items (0 when the order's lines are not loaded); its amount is not spread;
--   * refunds count whatever the status of their order, as kpi_daily.refunded_amount does;
--   * units_sold: units of paid orders' items of the category's products that order date (0 when
--     none), null for '(whole order)'; return_rate is null where units_sold is 0 or null.

with

completed_refunds as (
    select * from {{ ref('int_refunds') }}
    where is_completed
),

products as (
    select
        product_id,
        category
    from {{ ref('stg_shop__products') }}
),

-- the units of each product on each order, lines of one product added up
order_products as (
    select
        order_id,
        product_id,
        sum(quantity) as units
    from {{ ref('int_order_items') }}
    group by order_id, product_id
),

order_units as (
    select
        order_id,
        sum(units) as units
    from order_products
    group by order_id
),

refund_rows as (
    select
        refunds.order_date as date_day,
        case
            when refunds.is_whole_order then '(whole order)'
            else coalesce(products.category, 'unknown')
        end as category,
        refunds.reason,
        case
            when refunds.is_whole_order then coalesce(order_units.units, 0)
            else coalesce(refunds.quantity, order_products.units, 0)
        end as refunded_units,
        refunds.amount_base
    from completed_refunds as refunds
    left join products
        on products.product_id = refunds.product_id
    left join order_products
        on order_products.order_id = refunds.order_id
        and order_products.product_id = refunds.product_id
    left join order_units
        on order_units.order_id = refunds.order_id
),

refund_days as (
    select
        date_day,
        category,
        reason,
        count(*) as refunds,
        sum(refunded_units) as refunded_units,
        sum(amount_base) as refunded_amount
    from refund_rows
    group by date_day, category, reason
),

sales as (
    select
        items.order_date as date_day,
        coalesce(products.category, 'unknown') as category,
        sum(items.quantity) as units_sold
    from {{ ref('int_order_items') }} as items
    left join products
        on products.product_id = items.product_id
    where items.order_is_paid
    group by items.order_date, coalesce(products.category, 'unknown')
),

daily as (
    select
        refund_days.*,
        case
            when refund_days.category <> '(whole order)' then coalesce(sales.units_sold, 0)
        end as units_sold
    from refund_days
    left join sales
        on sales.date_day = refund_days.date_day
        and sales.category = refund_days.category
)

select
    date_day as {{ adapter.quote('date') }},
    cast(category as {{ dbt.type_string() }}) as category,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(refunds as {{ dbt.type_bigint() }}) as refunds,
    cast(refunded_units as {{ dbt.type_bigint() }}) as refunded_units,
    cast(refunded_amount as {{ type_money() }}) as refunded_amount,
    cast(units_sold as {{ dbt.type_bigint() }}) as units_sold,
    {{ safe_divide('refunded_units', 'units_sold') }} as return_rate
from daily
