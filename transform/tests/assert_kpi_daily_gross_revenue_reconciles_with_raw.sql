-- Σ gross_revenue over kpi_daily must equal Σ total_amount in base currency over paid orders,
-- computed here straight from raw by an independent route: latest state by "no newer version
-- exists" (instead of a window), the rate by "greatest rate date on or before the order date"
-- (instead of validity ranges), no intermediate models. Tolerance 0.01 (kpi_daily rounds each
-- day to 4 decimals).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
-- all of history at once: a run's full pass only (transform/data_tests.py)
{{ config(tags=['full_pass_only']) }}
{{ config(severity='error') }}

with order_versions as (

    select * from {{ source('raw', 'shop_orders') }}

),

latest_orders as (

    select
        v.order_id,
        upper(v.currency) as currency,
        v.total_amount,
        v.status,
        {{ to_local_date('v.created_at') }} as order_date
    from order_versions as v
    where not exists (
        select 1
        from order_versions as newer
        where newer.order_id = v.order_id
            and (
                newer.updated_at > v.updated_at
                or (newer.updated_at = v.updated_at and newer._batch_dt > v._batch_dt)
                or (newer.updated_at = v.updated_at and newer._batch_dt = v._batch_dt and newer._file > v._file)
                or (newer.updated_at = v.updated_at and newer._batch_dt = v._batch_dt and newer._file = v._file
                    and newer._line > v._line)
            )
    )

),

paid_orders as (

    select * from latest_orders where status in ('paid', 'shipped', 'delivered')

),

rate_versions as (

    select {{ adapter.quote('date') }} as rate_date, upper(currency) as currency, rate_to_base, _batch_dt, _file, _line
    from {{ source('raw', 'finance_fx_rates') }}

),

latest_rates as (

    select r.rate_date, r.currency, r.rate_to_base
    from rate_versions as r
    where not exists (
        select 1
        from rate_versions as later
        where later.rate_date = r.rate_date
            and later.currency = r.currency
            and (
                later._batch_dt > r._batch_dt
                or (later._batch_dt = r._batch_dt and later._file > r._file)
                or (later._batch_dt = r._batch_dt and later._file = r._file and later._line > r._line)
            )
    )

),

rate_dates as (

    select
        o.order_id,
        max(r.rate_date) as rate_date
    from paid_orders as o
    inner join latest_rates as r
        on r.currency = o.currency
        and r.rate_date <= o.order_date
    group by o.order_id

),

converted as (

    select
        o.order_id,
        o.total_amount * case
            when o.currency = {{ sql_literal(base_currency()) }} then 1
            else r.rate_to_base
        end as total_amount_base
    from paid_orders as o
    left join rate_dates as d
        on d.order_id = o.order_id
    left join latest_rates as r
        on r.currency = o.currency
        and r.rate_date = d.rate_date

),

from_raw as (

    select coalesce(sum(total_amount_base), 0) as gross_revenue from converted

),

from_mart as (

    select coalesce(sum(gross_revenue), 0) as gross_revenue from {{ ref('kpi_daily') }}

)

select
    from_raw.gross_revenue as raw_gross_revenue,
    from_mart.gross_revenue as mart_gross_revenue
from from_raw
cross join from_mart
where abs(from_raw.gross_revenue - from_mart.gross_revenue) > 0.01
