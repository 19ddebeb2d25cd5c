-- Every `purchase` event of the clickstream: its local day, visitor (keyed hash of anonymous_id)
-- and time. int_experiment_users reads these few columns of a few rows instead of finding them
-- among every event of the clickstream each run.
--
-- Incremental like stg_traffic__events (delete+insert on event_date, the same days).
-- int_experiment_rebuild_visitors reads this table as the last run left it: built after it.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}, {{ ref('int_experiment_rebuild_visitors') }}
{{ config(pre_hook="{{ delete_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}", **rebuild_days_strategy('event_date')) }}
select
    event_date,
    anonymous_id_hash,
    event_ts as purchased_at
from {{ ref('stg_traffic__events') }}
where event_name = 'purchase'
{% if is_incremental() %}
    and {{ on_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}
{% endif %}
