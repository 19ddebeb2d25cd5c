-- Customer-service events, one row per event_id (the first arrival wins: batch, file, line),
-- with the local time and date in the reporting zone. An incremental table keyed on event_date:
-- a run rebuilds the days in int_service_rebuild_days from every raw copy of the events of those
-- days (docs/design.md, "Incremental models and late data").
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuild_days('event_date', 'select event_date from ' ~ ref('int_service_rebuild_days')) }}",
    **rebuild_days_strategy('event_date')
) }}
-- depends_on: {{ ref('int_service_rebuild_days') }}
with
{% if is_incremental() %}
{{ rebuilt_events_ctes(source('raw', 'service_events'), ref('int_service_rebuild_days')) }}
{% endif %}

arrivals as (

    select
        *,
        row_number() over (partition by event_id order by {{ first_arrival_first() }}) as arrival_rank
    from {{ 'scoped_raw' if is_incremental() else source('raw', 'service_events') }}

)

select
    event_id,
    ticket_id,
    event_ts,
    {{ to_local_timestamp('event_ts') }} as event_ts_local,
    {{ to_local_date('event_ts') }} as event_date,
    event_type,
    channel,
    category,
    priority,
    customer_id,
    order_id,
    agent_id,
    new_status,
    csat_score,
    _batch_dt,
    _file,
    _line
from arrivals
where arrival_rank = 1
{% if is_incremental() %}
    -- an event whose first arrival is dated on a day not rebuilt keeps its row of that day
    and {{ to_local_date('event_ts') }} in (select event_date from {{ ref('int_service_rebuild_days') }})
{% endif %}
