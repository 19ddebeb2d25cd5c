-- Σ attributed_revenue of channel_daily per date must equal kpi_daily.gross_revenue of that date:
-- every paid order is attributed to exactly one channel (unknown session -> direct). Both sides
-- are rounded to 4 decimals per row, so up to 0.01 of rounding is tolerated.
{{ config(meta={'dagster': {'ref': {'name': 'channel_daily'}}}) }}
with channels as (

    select {{ adapter.quote('date') }} as date_day, sum(attributed_revenue) as revenue
    from {{ ref('channel_daily') }}
    group by {{ adapter.quote('date') }}

),

kpi as (

    select {{ adapter.quote('date') }} as date_day, coalesce(gross_revenue, 0) as revenue
    from {{ ref('kpi_daily') }}

)

select
    coalesce(channels.date_day, kpi.date_day) as date_day,
    channels.revenue as channel_revenue,
    kpi.revenue as kpi_revenue
from channels
full outer join kpi
    on kpi.date_day = channels.date_day
where abs(coalesce(channels.revenue, 0) - coalesce(kpi.revenue, 0)) > 0.01
