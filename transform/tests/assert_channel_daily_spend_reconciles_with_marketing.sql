-- Σ spend of channel_daily must equal Σ spend_base of int_marketing_spend (every spend row lands
-- in exactly one (date, channel) row). Up to 0.01 of rounding is tolerated.
{{ config(meta={'dagster': {'ref': {'name': 'channel_daily'}}}) }}
with from_spend as (

    select coalesce(sum(spend_base), 0) as spend from {{ ref('int_marketing_spend') }}

),

from_mart as (

    select coalesce(sum(spend), 0) as spend from {{ ref('channel_daily') }}

)

select
    from_spend.spend as marketing_spend,
    from_mart.spend as mart_spend
from from_spend
cross join from_mart
where abs(from_spend.spend - from_mart.spend) > 0.01
