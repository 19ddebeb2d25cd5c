-- Every customer with a paid order is in exactly one cohort, so per month the cohort size must
-- equal Σ kpi_daily.new_customers of that month's days (new customers = customers whose first
-- paid order has that order date), and Σ cohort sizes the number of customers with a paid order
-- in int_orders. Fails once per month that differs, and once more if the total differs.
{{ config(meta={'dagster': {'ref': {'name': 'cohort_retention'}}}) }}
with cohorts as (

    select cohort_month, max(cohort_size) as cohort_size
    from {{ ref('cohort_retention') }}
    group by cohort_month

),

kpi as (

    select
        cast({{ dbt.date_trunc('month', adapter.quote('date')) }} as date) as cohort_month,
        sum(coalesce(new_customers, 0)) as new_customers
    from {{ ref('kpi_daily') }}
    group by 1

),

paid_customers as (

    select count(distinct customer_id) as customers
    from {{ ref('int_orders') }}
    where is_paid

)

select
    coalesce(cohorts.cohort_month, kpi.cohort_month) as cohort_month,
    cohorts.cohort_size,
    kpi.new_customers
from cohorts
full outer join kpi
    on kpi.cohort_month = cohorts.cohort_month
where coalesce(cohorts.cohort_size, 0) <> coalesce(kpi.new_customers, 0)

union all

select
    null as cohort_month,
    (select coalesce(sum(cohort_size), 0) from cohorts) as cohort_size,
    paid_customers.customers as new_customers
from paid_customers
where paid_customers.customers <> (select coalesce(sum(cohort_size), 0) from cohorts)
