-- ticket_times against service_daily, per (date, channel, category): the tickets are the same
-- (count = service_daily.tickets) and their percentiles are service_daily's (first response p50
-- and p90, resolution p50), so a percentile computed from ticket_times over one row's tickets is
-- the one the row publishes.
{{ config(meta={'dagster': {'ref': {'name': 'ticket_times'}}}) }}
with ticket_rows as (

    select
        {{ adapter.quote('date') }} as date_day,
        channel,
        category,
        count(*) as tickets,
        {{ percentile_cont('first_response_minutes', 0.5) }} as first_response_p50_minutes,
        {{ percentile_cont('first_response_minutes', 0.9) }} as first_response_p90_minutes,
        {{ percentile_cont('resolution_minutes', 0.5) }} as resolution_p50_minutes
    from {{ ref('ticket_times') }}
    group by {{ adapter.quote('date') }}, channel, category

),

service as (

    select
        {{ adapter.quote('date') }} as date_day,
        channel,
        category,
        tickets,
        first_response_p50_minutes,
        first_response_p90_minutes,
        resolution_p50_minutes
    from {{ ref('service_daily') }}

),

compared as (

    select
        coalesce(ticket_rows.date_day, service.date_day) as date_day,
        coalesce(ticket_rows.channel, service.channel) as channel,
        coalesce(ticket_rows.category, service.category) as category,
        ticket_rows.tickets as ticket_rows_tickets,
        service.tickets as service_tickets,
        abs(coalesce(ticket_rows.first_response_p50_minutes, -1) - coalesce(service.first_response_p50_minutes, -1)) as fr_p50_gap,
        abs(coalesce(ticket_rows.first_response_p90_minutes, -1) - coalesce(service.first_response_p90_minutes, -1)) as fr_p90_gap,
        abs(coalesce(ticket_rows.resolution_p50_minutes, -1) - coalesce(service.resolution_p50_minutes, -1)) as res_p50_gap
    from ticket_rows
    full outer join service
        on service.date_day = ticket_rows.date_day
        and service.channel = ticket_rows.channel
        and service.category = ticket_rows.category

)

select *
from compared
where coalesce(ticket_rows_tickets, 0) <> coalesce(service_tickets, 0)
    or fr_p50_gap > 1e-6
    or fr_p90_gap > 1e-6
    or res_p50_gap > 1e-6
