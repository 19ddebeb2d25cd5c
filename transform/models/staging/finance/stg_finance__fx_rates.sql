-- Daily rates to the base currency, one row per (rate_date, currency): a later batch's rate
-- replaces the earlier one. int_fx_rates turns these into validity ranges with the
-- "latest earlier rate" fallback and the base currency at 1.
with latest_versions as (

    {{ latest_version(source('raw', 'finance_fx_rates'), adapter.quote("date") ~ ', upper(currency)', last_arrival_first()) }}

)

select
    {{ adapter.quote("date") }} as rate_date,
    upper(currency) as currency,
    rate_to_base,
    _batch_dt,
    _file,
    _line
from latest_versions
