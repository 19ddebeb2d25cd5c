-- One row per (experiment, variant, visitor): when the visitor (keyed hash of anonymous_id) was
-- first seen with that assignment. kpis.md: "exposed users = distinct `anonymous_id` with an event
-- carrying that assignment". An event carries an assignment when both experiment_id and variant
-- are set; an event with only one of them assigns nothing (docs/design.md, "Experiments").
select
    experiment_id,
    variant,
    anonymous_id_hash,
    min(event_ts) as first_exposed_at,
    count(*) as exposure_events
from {{ ref('stg_traffic__events') }}
where experiment_id is not null
    and variant is not null
group by experiment_id, variant, anonymous_id_hash
