-- Daily stock snapshots (optional entity), one row per (snapshot_date, product_id, warehouse_id):
-- a row re-sent in a later batch replaces the old one (later batch, then file, then line wins).
-- `date` is already the local day the snapshot describes (end of day): no time-zone conversion.
with latest_versions as (

    {{ latest_version(source('raw', 'shop_inventory'), adapter.quote("date") ~ ', product_id, warehouse_id', last_arrival_first()) }}

)

select
    {{ adapter.quote("date") }} as snapshot_date,
    product_id,
    warehouse_id,
    on_hand,
    inbound,
    on_hand = 0 as is_out_of_stock,
    _batch_dt,
    _file,
    _line
from latest_versions
