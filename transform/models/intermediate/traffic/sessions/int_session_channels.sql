-- One row per traffic session with its channel (kpis.md: "session channel: channel of the
-- session's first event, by the channel rules"). The rules are the seed `channel_rules`; each
-- session is compared with every rule and the matching rule with the lowest priority wins.
-- int_sessions already carries the first event's utm_*, referrer and landing page_url (first
-- event = earliest event_ts, ties by event_id).
--
-- Incremental like int_sessions (delete+insert on session_date, the same dates): matching every
-- session against every rule is the costliest step of a daily run when done for all sessions.
-- depends_on: {{ ref('int_traffic_rebuild_days') }}
{{ config(**rebuild_days_strategy('session_date')) }}
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
        nullif(trim(referrer), '') as referrer,
        landing_page_url
    from sessions

),

-- url_host is three regular expressions: evaluated once per distinct URL (a year of the medium
-- shop has ~4,500 landing pages and 17 referrers), not once per session (5.8M: 8 of this model's
-- 10 CPU seconds)
referrer_hosts as (

    select referrer, {{ url_host('referrer') }} as host
    from (
        select distinct referrer
        from landing
        where referrer is not null
    ) as distinct_referrers

),

page_hosts as (

    select landing_page_url, {{ url_host('landing_page_url') }} as host
    from (
        select distinct landing_page_url
        from landing
        where landing_page_url is not null
    ) as distinct_pages

),

-- kpis.md rule 9: a referrer whose host equals the host of the event's own page_url is internal
-- navigation and counts as empty
external_referrers as (

    select
        landing.session_id,
        landing.session_date,
        landing.utm_medium,
        landing.utm_source,
        case
            when landing.referrer is null then null
            when referrer_hosts.host is not null and referrer_hosts.host = page_hosts.host then null
            else coalesce(referrer_hosts.host, lower(landing.referrer))
        end as referrer_host
    from landing
    left join referrer_hosts
        on referrer_hosts.referrer = landing.referrer
    left join page_hosts
        on page_hosts.landing_page_url = landing.landing_page_url

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
        or (
            rules.match_kind = 'referrer_host'
            and {{ host_matches_domain('attribute_combinations.referrer_host', 'rules.match_value') }}
        )
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
