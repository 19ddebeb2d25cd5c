-- One row per customer with at least one paid order: the keyed-hash customer key the published
-- customer marts carry instead of the clear customer_id, and the customer's cohort (kpis.md:
-- "cohort: month of a customer's first paid order"). First paid order as in
-- int_customer_first_orders (earliest created_at, ties by order_id).
select
    customer_id,
    -- the project's keyed hash (macros/pii.sql): marts never carry the clear customer_id
    {{ hash_pii('customer_id') }} as customer_key,
    first_paid_order_date,
    cast({{ dbt.date_trunc('month', 'first_paid_order_date') }} as date) as cohort_month
from {{ ref('int_customer_first_orders') }}
