-- Daily rates to the base currency, one row per (rate_date, currency): a later batch's rate
-- replaces the earlier one. int_fx_rates turns these into validity ranges with the
-- "latest earlier rate" fallback and the base currency at 1.
with source as (

    select * from {{ source('raw', 'finance_fx_rates') }}

),

versions as (

    select
        *,
        upper(currency) as currency_code,
        row_number() over (partition by {{ adapter.quote("date") }}, upper(currency) order by {{ last_arrival_first() }}) as version_rank
    from source

)

select
    {{ adapter.quote("date") }} as rate_date,
    currency_code as currency,
    rate_to_base,
    _batch_dt,
    _file,
    _line
from versions
where version_rank = 1
