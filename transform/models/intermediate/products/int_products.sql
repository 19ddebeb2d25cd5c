-- One row per product in its latest state: the product dimension of the semantic layer (category,
-- subcategory, brand), the same state product_daily and product_health report.
select
    product_id,
    title,
    category,
    subcategory,
    brand,
    is_active,
    launched_date
from {{ ref('stg_shop__products') }}
