-- Monthly cohort retention (kpis.md, "Customers"; published mart). Definitions are in
-- cohort_retention.yml, word for word from kpis.md. Cohort = month of a customer's first paid
-- order; every cohort gets a row for every month offset from 0 to the last month with data (the
-- month of the latest order date, any status), zeros included. Second edition: the cohort's
-- revenue per month, the lifetime-value curve (cumulative revenue per customer) and whether the
-- month had ended by the last complete day (is_complete), so a partial month is never read as
-- a drop.
with cohorts as (

    select customer_id, cohort_month
    from {{ ref('int_customer_cohorts') }}

),

last_month as (

    select cast({{ dbt.date_trunc('month', 'max(order_date)') }} as date) as last_month
    from {{ ref('int_orders') }}

),

last_complete as (

    select last_complete_day
    from {{ ref('int_last_complete_day') }}

),

-- months (first day) in which a customer has a paid order, with that month's gross revenue
active_months as (

    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as activity_month,
        sum(total_amount_base) as revenue
    from {{ ref('int_orders') }}
    where is_paid
    group by
        customer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date)

),

cohort_sizes as (

    select cohort_month, count(*) as cohort_size
    from cohorts
    group by cohort_month

),

active_by_offset as (

    select
        cohorts.cohort_month,
        -- both sides are first days of months, so this counts calendar months (Dec -> Jan = 1)
        {{ dbt.datediff('cohorts.cohort_month', 'active_months.activity_month', 'month') }} as month_offset,
        count(*) as active_customers,
        sum(active_months.revenue) as revenue
    from cohorts
    inner join active_months
        on active_months.customer_id = cohorts.customer_id
    group by
        cohorts.cohort_month,
        {{ dbt.datediff('cohorts.cohort_month', 'active_months.activity_month', 'month') }}

),

-- 0..999 month offsets (83 years), plain SQL on any engine
digits as (

    select 0 as d
    union all
    select 1
    union all
    select 2
    union all
    select 3
    union all
    select 4
    union all
    select 5
    union all
    select 6
    union all
    select 7
    union all
    select 8
    union all
    select 9

),

offsets as (

    select ones.d + 10 * tens.d + 100 * hundreds.d as month_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds

),

-- every (cohort, k) from k = 0 to the last month with data
grid as (

    select
        cohort_sizes.cohort_month,
        offsets.month_offset,
        cohort_sizes.cohort_size
    from cohort_sizes
    cross join last_month
    inner join offsets
        on offsets.month_offset <= {{ dbt.datediff('cohort_sizes.cohort_month', 'last_month.last_month', 'month') }}

),

-- the month's revenue as published (rounded), so the curve adds up exactly what the rows show
grid_revenue as (

    select
        grid.cohort_month,
        grid.month_offset,
        grid.cohort_size,
        coalesce(active_by_offset.active_customers, 0) as active_customers,
        cast(coalesce(active_by_offset.revenue, 0) as {{ type_money() }}) as revenue,
        -- the month cohort month + k ends the day before the next month starts
        {{ dbt.dateadd('day', -1, dbt.dateadd('month', 'grid.month_offset + 1', 'grid.cohort_month')) }} as month_end
    from grid
    left join active_by_offset
        on active_by_offset.cohort_month = grid.cohort_month
        and active_by_offset.month_offset = grid.month_offset

)

select
    grid_revenue.cohort_month,
    cast(grid_revenue.month_offset as integer) as month_offset,
    cast(grid_revenue.cohort_size as {{ dbt.type_bigint() }}) as cohort_size,
    cast(grid_revenue.active_customers as {{ dbt.type_bigint() }}) as active_customers,
    {{ safe_divide('grid_revenue.active_customers', 'grid_revenue.cohort_size') }} as retention,
    grid_revenue.revenue,
    {{ safe_divide(
        'sum(grid_revenue.revenue) over (partition by grid_revenue.cohort_month order by grid_revenue.month_offset rows between unbounded preceding and current row)',
        'grid_revenue.cohort_size'
    ) }} as cumulative_revenue_per_customer,
    coalesce(cast(grid_revenue.month_end as date) <= last_complete.last_complete_day, false) as is_complete
from grid_revenue
cross join last_complete
