-- MetricFlow's time spine (the semantic layer, models/semantic/): one row per calendar day.
-- MetricFlow joins to it for cumulative and offset metrics and for filling days without rows.
-- Its days are plain calendar dates: every time dimension of the semantic models is already a
-- LOCAL date in the reporting time zone (order_date, session_date, ticket_date), so metric_time
-- means the same "day" as kpi_daily's `date`. 2000-01-01 .. 2059-12-31 is ~22k rows: cheap, and
-- wide enough for any shop's history and forecasts.
{{ config(schema='utilities', materialized='table') }}

with bounds as (
    select
        cast('2000-01-01' as date) as start_day,
        cast('2059-12-31' as date) as end_day
),

spine as (
    {{ day_spine('bounds') }}
)

select cast(date_day as date) as date_day
from spine
