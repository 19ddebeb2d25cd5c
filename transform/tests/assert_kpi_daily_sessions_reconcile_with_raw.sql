-- Σ sessions over kpi_daily must equal the number of distinct session_id in raw traffic events:
-- every session starts on exactly one local day, and kpi_daily covers every day a session
-- started on.
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
-- all of history at once: a run's full pass only (transform/data_tests.py)
{{ config(tags=['full_pass_only']) }}
with from_raw as (

    select count(distinct session_id) as sessions from {{ source('raw', 'traffic_events') }}

),

from_mart as (

    select coalesce(sum(sessions), 0) as sessions from {{ ref('kpi_daily') }}

)

select
    from_raw.sessions as raw_sessions,
    from_mart.sessions as mart_sessions
from from_raw
cross join from_mart
where from_raw.sessions <> from_mart.sessions
