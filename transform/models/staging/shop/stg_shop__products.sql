-- Latest state of every product.
with source as (

    select * from {{ source('raw', 'shop_products') }}

),

versions as (

    select
        *,
        row_number() over (partition by product_id order by {{ latest_first() }}) as version_rank
    from source

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
from versions
where version_rank = 1
