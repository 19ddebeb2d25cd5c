-- One row per customer with at least one paid order: the first paid order (earliest created_at,
-- ties by order_id) and its order date, which decides new vs returning customers.
with paid_orders as (

    select
        customer_id,
        order_id,
        created_at,
        order_date,
        row_number() over (partition by customer_id order by created_at, order_id) as paid_order_seq,
        count(*) over (partition by customer_id) as paid_orders
    from {{ ref('int_orders') }}
    where is_paid

)

select
    customer_id,
    order_id as first_paid_order_id,
    created_at as first_paid_order_at,
    order_date as first_paid_order_date,
    paid_orders
from paid_orders
where paid_order_seq = 1
