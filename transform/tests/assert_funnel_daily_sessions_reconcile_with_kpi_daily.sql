-- Σ sessions of funnel_daily per date must equal kpi_daily.sessions of that date (every session
-- is in exactly one (date, platform, device_type) row). Fails once per date that differs.
{{ config(meta={'dagster': {'ref': {'name': 'funnel_daily'}}}) }}
with funnel as (

    select {{ adapter.quote('date') }} as date_day, sum(sessions) as sessions
    from {{ ref('funnel_daily') }}
    group by {{ adapter.quote('date') }}

),

kpi as (

    select {{ adapter.quote('date') }} as date_day, coalesce(sessions, 0) as sessions
    from {{ ref('kpi_daily') }}

)

select
    coalesce(funnel.date_day, kpi.date_day) as date_day,
    funnel.sessions as funnel_sessions,
    kpi.sessions as kpi_sessions
from funnel
full outer join kpi
    on kpi.date_day = funnel.date_day
where coalesce(funnel.sessions, 0) <> coalesce(kpi.sessions, 0)
