-- Σ tickets of service_daily per date must equal kpi_daily.tickets of that date (every ticket is
-- in exactly one (date, channel, category) row, unknowns included). Fails once per date that
-- differs.
{{ config(meta={'dagster': {'ref': {'name': 'service_daily'}}}) }}
with service as (

    select {{ adapter.quote('date') }} as date_day, sum(tickets) as tickets
    from {{ ref('service_daily') }}
    group by {{ adapter.quote('date') }}

),

kpi as (

    select {{ adapter.quote('date') }} as date_day, coalesce(tickets, 0) as tickets
    from {{ ref('kpi_daily') }}

)

select
    coalesce(service.date_day, kpi.date_day) as date_day,
    service.tickets as service_tickets,
    kpi.tickets as kpi_tickets
from service
full outer join kpi
    on kpi.date_day = service.date_day
where coalesce(service.tickets, 0) <> coalesce(kpi.tickets, 0)
