-- The order ids whose versions, latest state and lines the keyed staging tables rebuild this run
-- (macros/incremental.sql, rebuild_keys_config; docs/design.md, "Incremental models and late
-- data"): every order the batch window brings a version or a line of, or brought one of before a
-- re-ingest (the `_batch_dt` of the rows loaded before). Built before those tables change.
-- Without their previous tables (a full refresh, a first build, or views of an older layout)
-- they are built whole; should only one of them exist, every order id is listed.
-- depends_on: {{ source('raw', 'shop_orders') }}, {{ source('raw', 'shop_order_items') }}
{%- set versions = previous_state('stg_shop__order_versions') if execute else none %}
{%- set lines = previous_state('stg_shop__order_items') if execute else none %}
{%- set latest = previous_state('stg_shop__orders') if execute else none %}
{% if should_full_refresh() or not execute %}
select cast(null as {{ dbt.type_string() }}) as order_id where 1 = 0
{% elif versions is none or lines is none or latest is none %}
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
