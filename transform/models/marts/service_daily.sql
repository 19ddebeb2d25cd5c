-- Customer service per local day, channel and category of ticket creation (kpis.md, "Customer
-- service"; published mart). Definitions are in service_daily.yml, word for word from kpis.md.
-- Ticket-level measures come from int_ticket_metrics (SLA targets: seed sla_targets). One row per
-- (date, channel, category) with at least one ticket; 'unknown' where ticket_created has no
-- channel or category. Ratios, percentiles and averages are null where no ticket qualifies.
with tickets as (

    select * from {{ ref('int_ticket_metrics') }}

),

daily as (

    select
        ticket_date,
        channel,
        category,
        count(*) as tickets,
        {{ percentile_cont('first_response_minutes', 0.5) }} as first_response_p50_minutes,
        {{ percentile_cont('first_response_minutes', 0.9) }} as first_response_p90_minutes,
        {{ percentile_cont('resolution_minutes', 0.5) }} as resolution_p50_minutes,
        {{ count_where('sla_breached is not null') }} as sla_judged_tickets,
        {{ count_where('sla_breached') }} as sla_breached_tickets,
        {{ count_where('is_rated') }} as rated_tickets,
        {{ count_where('is_satisfied') }} as satisfied_tickets,
        avg(cast(csat_score as {{ type_double() }})) as csat_avg,
        {{ count_where('is_reopened') }} as reopened_tickets,
        {{ count_where('is_solved') }} as solved_tickets,
        {{ count_where('is_one_touch') }} as one_touch_tickets,
        {{ count_where('is_bot_contained') }} as bot_contained_tickets,
        {{ count_where('is_presale_with_customer') }} as presale_tickets,
        {{ count_where('is_presale_converted') }} as presale_converted_tickets
    from tickets
    group by ticket_date, channel, category

)

select
    ticket_date as {{ adapter.quote('date') }},
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(tickets as {{ dbt.type_bigint() }}) as tickets,
    cast(first_response_p50_minutes as {{ type_double() }}) as first_response_p50_minutes,
    cast(first_response_p90_minutes as {{ type_double() }}) as first_response_p90_minutes,
    cast(resolution_p50_minutes as {{ type_double() }}) as resolution_p50_minutes,
    {{ safe_divide('sla_breached_tickets', 'sla_judged_tickets') }} as sla_breach_rate,
    {{ safe_divide('satisfied_tickets', 'rated_tickets') }} as csat,
    cast(csat_avg as {{ type_double() }}) as csat_avg,
    {{ safe_divide('reopened_tickets', 'tickets') }} as reopen_rate,
    {{ safe_divide('one_touch_tickets', 'solved_tickets') }} as one_touch_rate,
    {{ safe_divide('bot_contained_tickets', 'solved_tickets') }} as bot_containment_rate,
    {{ safe_divide('presale_converted_tickets', 'presale_tickets') }} as presale_conversion_rate,
    -- csat's numerator and denominator, so a CSAT over several rows is Σ satisfied / Σ rated
    cast(rated_tickets as {{ dbt.type_bigint() }}) as rated_tickets,
    cast(satisfied_tickets as {{ dbt.type_bigint() }}) as satisfied_tickets,
    -- the two new rates' numerators and denominators, for ratios over several rows
    cast(solved_tickets as {{ dbt.type_bigint() }}) as solved_tickets,
    cast(bot_contained_tickets as {{ dbt.type_bigint() }}) as bot_contained_tickets,
    cast(presale_tickets as {{ dbt.type_bigint() }}) as presale_tickets,
    cast(presale_converted_tickets as {{ dbt.type_bigint() }}) as presale_converted_tickets
from daily
