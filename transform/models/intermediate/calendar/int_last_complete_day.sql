-- The last complete day (kpis.md, Conventions): "the latest batch day loaded (local date)", one
-- row. As-of marts (customer_rfm) and the provisional marks (kpi_daily.is_final,
-- cohort_retention.is_complete, session_paths.is_complete) are computed as of it.
--
-- A batch day is a `dt=` folder of the landing zone; "loaded" = at least one row of some entity
-- arrived in it (a folder whose files were empty or wholly quarantined loads nothing). Every raw
-- table counts, so a day that brought only traffic or only refunds is still loaded. Null when
-- nothing has been loaded at all.
{%- set raw_tables = [
    'shop_orders', 'shop_order_items', 'shop_payments', 'shop_refunds', 'shop_customers',
    'shop_products', 'shop_inventory', 'traffic_events', 'service_events', 'marketing_spend',
    'finance_fx_rates', 'plan_targets'
] %}

with batch_days as (

    {%- for table in raw_tables %}
    select max(_batch_dt) as batch_day from {{ source('raw', table) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}

)

select cast(max(batch_day) as date) as last_complete_day
from batch_days
