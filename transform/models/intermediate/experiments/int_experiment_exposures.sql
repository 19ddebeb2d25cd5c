-- One row per (experiment, variant, visitor): when the visitor (keyed hash of anonymous_id) was
-- first seen with that assignment. kpis.md: "exposed users = distinct `anonymous_id` with an event
-- carrying that assignment". An event carries an assignment when both experiment_id and variant
-- are set; an event with only one of them assigns nothing (docs/design.md, "Experiments"). Summed
-- over the visitor's days (int_experiment_exposure_days).
--
-- Kept by visitor: a run rebuilds the rows of the visitors in int_experiment_rebuild_visitors
-- (those with assigned events on a rebuilt day) instead of summing every visitor's days.
{{ config(**rebuild_keys_config('anonymous_id_hash', 'int_experiment_rebuild_visitors')) }}
-- depends_on: {{ ref('int_experiment_rebuild_visitors') }}
select
    experiment_id,
    variant,
    anonymous_id_hash,
    min(first_exposed_at) as first_exposed_at,
    sum(exposure_events) as exposure_events
from {{ rows_of_rebuilt_keys(ref('int_experiment_exposure_days'), 'anonymous_id_hash', ref('int_experiment_rebuild_visitors')) }}
group by experiment_id, variant, anonymous_id_hash
