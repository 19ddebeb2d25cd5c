-- One row per service ticket with its first response and resolution times, dated, channelled and
-- categorised as service_daily counts it (published mart, grain ticket_id). It holds what a
-- percentile over any span of days needs: service_daily keeps one percentile per day, channel and
-- category, and percentiles cannot be combined across rows, so a reader asking for the median
-- first response of 28 days, or of one channel, computes it here. No customer or order id: the
-- ticket is named by its own id only.
select
    cast(ticket_id as {{ dbt.type_string() }}) as ticket_id,
    ticket_date as {{ adapter.quote('date') }},
    cast(channel as {{ dbt.type_string() }}) as channel,
    cast(category as {{ dbt.type_string() }}) as category,
    cast(priority as {{ dbt.type_string() }}) as priority,
    cast(first_response_minutes as {{ type_double() }}) as first_response_minutes,
    cast(resolution_minutes as {{ type_double() }}) as resolution_minutes
from {{ ref('int_ticket_metrics') }}
