-- One row per (experiment, variant) with the counts the A/B statistics need: exposed and
-- converted users (visitors seen in two variants left out) and the excluded visitors seen in the
-- variant. The statistics themselves (lift, z-test, confidence interval, sample-ratio mismatch)
-- are computed by the Python asset `marts/experiment_results` (orchestration/assets/analytics.py)
-- from this table. Every variant seen for the experiment has a row, even when all its visitors
-- were excluded (exposed 0).
with exposures as (

    select * from {{ ref('int_experiment_exposures') }}

),

users as (

    select * from {{ ref('int_experiment_users') }}

),

kept as (

    select
        experiment_id,
        variant,
        count(*) as exposed,
        {{ count_where('converted') }} as converted
    from users
    where not is_excluded
    group by experiment_id, variant

),

excluded as (

    -- an excluded visitor counts in every variant they were seen in
    select
        exposures.experiment_id,
        exposures.variant,
        count(*) as excluded_users
    from exposures
    inner join users
        on users.experiment_id = exposures.experiment_id
        and users.anonymous_id_hash = exposures.anonymous_id_hash
    where users.is_excluded
    group by exposures.experiment_id, exposures.variant

),

variants as (

    select distinct experiment_id, variant from exposures

)

select
    variants.experiment_id,
    variants.variant,
    cast(coalesce(kept.exposed, 0) as {{ dbt.type_bigint() }}) as exposed,
    cast(coalesce(kept.converted, 0) as {{ dbt.type_bigint() }}) as converted,
    cast(coalesce(excluded.excluded_users, 0) as {{ dbt.type_bigint() }}) as excluded_users
from variants
left join kept
    on kept.experiment_id = variants.experiment_id
    and kept.variant = variants.variant
left join excluded
    on excluded.experiment_id = variants.experiment_id
    and excluded.variant = variants.variant
