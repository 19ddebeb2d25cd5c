-- One row per order that was ever paid: when it was paid, shipped and delivered, read from every
-- version of the order (kpis.md "Fulfilment and delivery"; definitions word for word in the YAML).
-- Rules we chose where kpis.md is silent (docs/decisions.md, 2026-12-05):
--   * the promise, like carrier and ship_country, comes from the latest version that has one;
--   * the events' instants are compared in hours (seconds / 3600), the promise against the local
--     date of delivered_at in the reporting time zone;
--   * orders never in paid, shipped or delivered (pending, or cancelled before payment) have no
--     row: they never enter a fulfilment day.

--
-- Kept by order id: a run rebuilds the orders whose versions stg_shop__order_versions rebuilds
-- (stg_shop__order_rebuild_ids), from every version of those orders.
{{ config(**rebuild_keys_config('order_id', 'stg_shop__order_rebuild_ids')) }}
-- depends_on: {{ ref('stg_shop__order_rebuild_ids') }}

-- One aggregate over the versions (one per order and updated_at after staging), no window: the
-- latest version that has a value is the one with the greatest updated_at among them.
with events as (

    select
        order_id,
        min(case when status in ('paid', 'shipped', 'delivered') then updated_at end) as paid_at,
        min(case when status in ('shipped', 'delivered') then updated_at end) as shipped_at,
        min(case when status = 'delivered' then updated_at end) as delivered_at,
        -- kpis.md: "carrier and ship_country from the latest version that has them"
        max_by(carrier, updated_at) filter (where carrier is not null) as carrier,
        max_by(ship_country, updated_at) filter (where ship_country is not null) as ship_country,
        max_by(promised_delivery_date, updated_at) filter (
            where promised_delivery_date is not null
        ) as promised_delivery_date
    from {{ rows_of_rebuilt_keys(ref('stg_shop__order_versions'), 'order_id', ref('stg_shop__order_rebuild_ids')) }}
    group by order_id

)

select
    events.order_id,
    events.paid_at,
    {{ to_local_date('events.paid_at') }} as paid_date,
    events.shipped_at,
    events.delivered_at,
    {{ to_local_date('events.delivered_at') }} as delivered_date,
    events.ship_country,
    events.carrier,
    coalesce(events.carrier, 'unknown') as carrier_or_unknown,
    events.promised_delivery_date,
    {{ timestamp_diff_in('events.paid_at', 'events.shipped_at', 'second', 3600) }} as handling_hours,
    {{ timestamp_diff_in('events.shipped_at', 'events.delivered_at', 'second', 3600) }} as transit_hours,
    case
        when events.delivered_at is not null and events.promised_delivery_date is not null
            then {{ to_local_date('events.delivered_at') }} <= events.promised_delivery_date
    end as is_on_time
from events
where events.paid_at is not null
