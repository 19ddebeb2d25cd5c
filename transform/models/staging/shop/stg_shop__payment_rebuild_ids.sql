-- The payment ids whose latest state stg_shop__payments rebuilds this run (macros/incremental.sql,
-- changed_keys).
-- depends_on: {{ source('raw', 'shop_payments') }}
{{ changed_keys('shop_payments', 'payment_id', 'stg_shop__payments') }}
