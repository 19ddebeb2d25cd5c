-- The order dates whose lines int_order_items rebuilds this run (docs/design.md, "Incremental
-- models and late data"): the dates, old and new, of every order that the run's batch window
-- changes (an order row, an order line, or a line or latest order version it used to hold before
-- a re-ingest), and every date from the earliest fx rate the window brings (a rate also serves
-- later dates without their own rate). Built before int_order_items changes.
-- depends_on: {{ ref('int_orders') }}, {{ source('raw', 'shop_orders') }}, {{ source('raw', 'shop_order_items') }}, {{ source('raw', 'finance_fx_rates') }}
{%- set previous = previous_state('int_order_items') if execute else none %}
{%- if previous is not none and '_order_batch_dt' not in (adapter.get_columns_in_relation(previous) | map(attribute='name') | list) %}
  {%- set previous = none %}{# built before the lines carried their batches: rebuild every date #}
{%- endif %}
{% if should_full_refresh() or not execute %}
select cast(null as date) as order_date where 1 = 0
{% elif previous is none %}
-- first build, or lines of an older layout: every order date
select distinct order_date from {{ ref('int_orders') }}
{% else %}
with

window_orders as (

    select order_id from {{ source('raw', 'shop_orders') }} where {{ in_batch_window('_batch_dt') }}
    union
    select order_id from {{ source('raw', 'shop_order_items') }} where {{ in_batch_window('_batch_dt') }}
    union
    select order_id from {{ previous }}
    where {{ in_batch_window('_batch_dt') }} or {{ in_batch_window('_order_batch_dt') }}

)

select order_date from {{ ref('int_orders') }} where order_id in (select order_id from window_orders)
union
select order_date from {{ previous }} where order_id in (select order_id from window_orders)
union
select order_date from {{ ref('int_orders') }} where order_date >= {{ earliest_new_fx_date() }}
{% endif %}
