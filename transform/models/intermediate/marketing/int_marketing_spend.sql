-- Daily ad spend per channel and campaign in the base currency, converted at the spend's own
-- date (the latest earlier rate when that date has none; no rate at all leaves spend_base null
-- and fails a test).
with spend as (

    select * from {{ ref('stg_marketing__spend') }}

),

fx_rates as (

    select * from {{ ref('int_fx_rates') }}

)

select
    spend.spend_date,
    spend.channel,
    spend.campaign,
    spend.impressions,
    spend.clicks,
    spend.currency,
    spend.spend,
    fx_rates.rate_to_base as fx_rate,
    spend.spend * fx_rates.rate_to_base as spend_base
from spend
left join fx_rates
    on fx_rates.currency = spend.currency
    and spend.spend_date >= fx_rates.valid_from
    and (fx_rates.valid_to is null or spend.spend_date < fx_rates.valid_to)
