-- The view dates whose rows int_product_view_sessions rebuilds this run (docs/design.md,
-- "Incremental models and late data"): every rebuilt event day, and every date with a row whose
-- `purchased_in_session` no longer matches the paid orders (an order paid, cancelled, re-sent
-- with other lines or another session, on any day). Comparing each stored flag with the paid
-- orders as they are now finds them all, whatever changed them. Built before
-- int_product_view_sessions changes.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}, {{ ref('int_order_items') }}
{%- set previous = previous_state('int_product_view_sessions') if execute else none %}
{% if should_full_refresh() or not execute or previous is none %}
-- full refresh or first build: int_product_view_sessions is built whole
select cast(null as date) as view_date
where 1 = 0
{% else %}
with

paid_pairs as (

    {{ paid_session_products() }}

)

select event_date as view_date from {{ ref('int_traffic_rebuild_days') }}
union
select previous_rows.view_date
from {{ previous }} as previous_rows
left join paid_pairs
    on paid_pairs.session_id = previous_rows.session_id
    and paid_pairs.product_id = previous_rows.product_id
where previous_rows.purchased_in_session <> (paid_pairs.session_id is not null)
{% endif %}
