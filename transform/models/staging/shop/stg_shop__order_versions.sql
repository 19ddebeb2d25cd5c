-- Every version of every order: one row per (order_id, updated_at). Orders are change-captured,
-- so each row the feed sends is the order's state from its updated_at on; two rows with the same
-- updated_at are one version and the later batch (then file, line) wins, as for the latest state
-- (stg_shop__orders). kpis.md "Fulfilment and delivery" reads paid_at, shipped_at and
-- delivered_at from every version, not only the latest: an order shipped and delivered within
-- one batch keeps its `shipped` version here while its latest state says `delivered`.
-- Only the columns the status history needs; the latest state keeps the rest.
with versions as (

    {{ latest_version(source('raw', 'shop_orders'), 'order_id, updated_at') }}

)

select
    order_id,
    updated_at,
    status,
    upper(ship_country) as ship_country,
    nullif(trim(carrier), '') as carrier,
    promised_delivery_date,
    _batch_dt,
    _file,
    _line
from versions
