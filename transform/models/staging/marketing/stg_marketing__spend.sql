-- Daily ad spend, one row per (spend_date, channel, campaign): a row re-sent in a later batch
-- replaces the old one. Channel names are compared lower-cased (kpis.md channel rules).
-- Spend stays in its own currency; int_marketing_spend converts it at its own date.
with source as (

    select * from {{ source('raw', 'marketing_spend') }}

),

versions as (

    select
        *,
        lower(trim(channel)) as channel_name,
        row_number() over (
            partition by {{ adapter.quote("date") }}, lower(trim(channel)), campaign
            order by {{ last_arrival_first() }}
        ) as version_rank
    from source

)

select
    {{ adapter.quote("date") }} as spend_date,
    channel_name as channel,
    campaign,
    impressions,
    clicks,
    spend,
    upper(currency) as currency,
    _batch_dt,
    _file,
    _line
from versions
where version_rank = 1
