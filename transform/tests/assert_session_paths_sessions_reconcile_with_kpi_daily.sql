-- Σ sessions of session_paths per week must equal the sessions of kpi_daily's dates in that week
-- (every session has exactly one path, '(none)' included, and counts in the week of its start
-- date), and the shares of a week must add up to 1. Fails once per week that differs.
{{ config(meta={'dagster': {'ref': {'name': 'session_paths'}}}) }}
with paths as (

    select
        week_start,
        sum(sessions) as sessions,
        sum(share) as total_share
    from {{ ref('session_paths') }}
    group by week_start

),

kpi as (

    select
        {{ week_start(adapter.quote('date')) }} as week_start,
        sum(coalesce(sessions, 0)) as sessions
    from {{ ref('kpi_daily') }}
    group by {{ week_start(adapter.quote('date')) }}

)

select
    coalesce(paths.week_start, kpi.week_start) as week_start,
    paths.sessions as path_sessions,
    kpi.sessions as kpi_sessions,
    paths.total_share
from paths
full outer join kpi
    on kpi.week_start = paths.week_start
where coalesce(paths.sessions, 0) <> coalesce(kpi.sessions, 0)
    or (paths.week_start is not null and abs(paths.total_share - 1) > 0.000001)
