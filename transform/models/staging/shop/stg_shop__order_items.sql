-- Order lines, one row per (order_id, line_number). Lines arrive once; should one be re-sent,
-- the later batch (then file, line) replaces the earlier one, as for other re-sent rows.
--
-- A table kept by order id, like stg_shop__orders: as a view, each of its four data tests and
-- int_order_items ranked every line again (~0.3 s each on a year of the medium shop).
{{ config(**rebuild_keys_config('order_id', 'stg_shop__order_rebuild_ids')) }}
-- depends_on: {{ ref('stg_shop__order_rebuild_ids') }}
with latest_versions as (

    {{ latest_version(rows_of_rebuilt_keys(source('raw', 'shop_order_items'), 'order_id', ref('stg_shop__order_rebuild_ids')), 'order_id, line_number', last_arrival_first()) }}

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
