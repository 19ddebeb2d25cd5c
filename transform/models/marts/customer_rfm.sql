-- RFM per customer as of the latest order date (kpis.md, "Customers"; published mart).
-- Definitions are in customer_rfm.yml, word for word from kpis.md. Scores come from
-- int_customer_rfm_scores; this model adds the segment (kpis.md's rules, first match wins) and
-- replaces the customer id by its keyed hash (int_customer_cohorts).
with scores as (

    select * from {{ ref('int_customer_rfm_scores') }}

),

customer_keys as (

    select customer_id, customer_key
    from {{ ref('int_customer_cohorts') }}

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
        when scores.f_score >= 4 then 'loyal'
        when scores.f_score = 1 and scores.r_score >= 4 then 'new'
        when scores.r_score <= 2 and scores.f_score >= 3 then 'at_risk'
        when scores.r_score <= 2 and scores.f_score <= 2 then 'hibernating'
        else 'potential'
    end as {{ dbt.type_string() }}) as segment
from scores
-- every customer with a paid order has a key; the relationships test on customer_key and the
-- row-count reconciliation test would report one that had not
inner join customer_keys
    on customer_keys.customer_id = scores.customer_id
