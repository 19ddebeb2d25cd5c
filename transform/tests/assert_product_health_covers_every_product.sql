-- product_health has one row per product of the products feed, and its as_of_date is the
-- latest date on which kpi_daily counts a placed order; no orders at all -> no rows.
{{ config(meta={'dagster': {'ref': {'name': 'product_health'}}}) }}
with expected as (

    select max({{ adapter.quote('date') }}) as as_of_date
    from {{ ref('kpi_daily') }}
    where placed_orders > 0

),

missing_products as (

    select products.product_id, 'product without a product_health row' as problem
    from {{ ref('stg_shop__products') }} as products
    cross join expected
    where expected.as_of_date is not null
        and not exists (
            select 1 from {{ ref('product_health') }} as health where health.product_id = products.product_id
        )

),

wrong_as_of as (

    select health.product_id, 'as_of_date is not the latest order date' as problem
    from {{ ref('product_health') }} as health
    cross join expected
    where health.as_of_date is distinct from expected.as_of_date

)

select * from missing_products
union all
select * from wrong_as_of
