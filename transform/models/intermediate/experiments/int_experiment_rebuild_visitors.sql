-- The visitors whose rows int_experiment_exposures and int_experiment_users rebuild this run
-- (macros/incremental.sql, rebuild_keys_config). A visitor's rows depend only on their own events
-- that carry an assignment or are a `purchase`, and events change only on the days
-- int_traffic_rebuild_days lists: the visitors of such events on those days now
-- (stg_traffic__events, already rebuilt) and before (int_experiment_exposure_days and
-- int_purchase_events as the last run left them: both wait for this model). Without a previous
-- state (a full refresh, a first build) the experiment tables are built whole and this list is
-- not read.
-- depends_on: {{ ref('stg_traffic__events') }}, {{ ref('int_traffic_rebuild_days') }}
{%- set rebuild_days = 'select event_date from ' ~ ref('int_traffic_rebuild_days') %}
{%- set exposure_days = previous_state('int_experiment_exposure_days') if execute else none %}
{%- set purchases = previous_state('int_purchase_events') if execute else none %}
{% if should_full_refresh() or not execute %}
select cast(null as {{ dbt.type_string() }}) as anonymous_id_hash where 1 = 0
{% else %}
select anonymous_id_hash
from {{ ref('stg_traffic__events') }}
where ({{ carries_assignment() }} or event_name = 'purchase')
    and {{ on_rebuild_days('event_date', rebuild_days) }}
{%- for previous in [exposure_days, purchases] if previous is not none %}
union
select anonymous_id_hash
from {{ previous }}
where {{ on_rebuild_days('event_date', rebuild_days) }}
{%- endfor %}
{% endif %}
