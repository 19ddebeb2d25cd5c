-- Stock per local day and product (kpis.md "Inventory"; published mart, grain date x product_id).
-- Definitions are in inventory_daily.yml, word for word from kpis.md. Rules we chose
-- (docs/decisions.md, 2026-12-05):
--   * a row for every (day, product) with at least one warehouse snapshot that day: a day or a
--     product without a snapshot is unknown stock, not zero, and has no row;
--   * units sold = Σ quantity of the items of paid orders (latest status) by order date, as
--     product_daily counts them;
--   * active = `is_active` of the product version in effect at the end of D (the last version
--     written on or before D, local dates; before the first version, the first one); a product
--     the feed has not sent is not known to be active: stockout and low_stock are false;
--   * title and category are the product's latest state (as product_daily); the category's
--     low-stock threshold comes from the seed low_stock_thresholds (row `*`: every other category).

with

stock as (
    select
        snapshot_date as date_day,
        product_id,
        sum(on_hand) as on_hand,
        -- null when every warehouse's inbound is null (sum ignores nulls)
        sum(inbound) as inbound
    from {{ ref('stg_shop__inventory') }}
    group by snapshot_date, product_id
),

daily_units as (
    select
        order_date as date_day,
        product_id,
        sum(quantity) as units
    from {{ ref('int_order_items') }}
    where order_is_paid
    group by order_date, product_id
),

units_28d as (
    -- the 28 days ending D: D - 27 .. D; days before the history count as zero
    select
        stock.date_day,
        stock.product_id,
        coalesce(sum(daily_units.units), 0) as units_28d
    from stock
    left join daily_units
        on daily_units.product_id = stock.product_id
        and daily_units.date_day <= stock.date_day
        and daily_units.date_day > cast({{ dbt.dateadd('day', -28, 'stock.date_day') }} as date)
    group by stock.date_day, stock.product_id
),

versions as (
    select
        product_id,
        is_active,
        -- local day the version starts / stops being in effect at the end of
        case when valid_from is not null then {{ to_local_date('valid_from') }} end as from_day,
        case when valid_to is not null then {{ to_local_date('valid_to') }} end as to_day
    from {{ ref('stg_shop__product_versions') }}
),

active_at_end as (
    -- the version in effect at the end of D: written on or before D, not replaced by D's end
    select
        stock.date_day,
        stock.product_id,
        max(case when versions.is_active then 1 else 0 end) = 1 as is_active
    from stock
    inner join versions
        on versions.product_id = stock.product_id
        and (versions.from_day is null or versions.from_day <= stock.date_day)
        and (versions.to_day is null or versions.to_day > stock.date_day)
    group by stock.date_day, stock.product_id
),

products as (
    select product_id, title, category
    from {{ ref('stg_shop__products') }}
),

thresholds as (
    select category, threshold_days
    from {{ ref('low_stock_thresholds') }}
),

measured as (
    select
        stock.date_day,
        stock.product_id,
        products.title,
        products.category,
        stock.on_hand,
        stock.inbound,
        {{ safe_divide('units_28d.units_28d', 28) }} as units_28d_avg,
        coalesce(active_at_end.is_active, false) as is_active,
        coalesce(category_threshold.threshold_days, default_threshold.threshold_days, 7) as threshold_days
    from stock
    inner join units_28d
        on units_28d.date_day = stock.date_day
        and units_28d.product_id = stock.product_id
    left join active_at_end
        on active_at_end.date_day = stock.date_day
        and active_at_end.product_id = stock.product_id
    left join products on products.product_id = stock.product_id
    left join thresholds as category_threshold on category_threshold.category = products.category
    left join thresholds as default_threshold on default_threshold.category = '*'
)

select
    date_day as {{ adapter.quote('date') }},
    cast(product_id as {{ dbt.type_string() }}) as product_id,
    cast(title as {{ dbt.type_string() }}) as title,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(on_hand as {{ dbt.type_bigint() }}) as on_hand,
    cast(inbound as {{ dbt.type_bigint() }}) as inbound,
    cast(units_28d_avg as {{ type_double() }}) as units_28d_avg,
    {{ safe_divide('on_hand', 'units_28d_avg') }} as days_of_cover,
    (is_active and on_hand = 0) as stockout,
    coalesce(is_active and on_hand / nullif(units_28d_avg, 0) < threshold_days, false) as low_stock,
    is_active,
    cast(threshold_days as {{ type_double() }}) as low_stock_threshold_days
from measured
