-- Sales, views and refunds per local day and product (kpis.md, "Products and after-sales";
-- published mart, grain date x product_id). Definitions are in product_daily.yml, word for word
-- from kpis.md. Rules we chose (docs/design.md, "Products and coupons"):
--   * a row for every (date, product) with units sold, a product view or a completed refund;
--     counts and sums are 0 where that (date, product) has none, ratios null on a 0 denominator;
--   * sales and refunds count on the order date (money at the order date's rate), views on the
--     local date of the view event;
--   * refunded_units come from item refunds only; refunded_amount also holds the product's share
--     of whole-order refunds (int_product_refunds);
--   * title and category are the product's latest state; null for a product the products feed
--     has not sent;
--   * cogs and gross_margin: the lines of paid orders with a known unit cost
--     (int_order_item_costs); null where the (date, product) has no such line.

with

sales as (
    select
        order_date as date_day,
        product_id,
        sum(quantity) as units_sold,
        sum(line_revenue_base) as revenue
    from {{ ref('int_order_items') }}
    where order_is_paid
    group by order_date, product_id
),

margins as (
    select
        order_date as date_day,
        product_id,
        sum(case when has_cost then cost_base end) as cogs,
        sum(case when has_cost then gross_margin_base end) as gross_margin
    from {{ ref('int_order_item_costs') }}
    where order_is_paid
    group by order_date, product_id
),

views as (
    select
        view_date as date_day,
        product_id,
        sum(product_views) as product_views,
        count(*) as viewing_sessions,
        {{ count_where('purchased_in_session') }} as purchasing_sessions
    from {{ ref('int_product_view_sessions') }}
    group by view_date, product_id
),

refunds as (
    select
        order_date as date_day,
        product_id,
        sum(refunded_units) as refunded_units,
        sum(refunded_amount_base) as refunded_amount
    from {{ ref('int_product_refunds') }}
    group by order_date, product_id
),

keys as (
    select date_day, product_id from sales
    union
    select date_day, product_id from views
    union
    select date_day, product_id from refunds
),

daily as (
    select
        keys.date_day,
        keys.product_id,
        products.title,
        products.category,
        coalesce(sales.units_sold, 0) as units_sold,
        coalesce(sales.revenue, 0) as revenue,
        margins.cogs,
        margins.gross_margin,
        coalesce(views.product_views, 0) as product_views,
        coalesce(views.viewing_sessions, 0) as viewing_sessions,
        coalesce(views.purchasing_sessions, 0) as purchasing_sessions,
        coalesce(refunds.refunded_units, 0) as refunded_units,
        coalesce(refunds.refunded_amount, 0) as refunded_amount
    from keys
    left join {{ ref('stg_shop__products') }} as products
        on products.product_id = keys.product_id
    left join sales
        on sales.date_day = keys.date_day and sales.product_id = keys.product_id
    left join margins
        on margins.date_day = keys.date_day and margins.product_id = keys.product_id
    left join views
        on views.date_day = keys.date_day and views.product_id = keys.product_id
    left join refunds
        on refunds.date_day = keys.date_day and refunds.product_id = keys.product_id
)

select
    date_day as {{ adapter.quote('date') }},
    cast(product_id as {{ dbt.type_string() }}) as product_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(units_sold as {{ dbt.type_bigint() }}) as units_sold,
    cast(revenue as {{ type_money() }}) as revenue,
    cast(cogs as {{ type_money() }}) as cogs,
    cast(gross_margin as {{ type_money() }}) as gross_margin,
    cast(product_views as {{ dbt.type_bigint() }}) as product_views,
    {{ safe_divide('purchasing_sessions', 'viewing_sessions') }} as view_to_purchase_rate,
    cast(refunded_units as {{ dbt.type_bigint() }}) as refunded_units,
    cast(refunded_amount as {{ type_money() }}) as refunded_amount
from daily
