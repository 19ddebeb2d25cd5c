-- service_daily's CSAT counts against kpi_daily, per date: Σ satisfied_tickets / Σ rated_tickets
-- is kpi_daily.csat of that date (null when nothing was rated), and each row's csat is its own
-- satisfied_tickets / rated_tickets.
{{ config(meta={'dagster': {'ref': {'name': 'service_daily'}}}) }}
with service as (

    select
        {{ adapter.quote('date') }} as date_day,
        sum(rated_tickets) as rated_tickets,
        sum(satisfied_tickets) as satisfied_tickets,
        {{ count_where("abs(coalesce(csat, -1) - coalesce(" ~ safe_divide('satisfied_tickets', 'rated_tickets') ~ ", -1)) > 1e-12") }} as rows_off
    from {{ ref('service_daily') }}
    group by {{ adapter.quote('date') }}

),

compared as (

    select
        service.date_day,
        {{ safe_divide('service.satisfied_tickets', 'service.rated_tickets') }} as service_csat,
        kpi.csat as kpi_csat,
        service.rows_off
    from service
    left join {{ ref('kpi_daily') }} as kpi
        on kpi.{{ adapter.quote('date') }} = service.date_day

)

select *
from compared
where rows_off > 0
    or (service_csat is null) <> (kpi_csat is null)
    or abs(service_csat - kpi_csat) > 1e-12
