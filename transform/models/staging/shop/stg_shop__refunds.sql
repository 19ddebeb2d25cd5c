-- Latest state of every refund. Amounts stay in the refund's own currency; int_refunds converts
-- them at the order date of their order.
with latest_versions as (

    {{ latest_version(source('raw', 'shop_refunds'), 'refund_id') }}

)

select
    refund_id,
    order_id,
    product_id,
    quantity,
    amount,
    upper(currency) as currency,
    reason,
    status,
    requested_at,
    {{ to_local_timestamp('requested_at') }} as requested_at_local,
    {{ to_local_date('requested_at') }} as requested_date,
    updated_at,
    {{ to_local_timestamp('updated_at') }} as updated_at_local,
    _batch_dt,
    _file,
    _line
from latest_versions
