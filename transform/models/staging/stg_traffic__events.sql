-- Clickstream events, one row per event_id (the first arrival wins: batch, file, line), with the
-- local time and date in the reporting zone; anonymous_id and ip_address replaced by keyed hashes.
--
-- The clickstream is by far the largest input (~50k events a day), so this view is written to
-- be cheap to re-read: no window over all events, and no CTE read twice (see below).

{#- The raw table is named in each CTE rather than through one shared `source` CTE: DuckDB
    materializes a CTE that is read several times, which would copy the whole clickstream. -#}
{%- set raw_events = source('raw', 'traffic_events') %}

with

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

first_of_repeated as (

    -- (_file, _line) identifies a raw row
    select raw_event.*
    from {{ raw_events }} as raw_event
    inner join (
        select
            raw_event._file,
            raw_event._line,
            row_number() over (partition by raw_event.event_id order by {{ first_arrival_first() }}) as arrival_rank
        from {{ raw_events }} as raw_event
        inner join repeated_ids
            on repeated_ids.event_id = raw_event.event_id
    ) as ranked
        on ranked._file = raw_event._file
        and ranked._line = raw_event._line
    where ranked.arrival_rank = 1

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
    {{ hash_pii('ip_address') }} as ip_address_hash,
    _batch_dt,
    _file,
    _line
from localized
