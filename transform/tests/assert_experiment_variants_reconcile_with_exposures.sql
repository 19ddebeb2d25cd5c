-- Every visitor exposed to an experiment is either in exactly one variant's `exposed` or an excluded
-- visitor (int_experiment_users), so per experiment: Σ exposed + excluded visitors = distinct
-- visitors of int_experiment_exposures; and Σ excluded_users over the variants = Σ variants_seen
-- of the excluded visitors (each counts once per variant it was seen in).
with exposures as (

    select experiment_id, count(distinct anonymous_id_hash) as visitors
    from {{ ref('int_experiment_exposures') }}
    group by experiment_id

),

excluded as (

    select
        experiment_id,
        {{ count_where('is_excluded') }} as excluded_visitors,
        sum(case when is_excluded then variants_seen else 0 end) as excluded_variant_sightings
    from {{ ref('int_experiment_users') }}
    group by experiment_id

),

variants as (

    select experiment_id, sum(exposed) as exposed, sum(excluded_users) as excluded_users
    from {{ ref('int_experiment_variants') }}
    group by experiment_id

)

select
    exposures.experiment_id,
    exposures.visitors,
    variants.exposed,
    excluded.excluded_visitors,
    variants.excluded_users,
    excluded.excluded_variant_sightings
from exposures
left join excluded
    on excluded.experiment_id = exposures.experiment_id
left join variants
    on variants.experiment_id = exposures.experiment_id
where coalesce(variants.exposed, -1) + coalesce(excluded.excluded_visitors, 0) <> exposures.visitors
    or coalesce(variants.excluded_users, -1) <> coalesce(excluded.excluded_variant_sightings, 0)
