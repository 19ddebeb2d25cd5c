-- Latest state of every product.
with latest_versions as (

    {{ latest_version(source('raw', 'shop_products'), 'product_id') }}

)

select
    product_id,
    title,
    category,
    subcategory,
    brand,
    list_price,
    unit_cost,
    upper(currency) as currency,
    launched_at,
    {{ to_local_timestamp('launched_at') }} as launched_at_local,
    {{ to_local_date('launched_at') }} as launched_date,
    is_active,
    updated_at,
    {{ to_local_timestamp('updated_at') }} as updated_at_local,
    _batch_dt,
    _file,
    _line
from latest_versions
