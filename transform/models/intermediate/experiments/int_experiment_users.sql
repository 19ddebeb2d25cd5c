-- One row per (experiment, visitor): the visitor's variant, whether they are excluded (seen in two
-- or more variants of the experiment) and whether they converted (kpis.md: "converted users =
-- exposed users with a `purchase` event at or after their first exposure").
--
-- The first exposure is the visitor's earliest event carrying any assignment of the experiment
-- (for a kept visitor that is their one variant). Any `purchase` event of the visitor counts,
-- whether or not it carries the assignment itself.
--
-- Kept by visitor, as int_experiment_exposures: a run rebuilds the visitors in
-- int_experiment_rebuild_visitors (their assigned or purchase events changed).
{{ config(**rebuild_keys_config('anonymous_id_hash', 'int_experiment_rebuild_visitors')) }}
-- depends_on: {{ ref('int_experiment_rebuild_visitors') }}
with exposures as (

    select *
    from {{ rows_of_rebuilt_keys(ref('int_experiment_exposures'), 'anonymous_id_hash', ref('int_experiment_rebuild_visitors')) }}

),

users as (

    select
        experiment_id,
        anonymous_id_hash,
        count(*) as variants_seen,
        min(variant) as first_variant_name,
        min(first_exposed_at) as first_exposed_at
    from exposures
    group by experiment_id, anonymous_id_hash

),

purchases as (

    select
        anonymous_id_hash,
        purchased_at
    from {{ rows_of_rebuilt_keys(ref('int_purchase_events'), 'anonymous_id_hash', ref('int_experiment_rebuild_visitors')) }}

),

conversions as (

    select
        users.experiment_id,
        users.anonymous_id_hash,
        min(purchases.purchased_at) as first_purchase_after_exposure_at
    from users
    inner join purchases
        on purchases.anonymous_id_hash = users.anonymous_id_hash
        and purchases.purchased_at >= users.first_exposed_at
    group by users.experiment_id, users.anonymous_id_hash

)

select
    users.experiment_id,
    users.anonymous_id_hash,
    -- the one variant of a kept visitor; null for a visitor seen in several (excluded)
    case when users.variants_seen = 1 then users.first_variant_name end as variant,
    users.variants_seen,
    users.variants_seen > 1 as is_excluded,
    users.first_exposed_at,
    conversions.first_purchase_after_exposure_at,
    conversions.anonymous_id_hash is not null as converted
from users
left join conversions
    on conversions.experiment_id = users.experiment_id
    and conversions.anonymous_id_hash = users.anonymous_id_hash
