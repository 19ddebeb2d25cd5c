-- The customer ids whose latest state stg_shop__customers rebuilds this run (macros/incremental.sql,
-- changed_keys).
-- depends_on: {{ source('raw', 'shop_customers') }}
{{ changed_keys('shop_customers', 'customer_id', 'stg_shop__customers') }}
