-- Daily ad spend, one row per (spend_date, channel, campaign): a row re-sent in a later batch
-- replaces the old one. Channel names are compared lower-cased (kpis.md channel rules).
-- Spend stays in its own currency; int_marketing_spend converts it at its own date.
with latest_versions as (

    {{ latest_version(source('raw', 'marketing_spend'), adapter.quote("date") ~ ', lower(trim(channel)), campaign', last_arrival_first()) }}

)

select
    {{ adapter.quote("date") }} as spend_date,
    lower(trim(channel)) as channel,
    campaign,
    impressions,
    clicks,
    spend,
    upper(currency) as currency,
    _batch_dt,
    _file,
    _line
from latest_versions
