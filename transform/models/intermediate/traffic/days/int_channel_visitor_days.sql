-- One row per (local day, session channel) with the distinct visitors whose events that day
-- belong to sessions of the channel (kpis.md, channel_daily.visitors). channel_daily reads these
-- instead of joining the whole clickstream to every session's channel every run.
--
-- Incremental on event_date. An event's channel is its session's, and a rebuilt session
-- (session_rebuild_dates: within lookback_days of a rebuilt event day) may change channel; its
-- events lie up to lookback_days after its date. So a run rebuilds every event day from
-- lookback_days before to 2 x lookback_days after a rebuilt event day (channel_event_rebuild_dates).
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
{{ config(pre_hook="{{ delete_rebuild_days('event_date', channel_event_rebuild_dates()) }}", **rebuild_days_strategy('event_date')) }}
with events as (

    select event_date, session_id, anonymous_id_hash
    from {{ ref('stg_traffic__events') }}
    {% if is_incremental() %}
    where {{ on_rebuild_days('event_date', channel_event_rebuild_dates()) }}
    {% endif %}

),

session_channels as (

    select session_id, channel
    from {{ ref('int_session_channels') }}
    {% if is_incremental() %}
    -- the sessions an event of those days can belong to: dated up to lookback_days before it
    where session_date >= (
        select cast({{ dbt.dateadd('day', -lookback_days(), 'min(event_date)') }} as date)
        from ({{ channel_event_rebuild_dates() }}) as rebuild_dates
    )
    {% endif %}

)

select
    events.event_date,
    session_channels.channel,
    count(distinct events.anonymous_id_hash) as visitors
from events
inner join session_channels
    on session_channels.session_id = events.session_id
group by events.event_date, session_channels.channel
