-- One row per traffic session (all events sharing session_id, kpis.md). The session's date,
-- platform, device and landing attributes are those of its first event: the earliest event_ts,
-- ties broken by event_id (docs/design.md, "Events"). A session that runs past local midnight
-- belongs to the day it started.
--
-- Written with aggregates and joins rather than a window over the whole clickstream: ranking
-- every event of ~4.5M by session sorts them all, the aggregates do not.
--
-- Incremental, keyed on session_date: a run rebuilds the sessions dated within lookback_days of a
-- rebuilt event day (macros/incremental.sql, session_rebuild_dates), from the events around them.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
{{ config(**rebuild_days_strategy('session_date')) }}
{#- On a full build the events table is named in each CTE rather than through one shared CTE,
    which DuckDB would materialize (a copy of the whole clickstream); an incremental run reads
    the few days of `scoped_events` only. -#}
{%- set events = 'scoped_events' if is_incremental() else ref('stg_traffic__events') %}

with
{% if is_incremental() %}
{{ session_scope_ctes() }}
{% endif %}

session_activity as (

    select
        session_id,
        min(event_ts) as session_start_at,
        max(event_ts) as session_end_at,
        count(*) as event_count,
        {{ count_where("event_name = 'page_view'") }} as page_view_count,
        {{ count_where("event_name = 'product_view'") }} > 0 as has_product_view,
        {{ count_where("event_name = 'add_to_cart'") }} > 0 as has_add_to_cart,
        {{ count_where("event_name = 'begin_checkout'") }} > 0 as has_begin_checkout,
        {{ count_where("event_name = 'purchase'") }} > 0 as has_purchase
    from {{ events }}
    group by session_id

),

-- the first event: earliest event_ts, then the smallest event_id among events at that instant
first_event_ids as (

    select
        events.session_id,
        min(events.event_id) as first_event_id
    from {{ events }} as events
    inner join session_activity
        on session_activity.session_id = events.session_id
        and session_activity.session_start_at = events.event_ts
    group by events.session_id

),

first_events as (

    select events.*
    from {{ events }} as events
    inner join first_event_ids
        on first_event_ids.first_event_id = events.event_id

)

select
    session_activity.session_id,
    first_events.anonymous_id_hash,
    first_events.user_id,
    session_activity.session_start_at,
    first_events.event_ts_local as session_start_local,
    first_events.event_date as session_date,
    session_activity.session_end_at,
    first_events.platform,
    first_events.device_type,
    first_events.event_name as first_event_name,
    first_events.page_type as landing_page_type,
    first_events.page_url as landing_page_url,
    first_events.referrer,
    first_events.utm_source,
    first_events.utm_medium,
    first_events.utm_campaign,
    session_activity.event_count,
    session_activity.page_view_count,
    session_activity.has_product_view,
    session_activity.has_add_to_cart,
    session_activity.has_begin_checkout,
    session_activity.has_purchase,
    -- kpis.md: a bounce is a session with exactly one event, a page_view
    (session_activity.event_count = 1 and session_activity.page_view_count = 1) as is_bounce
from session_activity
inner join first_events
    on first_events.session_id = session_activity.session_id
{% if is_incremental() %}
where first_events.event_date in (select session_date from rebuild_dates)
{% endif %}
