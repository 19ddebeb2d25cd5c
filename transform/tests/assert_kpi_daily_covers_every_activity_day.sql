-- kpi_daily has exactly one row per local date from the earliest to the latest date on which an
-- order was created, a session started or a ticket was created (docs/design.md), no gaps.
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
with activity as (

    select order_date as activity_date from {{ ref('int_orders') }}
    union all
    select session_date from {{ ref('int_sessions') }}
    union all
    select ticket_date from {{ ref('int_tickets') }}

),

expected as (

    select min(activity_date) as first_day, max(activity_date) as last_day from activity

),

actual as (

    select min({{ adapter.quote('date') }}) as first_day, max({{ adapter.quote('date') }}) as last_day, count(*) as days
    from {{ ref('kpi_daily') }}

)

select *
from expected
cross join actual
where expected.first_day is distinct from actual.first_day
    or expected.last_day is distinct from actual.last_day
    or (actual.days > 0 and actual.days <> {{ dbt.datediff('actual.first_day', 'actual.last_day', 'day') }} + 1)
