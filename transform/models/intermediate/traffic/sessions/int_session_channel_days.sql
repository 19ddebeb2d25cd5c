-- Sessions per (session date, channel, campaign), and those with a purchase event (kpis.md:
-- sessions, converted sessions; the campaign is the first event's utm_campaign, trimmed, '(none)'
-- when blank). channel_daily and campaign_daily read these day totals instead of joining every
-- session to its channel every run.
--
-- Incremental like int_sessions (delete+insert on session_date, the same dates): a date's totals
-- depend only on that date's sessions.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
{{ config(**rebuild_days_strategy('session_date')) }}
with sessions as (

    select session_id, utm_campaign, has_purchase
    from {{ ref('int_sessions') }}
    {% if is_incremental() %}
    where session_date in ({{ session_rebuild_dates() }})
    {% endif %}

),

session_channels as (

    select session_id, session_date, channel
    from {{ ref('int_session_channels') }}
    {% if is_incremental() %}
    where session_date in ({{ session_rebuild_dates() }})
    {% endif %}

)

select
    session_channels.session_date,
    session_channels.channel,
    {{ campaign_or_none('sessions.utm_campaign') }} as campaign,
    count(*) as sessions,
    {{ count_where('sessions.has_purchase') }} as converted_sessions
from session_channels
inner join sessions
    on sessions.session_id = session_channels.session_id
group by
    session_channels.session_date,
    session_channels.channel,
    {{ campaign_or_none('sessions.utm_campaign') }}
