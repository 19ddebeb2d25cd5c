-- Clickstream events, one row per event_id (the first arrival wins: batch, file, line), with the
-- local time and date in the reporting zone; anonymous_id replaced by a keyed hash. ip_address is
-- not carried: no model uses it (data minimisation; docs/design.md, "Personal data").
--
-- The clickstream is by far the largest input (~50k events a day): an incremental table keyed
-- on event_date. A run rebuilds only the days in int_traffic_rebuild_days (the days its batch
-- window touches), from every raw copy of the events of those days, so the first arrival is
-- judged over all batches exactly as in a full refresh (docs/design.md, "Incremental models").
-- No window over all events, and no CTE read twice on a full build (see below).
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}",
    **rebuild_days_strategy('event_date')
) }}
-- depends_on: {{ ref('int_traffic_rebuild_days') }}

{#- On a full build the raw table is named in each CTE rather than through one shared CTE:
    DuckDB materializes a CTE that is read several times, which would copy the whole clickstream.
    An incremental run reads only `scoped_raw`: every raw copy of the events dated on a day to
    rebuild (small, so materializing it is cheap). -#}
{%- set raw_events = 'scoped_raw' if is_incremental() else source('raw', 'traffic_events') %}

with
{% if is_incremental() %}
{{ rebuilt_events_ctes(source('raw', 'traffic_events'), ref('int_traffic_rebuild_days')) }}
{% endif %}

repeated_ids as (

    select event_id
    from {{ raw_events }}
    group by event_id
    having count(*) > 1

),

single_arrivals as (

    select raw_event.*
    from {{ raw_events }} as raw_event
    left join repeated_ids
        on repeated_ids.event_id = raw_event.event_id
    where repeated_ids.event_id is null

),

ranked_repeats as (

    -- (_file, _line) identifies a raw row
    select
        raw_event._file,
        raw_event._line,
        row_number() over (partition by raw_event.event_id order by {{ first_arrival_first() }}) as arrival_rank
    from {{ raw_events }} as raw_event
    inner join repeated_ids
        on repeated_ids.event_id = raw_event.event_id

),

first_of_repeated as (

    select raw_event.*
    from {{ raw_events }} as raw_event
    inner join ranked_repeats
        on ranked_repeats._file = raw_event._file
        and ranked_repeats._line = raw_event._line
    where ranked_repeats.arrival_rank = 1

),

events as (

    select * from single_arrivals
    union all
    select * from first_of_repeated

),

localized as (

    select
        *,
        {{ to_local_timestamp('event_ts') }} as event_ts_local
    from events

)

select
    event_id,
    event_ts,
    event_ts_local,
    cast(event_ts_local as date) as event_date,
    {{ hash_pii('anonymous_id') }} as anonymous_id_hash,
    user_id,
    session_id,
    event_name,
    page_type,
    page_url,
    referrer,
    utm_source,
    utm_medium,
    utm_campaign,
    platform,
    device_type,
    country,
    product_id,
    search_query,
    order_id,
    value,
    upper(currency) as currency,
    page_load_ms,
    experiment_id,
    variant,
    _batch_dt,
    _file,
    _line
from localized
{% if is_incremental() %}
-- an event whose first arrival is dated on a day not rebuilt keeps its row of that day
where cast(event_ts_local as date) in (select event_date from {{ ref('int_traffic_rebuild_days') }})
{% endif %}
