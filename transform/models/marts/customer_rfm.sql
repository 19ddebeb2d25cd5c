-- RFM per customer as of the last complete day (kpis.md, "Customers", second edition; published
-- mart). Definitions are in customer_rfm.yml, word for word from kpis.md. Scores come from
-- int_customer_rfm_scores; this model adds the segment (kpis.md's rules, first match wins), the
-- customer's age band, country and region (their latest version in shop/customers) and replaces
-- the customer id by its keyed hash (int_customer_cohorts).
with scores as (

    select * from {{ ref('int_customer_rfm_scores') }}

),

customer_keys as (

    select customer_id, customer_key
    from {{ ref('int_customer_cohorts') }}

),

customers as (

    select customer_id, birth_year, country, region
    from {{ ref('stg_shop__customers') }}

)

select
    customer_keys.customer_key,
    scores.as_of_date,
    cast(scores.recency_days as {{ dbt.type_bigint() }}) as recency_days,
    cast(scores.frequency as {{ dbt.type_bigint() }}) as frequency,
    cast(scores.monetary as {{ type_money() }}) as monetary,
    scores.r_score,
    scores.f_score,
    scores.m_score,
    cast(case
        when scores.r_score >= 4 and scores.f_score >= 4 and scores.m_score >= 4 then 'champions'
        when scores.r_score >= 3 and scores.f_score >= 3 then 'loyal'
        when scores.r_score <= 2 and scores.f_score >= 2 then 'at_risk'
        when scores.f_score = 1 and scores.r_score >= 4 then 'new'
        when scores.r_score <= 2 and scores.f_score = 1 then 'hibernating'
        else 'potential'
    end as {{ dbt.type_string() }}) as segment,
    cast({{ age_band('customers.birth_year', 'scores.as_of_date') }} as {{ dbt.type_string() }}) as age_band,
    cast(customers.country as {{ dbt.type_string() }}) as country,
    cast(customers.region as {{ dbt.type_string() }}) as region
from scores
-- every customer with a paid order has a key; the relationships test on customer_key and the
-- row-count reconciliation test would report one that had not
inner join customer_keys
    on customer_keys.customer_id = scores.customer_id
-- a customer the shop never sent in shop/customers keeps their scores: age band `unknown`,
-- country and region null
left join customers
    on customers.customer_id = scores.customer_id
