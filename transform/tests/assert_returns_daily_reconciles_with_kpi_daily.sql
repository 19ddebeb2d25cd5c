-- returns_daily against kpi_daily and product_daily, per date:
--   * Σ refunded_amount = kpi_daily.refunded_amount (every completed refund is in exactly one
--     row, whole-order refunds unspread); money is rounded to 4 decimals per row, so the
--     tolerance is 0.01 plus 0.0001 per returns row of the day;
--   * Σ refunded_units of the product categories (not '(whole order)') = Σ product_daily
--     refunded_units (both count item refunds only, with the same rule for a missing quantity);
--   * Σ units_sold of the product categories <= kpi_daily.units_sold (only categories with a
--     refund that day have a row; a category's units_sold repeats on each of its reason rows, so
--     it is counted once per date and category).
{{ config(meta={'dagster': {'ref': {'name': 'returns_daily'}}}) }}
with returns_days as (

    select
        {{ adapter.quote('date') }} as date_day,
        sum(refunded_amount) as refunded_amount,
        sum(case when category <> '(whole order)' then refunded_units else 0 end) as item_units,
        count(*) as returns_rows
    from {{ ref('returns_daily') }}
    group by {{ adapter.quote('date') }}

),

category_days as (

    select
        date_day,
        sum(units_sold) as units_sold
    from (
        select
            {{ adapter.quote('date') }} as date_day,
            category,
            max(units_sold) as units_sold
        from {{ ref('returns_daily') }}
        where category <> '(whole order)'
        group by {{ adapter.quote('date') }}, category
    ) as categories
    group by date_day

),

product_days as (

    select
        {{ adapter.quote('date') }} as date_day,
        sum(refunded_units) as item_units
    from {{ ref('product_daily') }}
    group by {{ adapter.quote('date') }}

),

compared as (

    select
        kpi.{{ adapter.quote('date') }} as date_day,
        coalesce(returns_days.refunded_amount, 0) as returns_refunded,
        coalesce(kpi.refunded_amount, 0) as kpi_refunded,
        coalesce(returns_days.item_units, 0) as returns_item_units,
        coalesce(product_days.item_units, 0) as product_item_units,
        coalesce(category_days.units_sold, 0) as returns_units_sold,
        coalesce(kpi.units_sold, 0) as kpi_units_sold,
        coalesce(returns_days.returns_rows, 0) as returns_rows
    from {{ ref('kpi_daily') }} as kpi
    left join returns_days
        on returns_days.date_day = kpi.{{ adapter.quote('date') }}
    left join product_days
        on product_days.date_day = kpi.{{ adapter.quote('date') }}
    left join category_days
        on category_days.date_day = kpi.{{ adapter.quote('date') }}

)

select *
from compared
where abs(returns_refunded - kpi_refunded) > 0.01 + 0.0001 * returns_rows
    or returns_item_units <> product_item_units
    or returns_units_sold > kpi_units_sold
