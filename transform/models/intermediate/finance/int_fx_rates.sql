-- Exchange rates as validity ranges, one row per (currency, valid_from).
-- An amount of a date d in currency c converts with the row of c where
-- valid_from <= d < valid_to (valid_to null = open-ended): the rate of d itself when the file
-- has one, else the latest earlier rate (docs/design.md, "fx"). Dates before a currency's first
-- rate match no row; the *_base columns of such amounts stay null and a test fails on them.
-- The base currency converts at 1 from the beginning of time, whatever the file says about it.
with listed_rates as (

    select
        currency,
        rate_date,
        -- type_fx_rate: an amount * rate keeps all 14 decimals and never overflows
        cast(rate_to_base as {{ type_fx_rate() }}) as rate_to_base
    from {{ ref('stg_finance__fx_rates') }}
    where currency <> {{ sql_literal(base_currency()) }}

),

base_rate as (

    select
        {{ sql_literal(base_currency()) }} as currency,
        cast('0001-01-01' as date) as rate_date,
        cast(1 as {{ type_fx_rate() }}) as rate_to_base

),

rates as (

    select * from listed_rates
    union all
    select * from base_rate

)

select
    currency,
    rate_date as valid_from,
    lead(rate_date) over (partition by currency order by rate_date) as valid_to,
    rate_to_base
from rates
