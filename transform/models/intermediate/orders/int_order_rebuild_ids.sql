-- The order ids whose rows int_orders rebuilds this run (macros/incremental.sql,
-- rebuild_keys_config): the orders whose latest state the keyed staging tables rebuild
-- (stg_shop__order_rebuild_ids), and every order dated on or after the earliest fx rate the batch
-- window brings (a rate also serves later dates without their own rate). Without a previous
-- int_orders (a full refresh, a first build) int_orders is built whole and this list is not read.
-- depends_on: {{ ref('stg_shop__order_rebuild_ids') }}, {{ ref('stg_shop__orders') }}, {{ source('raw', 'finance_fx_rates') }}
{% if should_full_refresh() or not execute %}
select cast(null as {{ dbt.type_string() }}) as order_id where 1 = 0
{% else %}
select order_id from {{ ref('stg_shop__order_rebuild_ids') }}
union
select order_id from {{ ref('stg_shop__orders') }}
where created_date >= {{ earliest_new_fx_date() }}
{% endif %}
