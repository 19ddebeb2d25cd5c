-- One row per traffic session (int_sessions) with its access path (kpis.md, "Access paths"):
-- "the session's first 5 `page_type`s in event order (consecutive repeats collapsed), joined
-- with ` > `; `exit_page` = page_type of its last event". Choices (docs/design.md, "Access
-- paths"):
--   * event order is event_ts, ties by event_id (the order that picks a session's first event);
--   * events without a page_type (add_to_cart, purchase, share, ... often carry none) are not
--     steps of the path: they are skipped before repeats are collapsed, so home, add_to_cart,
--     home is the path `home`; the exit page is the page_type of the last event that has one;
--   * repeats are collapsed first, then the first 5 steps are taken;
--   * a session without any page_type has path and exit page '(none)', so every session has a
--     path and the paths of a week add up to its sessions;
--   * the session's week is the Monday on or before its date (the local date of its first
--     event), so a session running past midnight into Monday stays in the week it started in.
--
-- Incremental like int_sessions (keyed on session_date, the same dates rebuilt): the window
-- functions below then sort only the events of the sessions being rebuilt.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
{{ config(**rebuild_days_strategy('session_date')) }}
{%- set events = 'scoped_events' if is_incremental() else ref('stg_traffic__events') %}

with
{% if is_incremental() %}
{{ session_scope_ctes() }}
{% endif %}

page_events as (

    -- only events with a page_type; one sort of them gives both neighbours
    select
        session_id,
        event_id,
        event_ts,
        page_type,
        lag(page_type) over (partition by session_id order by event_ts, event_id) as previous_page_type,
        lead(event_id) over (partition by session_id order by event_ts, event_id) as next_event_id
    from {{ events }}
    where page_type is not null

),

steps as (

    -- consecutive repeats collapsed: keep an event whose page_type differs from the one before
    select
        session_id,
        page_type,
        row_number() over (partition by session_id order by event_ts, event_id) as step_number
    from page_events
    where previous_page_type is null
        or previous_page_type <> page_type

),

paths as (

    select
        session_id,
        count(*) as collapsed_steps,
        max(case when step_number = 1 then page_type end) as step_1,
        max(case when step_number = 2 then page_type end) as step_2,
        max(case when step_number = 3 then page_type end) as step_3,
        max(case when step_number = 4 then page_type end) as step_4,
        max(case when step_number = 5 then page_type end) as step_5
    from steps
    group by session_id

),

exits as (

    select
        session_id,
        page_type as exit_page
    from page_events
    where next_event_id is null

),

sessions as (

    select session_id, session_date, has_purchase
    from {{ ref('int_sessions') }}
    {% if is_incremental() %}
    where session_date in (select session_date from rebuild_dates)
    {% endif %}

)

select
    sessions.session_id,
    sessions.session_date,
    {{ week_start('sessions.session_date') }} as week_start,
    -- steps are consecutive (step n exists only if step n - 1 does), so each later step adds
    -- ' > ' and its name, or nothing once the steps run out
    coalesce(
        paths.step_1
        || coalesce(' > ' || paths.step_2, '')
        || coalesce(' > ' || paths.step_3, '')
        || coalesce(' > ' || paths.step_4, '')
        || coalesce(' > ' || paths.step_5, ''),
        '(none)'
    ) as path,
    coalesce(paths.collapsed_steps, 0) as collapsed_steps,
    coalesce(exits.exit_page, '(none)') as exit_page,
    sessions.has_purchase
from sessions
left join paths
    on paths.session_id = sessions.session_id
left join exits
    on exits.session_id = sessions.session_id
