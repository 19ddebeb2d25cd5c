-- Every paid order with the channel and campaign it is attributed to (kpis.md, "Marketing":
-- last-touch on the order's own session_id): the session's channel (int_session_channels) and
-- campaign (its first event's utm_campaign, trimmed, '(none)' when blank); a paid order whose
-- session_id is null or matches no session counts as `direct` / `(none)`. channel_daily and
-- campaign_daily read it, so both attribute alike.
--
-- Kept by order id: a run rebuilds the orders of int_order_attribution_rebuild_ids (the orders it
-- rebuilds, and the orders of the sessions it rebuilds), instead of joining every paid order with
-- every session of the shop's history (two scans of ~6M sessions a run on the medium shop).
{{ config(**rebuild_keys_config('order_id', 'int_order_attribution_rebuild_ids')) }}
-- depends_on: {{ ref('int_order_attribution_rebuild_ids') }}
with orders as (

    select *
    from {{ rows_of_rebuilt_keys(ref('int_orders'), 'order_id', ref('int_order_attribution_rebuild_ids')) }}
    where is_paid

)

select
    orders.order_id,
    orders.order_date,
    orders.total_amount_base,
    orders.session_id,
    sessions.session_date,
    coalesce(session_channels.channel, 'direct') as channel,
    -- the campaign of the session the channel comes from (the rules give every session a channel)
    case
        when session_channels.session_id is null then '(none)'
        else {{ campaign_or_none('sessions.utm_campaign') }}
    end as campaign
from orders
left join {{ ref('int_session_channels') }} as session_channels
    on session_channels.session_id = orders.session_id
left join {{ ref('int_sessions') }} as sessions
    on sessions.session_id = orders.session_id
