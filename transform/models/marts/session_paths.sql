-- Access paths per week (kpis.md, "Access paths"; published mart). Definitions are in
-- session_paths.yml, word for word from kpis.md. A session's path, exit page and week come from
-- int_session_paths (week = Monday on or before the local date of the session's first event).
-- One row per (week_start, path) with at least one session. top_exit_page is the exit page most
-- sessions of the path ended on that week, ties to the alphabetically first. is_complete: the week
-- (Monday .. Sunday) ended on or before the last complete day (int_last_complete_day).
with sessions as (

    select week_start, path, exit_page, has_purchase
    from {{ ref('int_session_paths') }}

),

path_weeks as (

    select
        week_start,
        path,
        count(*) as sessions,
        {{ count_where('has_purchase') }} as purchased_sessions
    from sessions
    group by week_start, path

),

week_totals as (

    select
        week_start,
        count(*) as week_sessions
    from sessions
    group by week_start

),

exit_counts as (

    select
        week_start,
        path,
        exit_page,
        count(*) as exits
    from sessions
    group by week_start, path, exit_page

),

last_complete as (

    select last_complete_day
    from {{ ref('int_last_complete_day') }}

),

top_exits as (

    select
        week_start,
        path,
        exit_page,
        row_number() over (partition by week_start, path order by exits desc, exit_page asc) as exit_rank
    from exit_counts

)

select
    path_weeks.week_start,
    cast(path_weeks.path as {{ dbt.type_string() }}) as path,
    cast(path_weeks.sessions as {{ dbt.type_bigint() }}) as sessions,
    {{ safe_divide('path_weeks.sessions', 'week_totals.week_sessions') }} as share,
    {{ safe_divide('path_weeks.purchased_sessions', 'path_weeks.sessions') }} as conversion_rate,
    cast(top_exits.exit_page as {{ dbt.type_string() }}) as top_exit_page,
    coalesce(
        cast({{ dbt.dateadd('day', 6, 'path_weeks.week_start') }} as date) <= last_complete.last_complete_day, false
    ) as is_complete
from path_weeks
cross join last_complete
inner join week_totals
    on week_totals.week_start = path_weeks.week_start
inner join top_exits
    on top_exits.week_start = path_weeks.week_start
    and top_exits.path = path_weeks.path
    and top_exits.exit_rank = 1
