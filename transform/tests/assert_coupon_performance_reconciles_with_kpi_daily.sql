-- coupon_performance against kpi_daily, per date with coupon orders:
--   * Σ orders (coupon orders) <= paid_orders;
--   * gross_revenue = Σ revenue of the coupon rows + no_coupon_aov × (paid_orders − Σ orders):
--     every paid order either has a coupon (one row) or is in the comparison aov;
--   * no_coupon_aov is one value per day, null exactly when every paid order had a coupon;
--   * Σ discount <= kpi_daily.discount_amount.
-- Money is rounded per row, so 0.01 plus 0.0001 per coupon row is tolerated.
{{ config(meta={'dagster': {'ref': {'name': 'coupon_performance'}}}) }}
with coupon_days as (

    select
        {{ adapter.quote('date') }} as date_day,
        sum(orders) as coupon_orders,
        sum(revenue) as coupon_revenue,
        sum(discount) as coupon_discount,
        min(no_coupon_aov) as no_coupon_aov,
        max(no_coupon_aov) as no_coupon_aov_max,
        count(*) as coupon_rows,
        {{ count_where('no_coupon_aov is null') }} as rows_without_comparison
    from {{ ref('coupon_performance') }}
    group by {{ adapter.quote('date') }}

),

compared as (

    select
        coupon_days.*,
        kpi.paid_orders,
        kpi.gross_revenue,
        kpi.discount_amount,
        kpi.paid_orders - coupon_days.coupon_orders as no_coupon_orders
    from coupon_days
    left join {{ ref('kpi_daily') }} as kpi
        on kpi.{{ adapter.quote('date') }} = coupon_days.date_day

)

select *
from compared
where paid_orders is null
    or coupon_orders > paid_orders
    or (rows_without_comparison > 0 and rows_without_comparison < coupon_rows)
    or abs(coalesce(no_coupon_aov_max, 0) - coalesce(no_coupon_aov, 0)) > 1e-9
    or ((no_coupon_aov is null) <> (no_coupon_orders = 0))
    or abs(gross_revenue - coupon_revenue - coalesce(no_coupon_aov * no_coupon_orders, 0)) > 0.01 + 0.0001 * coupon_rows
    or coupon_discount > discount_amount + 0.01 + 0.0001 * coupon_rows
