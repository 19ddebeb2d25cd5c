-- Order lines, one row per (order_id, line_number). Lines arrive once; should one be re-sent,
-- the later batch (then file, line) replaces the earlier one, as for other re-sent rows.
with latest_versions as (

    {{ latest_version(source('raw', 'shop_order_items'), 'order_id, line_number', last_arrival_first()) }}

)

select
    order_id,
    line_number,
    product_id,
    quantity,
    unit_price,
    discount_amount,
    _batch_dt,
    _file,
    _line
from latest_versions
