-- The order ids whose rows int_order_attribution rebuilds this run (macros/incremental.sql,
-- rebuild_keys_config): an order's attribution changes when the order does (int_order_rebuild_ids)
-- or when its session does, and a session changes only on the dates int_sessions rebuilds
-- (session_rebuild_dates): the orders placed in a session of those dates now, and the ones
-- attributed to a session of those dates before (that session may be gone or moved). Without a
-- previous int_order_attribution (a full refresh, a first build) it is built whole and this list is
-- not read.
-- depends_on: {{ ref('int_order_rebuild_ids') }}, {{ ref('int_orders') }}, {{ ref('int_sessions') }}, {{ ref('int_traffic_rebuild_days') }}
{%- set previous = previous_state('int_order_attribution') if execute else none %}
{% if should_full_refresh() or not execute %}
select cast(null as {{ dbt.type_string() }}) as order_id where 1 = 0
{% else %}
select order_id from {{ ref('int_order_rebuild_ids') }}
union
select orders.order_id
from {{ ref('int_orders') }} as orders
inner join {{ ref('int_sessions') }} as sessions
    on sessions.session_id = orders.session_id
where sessions.session_date in ({{ session_rebuild_dates() }})
{%- if previous is not none %}
union
select order_id from {{ previous }}
where session_date in ({{ session_rebuild_dates() }})
{%- endif %}
{% endif %}
