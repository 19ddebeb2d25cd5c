-- Latest state of every payment attempt.
with latest_versions as (

    {{ latest_version(source('raw', 'shop_payments'), 'payment_id') }}

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
