-- One row per local day with clickstream events: the day's visitors, purchasing visitors and page
-- load percentiles (kpis.md: visitors = distinct anonymous_id with an event that day; page load
-- p50/p90 over `page_view` events with a load time). kpi_daily reads these instead of counting
-- distinct visitors over the whole clickstream every run.
--
-- Incremental like stg_traffic__events (delete+insert on event_date, the same days): a day's
-- figures depend only on that day's events.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
{{ config(pre_hook="{{ delete_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}", **rebuild_days_strategy('event_date')) }}
select
    event_date,
    count(distinct anonymous_id_hash) as visitors,
    count(distinct case when event_name = 'purchase' then anonymous_id_hash end) as purchasing_visitors,
    {{ percentile_cont("case when event_name = 'page_view' then page_load_ms end", 0.5) }} as page_load_p50_ms,
    {{ percentile_cont("case when event_name = 'page_view' then page_load_ms end", 0.9) }} as page_load_p90_ms
from {{ ref('stg_traffic__events') }}
{% if is_incremental() %}
where {{ on_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}
{% endif %}
group by event_date
