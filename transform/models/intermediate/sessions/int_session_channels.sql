-- One row per traffic session with its channel (kpis.md: "session channel: channel of the
-- session's first event, by the channel rules"). The rules are the seed `channel_rules`; each
-- session is compared with every rule and the matching rule with the lowest priority wins.
-- int_sessions already carries the first event's utm_*, referrer and landing page_url (first
-- event = earliest event_ts, ties by event_id).
--
-- Incremental like int_sessions (delete+insert on session_date, the same dates): matching every
-- session against every rule is the costliest step of a daily run when done for all sessions.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
with sessions as (

    select * from {{ ref('int_sessions') }}
    {% if is_incremental() %}
    where session_date in ({{ session_rebuild_dates() }})
    {% endif %}

),

rules as (

    select
        priority,
        match_kind,
        lower(trim(coalesce(match_value, ''))) as match_value,
        channel
    from {{ ref('channel_rules') }}

),

landing as (

    select
        session_id,
        session_date,
        nullif(lower(trim(utm_medium)), '') as utm_medium,
        nullif(lower(trim(utm_source)), '') as utm_source,
        {{ url_host('referrer') }} as raw_referrer_host,
        {{ url_host('landing_page_url') }} as page_host,
        nullif(trim(referrer), '') as referrer
    from sessions

),

-- kpis.md rule 9: a referrer whose host equals the host of the event's own page_url is internal
-- navigation and counts as empty
external_referrers as (

    select
        session_id,
        session_date,
        utm_medium,
        utm_source,
        case
            when referrer is null then null
            when raw_referrer_host is not null and raw_referrer_host = page_host then null
            else coalesce(raw_referrer_host, lower(referrer))
        end as referrer_host
    from landing

),

-- Sessions share a few thousand combinations of the attributes the rules read: each combination
-- is matched against the rules once (matching every session ranked millions of rule matches).
attribute_combinations as (

    select distinct utm_medium, utm_source, referrer_host
    from external_referrers

),

matches as (

    select
        attribute_combinations.utm_medium,
        attribute_combinations.utm_source,
        attribute_combinations.referrer_host,
        rules.priority,
        rules.channel,
        row_number() over (
            partition by
                attribute_combinations.utm_medium,
                attribute_combinations.utm_source,
                attribute_combinations.referrer_host
            order by rules.priority, rules.channel
        ) as match_rank
    from attribute_combinations
    inner join rules
        on (rules.match_kind = 'utm_medium' and attribute_combinations.utm_medium = rules.match_value)
        or (rules.match_kind = 'utm_source' and attribute_combinations.utm_source = rules.match_value)
        or (rules.match_kind = 'referrer_host'
            and {{ host_matches_domain('attribute_combinations.referrer_host', 'rules.match_value') }})
        or (rules.match_kind = 'any_referrer' and attribute_combinations.referrer_host is not null)
        or rules.match_kind = 'always'

)

select
    external_referrers.session_id,
    external_referrers.session_date,
    external_referrers.utm_medium,
    external_referrers.utm_source,
    external_referrers.referrer_host,
    matches.priority as channel_rule,
    matches.channel
from external_referrers
inner join matches
    on matches.utm_medium is not distinct from external_referrers.utm_medium
    and matches.utm_source is not distinct from external_referrers.utm_source
    and matches.referrer_host is not distinct from external_referrers.referrer_host
    and matches.match_rank = 1
