-- One row per (local day, experiment, variant, visitor) with events carrying that assignment: the
-- day's first such event and their number. int_experiment_exposures sums the days instead of
-- reading the whole clickstream every run. An event carries an assignment when both
-- experiment_id and variant are set (docs/design.md, "Experiments").
--
-- Incremental like stg_traffic__events (delete+insert on event_date, the same days): a day's rows
-- depend only on that day's events.
-- int_experiment_rebuild_visitors reads this table as the last run left it: built after it.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}, {{ ref('int_experiment_rebuild_visitors') }}
{{ config(pre_hook="{{ delete_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}", **rebuild_days_strategy('event_date')) }}
select
    event_date,
    experiment_id,
    variant,
    anonymous_id_hash,
    min(event_ts) as first_exposed_at,
    count(*) as exposure_events
from {{ ref('stg_traffic__events') }}
where {{ carries_assignment() }}
{% if is_incremental() %}
    and {{ on_rebuild_days('event_date', 'select event_date from ' ~ ref('int_traffic_rebuild_days')) }}
{% endif %}
group by event_date, experiment_id, variant, anonymous_id_hash
