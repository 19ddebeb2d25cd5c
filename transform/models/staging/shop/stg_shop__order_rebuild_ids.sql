-- The order ids whose versions, latest state and lines the keyed staging tables rebuild this run
-- (macros/incremental.sql, rebuild_keys_config; docs/design.md, "Incremental models and late
-- data"): every order the batch window brings a version or a line of, or brought one of before a
-- re-ingest (the `_batch_dt` of the versions and lines loaded before: the latest state is one of
-- the versions). Built before those tables change. A table without its previous state (a full
-- refresh, a first build, a view of an older layout) is built whole; should the versions or the
-- lines lack theirs, every order id is listed, as the window's earlier rows cannot be known.
-- depends_on: {{ source('raw', 'shop_orders') }}, {{ source('raw', 'shop_order_items') }}
{%- set versions = previous_state('stg_shop__order_versions') if execute else none %}
{%- set lines = previous_state('stg_shop__order_items') if execute else none %}
{% if should_full_refresh() or not execute %}
select cast(null as {{ dbt.type_string() }}) as order_id where 1 = 0
{% elif versions is none or lines is none %}
select order_id from {{ source('raw', 'shop_orders') }}
union
select order_id from {{ source('raw', 'shop_order_items') }}
{% else %}
select order_id from {{ source('raw', 'shop_orders') }} where {{ in_batch_window('_batch_dt') }}
union
select order_id from {{ source('raw', 'shop_order_items') }} where {{ in_batch_window('_batch_dt') }}
union
select order_id from {{ versions }} where {{ in_batch_window('_batch_dt') }}
union
select order_id from {{ lines }} where {{ in_batch_window('_batch_dt') }}
{% endif %}
