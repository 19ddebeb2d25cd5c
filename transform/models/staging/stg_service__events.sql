-- Customer-service events, one row per event_id (the first arrival wins: batch, file, line),
-- with the local time and date in the reporting zone.
with source as (

    select * from {{ source('raw', 'service_events') }}

),

arrivals as (

    select
        *,
        row_number() over (partition by event_id order by {{ first_arrival_first() }}) as arrival_rank
    from source

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
