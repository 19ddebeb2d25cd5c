-- Latest state of every payment attempt.
with source as (

    select * from {{ source('raw', 'shop_payments') }}

),

versions as (

    select
        *,
        row_number() over (partition by payment_id order by {{ latest_first() }}) as version_rank
    from source

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
from versions
where version_rank = 1
