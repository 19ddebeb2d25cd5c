-- Risk rule amount_outlier (kpis.md "Risk early warning"): a paid order above 10 x the median
-- order total of the trailing 30 days. One alert per order. Thresholds and severity ladder:
-- macros/risk_rules.sql; choices: the model's YAML.

{%- set outlier = risk_rules()['amount_outlier'] %}

with

paid_orders as (

    select
        order_id,
        order_date,
        cast(total_amount_base as {{ type_double() }}) as total_amount_base
    from {{ ref('int_orders') }}
    where is_paid

),

outlier_days as (

    select distinct order_date from paid_orders

),

trailing_medians as (

    -- the trailing 30 days of an order date D are D - 30 .. D - 1 (the day itself is not its own yardstick)
    select
        outlier_days.order_date,
        {{ percentile_cont('earlier_orders.total_amount_base', 0.5) }} as median_total
    from outlier_days
    inner join paid_orders as earlier_orders
        on earlier_orders.order_date < outlier_days.order_date
        and earlier_orders.order_date >= cast({{ dbt.dateadd('day', -outlier['trailing_days'], 'outlier_days.order_date') }} as date)
    group by outlier_days.order_date

),

outlier_alerts as (

    select
        paid_orders.order_date as alert_date,
        'amount_outlier' as alert_type,
        'order' as entity_type,
        paid_orders.order_id as entity,
        paid_orders.total_amount_base as metric_value,
        {{ outlier['median_multiple'] }} * trailing_medians.median_total as threshold,
        {{ risk_severity('amount_outlier', 'paid_orders.total_amount_base / trailing_medians.median_total') }} as severity,
        (
            'Order ' || paid_orders.order_id || ' was paid at '
            || {{ format_thousands('paid_orders.total_amount_base') }} || ' {{ base_currency() }}, '
            || {{ fmt_number('paid_orders.total_amount_base / trailing_medians.median_total', 1) }}
            || ' times the typical order of ' || {{ format_thousands('trailing_medians.median_total') }}
            || ' {{ base_currency() }} over the last {{ outlier["trailing_days"] }} days'
        ) as explanation
    from paid_orders
    inner join trailing_medians
        on trailing_medians.order_date = paid_orders.order_date
    where trailing_medians.median_total > 0
        and paid_orders.total_amount_base > {{ outlier['median_multiple'] }} * trailing_medians.median_total

)

select {{ risk_alert_columns() }}
from outlier_alerts
