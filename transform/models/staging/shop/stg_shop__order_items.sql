-- Order lines, one row per (order_id, line_number). Lines arrive once; should one be re-sent,
-- the later batch (then file, line) replaces the earlier one, as for other re-sent rows.
with source as (

    select * from {{ source('raw', 'shop_order_items') }}

),

versions as (

    select
        *,
        row_number() over (partition by order_id, line_number order by {{ last_arrival_first() }}) as version_rank
    from source

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
from versions
where version_rank = 1
