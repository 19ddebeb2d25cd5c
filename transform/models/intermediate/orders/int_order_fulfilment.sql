-- One row per order that was ever paid: when it was paid, shipped and delivered, read from every
-- version of the order (kpis.md "Fulfilment and delivery"; definitions word for word in the YAML).
-- Rules we chose where kpis.md is silent (docs/decisions.md, 2026-12-05):
--   * the promise, like carrier and ship_country, comes from the latest version that has one;
--   * the events' instants are compared in hours (seconds / 3600), the promise against the local
--     date of delivered_at in the reporting time zone;
--   * orders never in paid, shipped or delivered (pending, or cancelled before payment) have no
--     row: they never enter a fulfilment day.

with versions as (

    select * from {{ ref('stg_shop__order_versions') }}

),

events as (

    select
        order_id,
        min(case when status in ('paid', 'shipped', 'delivered') then updated_at end) as paid_at,
        min(case when status in ('shipped', 'delivered') then updated_at end) as shipped_at,
        min(case when status = 'delivered' then updated_at end) as delivered_at
    from versions
    group by order_id

),

-- the latest version's value among the versions that have one (kpis.md: "carrier and
-- ship_country from the latest version that has them")
latest_values as (

    select
        order_id,
        max(case when carrier_rank = 1 then carrier end) as carrier,
        max(case when country_rank = 1 then ship_country end) as ship_country,
        max(case when promise_rank = 1 then promised_delivery_date end) as promised_delivery_date
    from (
        select
            order_id,
            carrier,
            ship_country,
            promised_delivery_date,
            row_number() over (
                partition by order_id order by case when carrier is null then 1 else 0 end, {{ latest_first() }}
            ) as carrier_rank,
            row_number() over (
                partition by order_id order by case when ship_country is null then 1 else 0 end, {{ latest_first() }}
            ) as country_rank,
            row_number() over (
                partition by order_id
                order by case when promised_delivery_date is null then 1 else 0 end, {{ latest_first() }}
            ) as promise_rank
        from versions
    ) as ranked
    group by order_id

)

select
    events.order_id,
    events.paid_at,
    {{ to_local_date('events.paid_at') }} as paid_date,
    events.shipped_at,
    events.delivered_at,
    {{ to_local_date('events.delivered_at') }} as delivered_date,
    latest_values.ship_country,
    latest_values.carrier,
    coalesce(latest_values.carrier, 'unknown') as carrier_or_unknown,
    latest_values.promised_delivery_date,
    {{ timestamp_diff_in('events.paid_at', 'events.shipped_at', 'second', 3600) }} as handling_hours,
    {{ timestamp_diff_in('events.shipped_at', 'events.delivered_at', 'second', 3600) }} as transit_hours,
    case
        when events.delivered_at is not null and latest_values.promised_delivery_date is not null
            then {{ to_local_date('events.delivered_at') }} <= latest_values.promised_delivery_date
    end as is_on_time
from events
inner join latest_values on latest_values.order_id = events.order_id
where events.paid_at is not null
