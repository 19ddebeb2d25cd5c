-- Latest state of every customer; personal data replaced by keyed hashes.
with latest_versions as (

    {{ latest_version(source('raw', 'shop_customers'), 'customer_id') }}

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
