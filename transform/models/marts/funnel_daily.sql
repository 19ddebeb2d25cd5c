-- The purchase funnel per local day, platform and device type of the session's first event
-- (kpis.md, "Traffic and conversion"; published mart). Definitions are in funnel_daily.yml, word
-- for word from kpis.md. Steps are presence in the session, not order of events. A missing
-- platform or device_type on the first event is reported as 'unknown'. Ratios are null where
-- their denominator is 0.
with session_steps as (

    select
        session_date,
        coalesce(platform, 'unknown') as platform,
        coalesce(device_type, 'unknown') as device_type,
        has_product_view,
        has_add_to_cart,
        has_begin_checkout,
        has_purchase
    from {{ ref('int_sessions') }}

),

daily as (

    select
        session_date,
        platform,
        device_type,
        count(*) as sessions,
        {{ count_where('has_product_view') }} as reached_product,
        {{ count_where('has_add_to_cart') }} as reached_cart,
        {{ count_where('has_begin_checkout') }} as reached_checkout,
        {{ count_where('has_purchase') }} as purchased
    from session_steps
    group by session_date, platform, device_type

)

select
    session_date as {{ adapter.quote('date') }},
    cast(platform as {{ dbt.type_string() }}) as platform,
    cast(device_type as {{ dbt.type_string() }}) as device_type,
    cast(sessions as {{ dbt.type_bigint() }}) as sessions,
    cast(reached_product as {{ dbt.type_bigint() }}) as reached_product,
    cast(reached_cart as {{ dbt.type_bigint() }}) as reached_cart,
    cast(reached_checkout as {{ dbt.type_bigint() }}) as reached_checkout,
    cast(purchased as {{ dbt.type_bigint() }}) as purchased,
    {{ safe_divide('reached_product', 'sessions') }} as product_rate,
    {{ safe_divide('reached_cart', 'reached_product') }} as cart_rate,
    {{ safe_divide('reached_checkout', 'reached_cart') }} as checkout_rate,
    {{ safe_divide('purchased', 'reached_checkout') }} as purchase_rate
from daily
