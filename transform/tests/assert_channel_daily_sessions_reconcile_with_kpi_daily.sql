-- Σ sessions of channel_daily per date must equal kpi_daily.sessions of that date (every session
-- has exactly one channel). Fails once per date that differs.
{{ config(meta={'dagster': {'ref': {'name': 'channel_daily'}}}) }}
with channels as (

    select {{ adapter.quote('date') }} as date_day, sum(sessions) as sessions
    from {{ ref('channel_daily') }}
    group by {{ adapter.quote('date') }}

),

kpi as (

    select {{ adapter.quote('date') }} as date_day, coalesce(sessions, 0) as sessions
    from {{ ref('kpi_daily') }}

)

select
    coalesce(channels.date_day, kpi.date_day) as date_day,
    channels.sessions as channel_sessions,
    kpi.sessions as kpi_sessions
from channels
full outer join kpi
    on kpi.date_day = channels.date_day
where coalesce(channels.sessions, 0) <> coalesce(kpi.sessions, 0)
