-- One row per (experiment, variant, visitor): when the visitor (keyed hash of anonymous_id) was
-- first seen with that assignment. kpis.md: "exposed users = distinct `anonymous_id` with an event
-- carrying that assignment". An event carries an assignment when both experiment_id and variant
-- are set; an event with only one of them assigns nothing (docs/design.md, "Experiments"). Summed
-- over the visitor's days (int_experiment_exposure_days).
select
    experiment_id,
    variant,
    anonymous_id_hash,
    min(first_exposed_at) as first_exposed_at,
    sum(exposure_events) as exposure_events
from {{ ref('int_experiment_exposure_days') }}
group by experiment_id, variant, anonymous_id_hash
