-- product_daily against kpi_daily, per date:
--   * Σ units_sold = kpi_daily.units_sold (every line of a paid order has one product);
--   * Σ refunded_amount = kpi_daily.refunded_amount, less the completed whole-order refunds of
--     orders whose lines are not loaded (those cannot be spread over products; see
--     int_product_refunds). Money is rounded to 4 decimals per row on both sides, so the
--     tolerance is 0.01 plus 0.0001 per product row of the day.
{{ config(meta={'dagster': {'ref': {'name': 'product_daily'}}}) }}
with product_days as (

    select
        {{ adapter.quote('date') }} as date_day,
        sum(units_sold) as units_sold,
        sum(refunded_amount) as refunded_amount,
        count(*) as product_rows
    from {{ ref('product_daily') }}
    group by {{ adapter.quote('date') }}

),

unspread_refunds as (

    select
        refunds.order_date as date_day,
        sum(refunds.amount_base) as refunded_amount
    from {{ ref('int_refunds') }} as refunds
    where refunds.is_completed
        and refunds.is_whole_order
        and not exists (
            select 1 from {{ ref('int_order_items') }} as items where items.order_id = refunds.order_id
        )
    group by refunds.order_date

),

kpi as (

    select
        {{ adapter.quote('date') }} as date_day,
        coalesce(units_sold, 0) as units_sold,
        coalesce(refunded_amount, 0) as refunded_amount
    from {{ ref('kpi_daily') }}

),

compared as (

    select
        coalesce(product_days.date_day, kpi.date_day) as date_day,
        coalesce(product_days.units_sold, 0) as product_units,
        coalesce(kpi.units_sold, 0) as kpi_units,
        coalesce(product_days.refunded_amount, 0) as product_refunded,
        coalesce(kpi.refunded_amount, 0) - coalesce(unspread_refunds.refunded_amount, 0) as kpi_refunded_spreadable,
        coalesce(product_days.product_rows, 0) as product_rows
    from product_days
    full outer join kpi
        on kpi.date_day = product_days.date_day
    left join unspread_refunds
        on unspread_refunds.date_day = coalesce(product_days.date_day, kpi.date_day)

)

select *
from compared
where product_units <> kpi_units
    or abs(product_refunded - kpi_refunded_spreadable) > 0.01 + 0.0001 * product_rows
