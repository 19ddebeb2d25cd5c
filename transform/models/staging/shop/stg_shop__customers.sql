-- Latest state of every customer; personal data replaced by keyed hashes. Kept by customer id: a
-- run ranks and hashes again only the customers of stg_shop__customer_rebuild_ids
-- (macros/incremental.sql, rebuild_keys_config).
{{ config(**rebuild_keys_config('customer_id', 'stg_shop__customer_rebuild_ids')) }}
-- depends_on: {{ ref('stg_shop__customer_rebuild_ids') }}
with latest_versions as (

    {{ latest_version(rows_of_rebuilt_keys(source('raw', 'shop_customers'), 'customer_id', ref('stg_shop__customer_rebuild_ids')), 'customer_id') }}

)

select
    customer_id,
    signup_at,
    {{ to_local_timestamp('signup_at') }} as signup_at_local,
    {{ to_local_date('signup_at') }} as signup_date,
    {{ hash_pii('email') }} as email_hash,
    {{ hash_pii('phone') }} as phone_hash,
    {{ hash_pii('full_name') }} as full_name_hash,
    birth_year,
    upper(country) as country,
    region,
    city,
    updated_at,
    {{ to_local_timestamp('updated_at') }} as updated_at_local,
    _batch_dt,
    _file,
    _line
from latest_versions
