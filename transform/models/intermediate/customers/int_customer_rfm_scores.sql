-- Recency, frequency and monetary of every customer with a paid order in (D - 365 days, D], and
-- their 1-5 scores (kpis.md, "Customers": RFM, second edition). The segment and the hashed key
-- are added by the published mart customer_rfm. As-of date D = the last complete day (the latest
-- batch day loaded, int_last_complete_day).
with as_of as (

    select last_complete_day as as_of_date
    from {{ ref('int_last_complete_day') }}

),

-- paid orders in (D - 365 days, D]
window_orders as (

    select
        orders.customer_id,
        orders.order_date,
        orders.total_amount_base,
        as_of.as_of_date
    from {{ ref('int_orders') }} as orders
    cross join as_of
    where orders.is_paid
        and orders.order_date > {{ dbt.dateadd('day', -365, 'as_of.as_of_date') }}
        and orders.order_date <= as_of.as_of_date

),

customers as (

    select
        customer_id,
        as_of_date,
        {{ dbt.datediff('max(order_date)', 'as_of_date', 'day') }} as recency_days,
        count(*) as frequency,
        -- rounded to the published precision before scoring, so customers showing the same
        -- monetary share its score
        cast(sum(total_amount_base) as {{ type_money() }}) as monetary
    from window_orders
    group by customer_id, as_of_date

),

-- R and M: percent_rank over the as-of date's customers ordered from worst to best.
-- percent_rank = (rank - 1) / (customers - 1) gives tied values the same rank, so ties share a
-- score; a lone customer has percent_rank 0 (score 1). F is scored on fixed counts instead.
ranked as (

    select
        customers.*,
        percent_rank() over (order by customers.recency_days desc) as r_rank,
        percent_rank() over (order by customers.monetary) as m_rank
    from customers

)

select
    customer_id,
    as_of_date,
    recency_days,
    frequency,
    monetary,
    cast(least(5, 1 + floor(5 * r_rank)) as integer) as r_score,
    -- kpis.md: 1 order -> 1, 2 -> 2, 3 -> 3, 4-5 -> 4, >= 6 -> 5
    cast(case
        when frequency >= 6 then 5
        when frequency >= 4 then 4
        else frequency
    end as integer) as f_score,
    cast(least(5, 1 + floor(5 * m_rank)) as integer) as m_score
from ranked
