-- Risk rule stockout (kpis.md "Risk early warning"): a product in the top 20 % by revenue of the
-- trailing 28 days with on_hand = 0 that day (high when in the top 5 %). One alert per product
-- and day. Reads the mart inventory_daily (on_hand) and int_order_items (revenue); shares and
-- the window: macros/risk_rules.sql; choices: the model's YAML.

{%- set rule = risk_rules()['stockout'] %}

with

out_of_stock as (

    select
        {{ adapter.quote('date') }} as stock_date,
        product_id,
        title
    from {{ ref('inventory_daily') }}
    where on_hand = 0

),

daily_revenue as (

    select
        order_date,
        product_id,
        sum(line_revenue_base) as revenue
    from {{ ref('int_order_items') }}
    where order_is_paid
    group by order_date, product_id

),

trailing_revenue as (

    -- every product's revenue of the trailing 28 days of D (D - 28 .. D - 1), for each D with a
    -- product out of stock; only products that sold something in the window are ranked
    select
        stock_days.stock_date,
        daily_revenue.product_id,
        sum(daily_revenue.revenue) as revenue_28d
    from (select distinct stock_date from out_of_stock) as stock_days
    inner join daily_revenue
        on daily_revenue.order_date < stock_days.stock_date
        and daily_revenue.order_date >= cast({{ dbt.dateadd('day', -rule['trailing_days'], 'stock_days.stock_date') }} as date)
    group by stock_days.stock_date, daily_revenue.product_id
    having sum(daily_revenue.revenue) > 0

),

ranked as (

    select
        stock_date,
        product_id,
        revenue_28d,
        rank() over (partition by stock_date order by revenue_28d desc) as revenue_rank,
        count(*) over (partition by stock_date) as ranked_products
    from trailing_revenue

),

cutoffs as (

    -- the revenue a product needs to be in the top 20 % that day: the smallest revenue among them
    select
        stock_date,
        min(revenue_28d) as top_revenue_floor
    from ranked
    where revenue_rank - 1 < {{ rule['top_share'] }} * ranked_products
    group by stock_date

),

stockout_alerts as (

    select
        out_of_stock.stock_date as alert_date,
        'stockout' as alert_type,
        'product' as entity_type,
        out_of_stock.product_id as entity,
        ranked.revenue_28d as metric_value,
        cutoffs.top_revenue_floor as threshold,
        case
            when ranked.revenue_rank - 1 < {{ rule['high_share'] }} * ranked.ranked_products then 'high'
            else 'medium'
        end as severity,
        (
            'Top seller '
            || coalesce(out_of_stock.title || ' (' || out_of_stock.product_id || ')', out_of_stock.product_id)
            || ' is out of stock: 0 units on hand at the end of the day, after '
            || {{ format_thousands('ranked.revenue_28d') }} || ' {{ base_currency() }} of sales in the last '
            || '{{ rule["trailing_days"] }} days (number ' || cast(ranked.revenue_rank as {{ dbt.type_string() }})
            || ' of ' || cast(ranked.ranked_products as {{ dbt.type_string() }}) || ' products that sold)'
        ) as explanation
    from out_of_stock
    inner join ranked
        on ranked.stock_date = out_of_stock.stock_date
        and ranked.product_id = out_of_stock.product_id
    inner join cutoffs on cutoffs.stock_date = out_of_stock.stock_date
    where ranked.revenue_rank - 1 < {{ rule['top_share'] }} * ranked.ranked_products

)

select {{ risk_alert_columns() }}
from stockout_alerts
