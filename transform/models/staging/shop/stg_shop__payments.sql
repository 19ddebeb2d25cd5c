-- Latest state of every payment attempt. Kept by payment id: a run ranks again only the payments
-- of stg_shop__payment_rebuild_ids (macros/incremental.sql, rebuild_keys_config).
{{ config(**rebuild_keys_config('payment_id', 'stg_shop__payment_rebuild_ids')) }}
-- depends_on: {{ ref('stg_shop__payment_rebuild_ids') }}
with latest_versions as (

    {{ latest_version(rows_of_rebuilt_keys(source('raw', 'shop_payments'), 'payment_id', ref('stg_shop__payment_rebuild_ids')), 'payment_id') }}

)

select
    payment_id,
    order_id,
    method,
    status,
    amount,
    upper(currency) as currency,
    created_at,
    {{ to_local_timestamp('created_at') }} as created_at_local,
    {{ to_local_date('created_at') }} as created_date,
    updated_at,
    {{ to_local_timestamp('updated_at') }} as updated_at_local,
    _batch_dt,
    _file,
    _line
from latest_versions
