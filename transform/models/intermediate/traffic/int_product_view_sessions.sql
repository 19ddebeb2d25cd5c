-- One row per (local date, product, session) with at least one `product_view` of the product in
-- the session that day, and whether a paid order placed in the same session contains the product
-- (kpis.md view_to_purchase_rate: "distinct sessions with a `product_view` of the product and a
-- paid order containing it placed in the same session / distinct sessions viewing it").
-- Views count on the local date of the view event itself (a session that views a product on
-- both sides of midnight views it on both days). Presence, not order: the order may come
-- before or after the view, and on another day, as long as it is the same session.
--
-- Incremental, keyed on view_date: a run rebuilds the dates of int_product_view_rebuild_days (the
-- rebuilt event days, and the dates whose purchase flags the paid orders changed).
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuild_days('view_date', 'select view_date from ' ~ ref('int_product_view_rebuild_days')) }}",
    **rebuild_days_strategy('view_date')
) }}
-- depends_on: {{ ref('int_product_view_rebuild_days') }}
with product_views as (

    select
        event_date as view_date,
        product_id,
        session_id,
        count(*) as product_views
    from {{ ref('stg_traffic__events') }}
    where event_name = 'product_view'
        and product_id is not null
    {% if is_incremental() %}
        and {{ on_rebuild_days('event_date', 'select view_date from ' ~ ref('int_product_view_rebuild_days')) }}
    {% endif %}
    group by event_date, product_id, session_id

),

purchased_in_session as (

    {{ paid_session_products() }}

)

select
    product_views.view_date,
    product_views.product_id,
    product_views.session_id,
    product_views.product_views,
    purchased_in_session.session_id is not null as purchased_in_session
from product_views
left join purchased_in_session
    on purchased_in_session.session_id = product_views.session_id
    and purchased_in_session.product_id = product_views.product_id
