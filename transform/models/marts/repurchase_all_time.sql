-- The repurchase rate over all the data (kpis.md, "Customers": repurchase_rate of a period P, with
-- P = every order date loaded; published mart, one row). Definitions are in
-- repurchase_all_time.yml, word for word from kpis.md. Rules we chose (docs/design.md,
-- "Customers"):
--   * P runs from the earliest to the latest order date of any order (any status); the latest
--     is the as-of date D, as in customer_rfm;
--   * one row once there is an order; no orders at all: no row (nothing to describe);
--   * customers are counted by customer_id (int_customer_first_orders: one row per customer with
--     a paid order, with the number of their paid orders); no id is published.
with

order_span as (
    select
        min(order_date) as first_order_date,
        max(order_date) as as_of_date,
        count(*) as orders
    from {{ ref('int_orders') }}
),

customers as (
    select
        count(*) as buying_customers,
        {{ count_where('paid_orders >= 2') }} as repeat_customers
    from {{ ref('int_customer_first_orders') }}
)

select
    order_span.as_of_date,
    order_span.first_order_date,
    cast(customers.buying_customers as {{ dbt.type_bigint() }}) as buying_customers,
    cast(coalesce(customers.repeat_customers, 0) as {{ dbt.type_bigint() }}) as repeat_customers,
    {{ safe_divide('customers.repeat_customers', 'customers.buying_customers') }} as repurchase_rate
from order_span
cross join customers
where order_span.orders > 0
