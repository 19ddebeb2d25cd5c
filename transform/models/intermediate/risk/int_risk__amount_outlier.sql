-- Risk rule amount_outlier (kpis.md "Risk early warning"): a paid order above 10 x the median
-- order total of the trailing 30 days. One alert per order. Thresholds and severity ladder:
-- macros/risk_rules.sql; choices: the model's YAML.
--
-- Incremental by alert date: a run rebuilds the order dates of int_order_rebuild_days and the
-- trailing_days dates after each (their medians read the rebuilt dates), from the paid orders of
-- those dates and of the trailing_days before them.
{%- set outlier = risk_rules()['amount_outlier'] %}
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuild_days('alert_date', order_alert_dates(risk_rules()['amount_outlier']['trailing_days'])) }}",
    **rebuild_days_strategy('alert_date')
) }}
-- depends_on: {{ ref('int_order_rebuild_days') }}

with

{% if is_incremental() %}
alert_dates as (

    {{ order_alert_dates(outlier['trailing_days']) }}

),

{% endif %}
paid_orders as (

    select
        order_id,
        order_date,
        cast(total_amount_base as {{ type_double() }}) as total_amount_base
    from {{ ref('int_orders') }}
    where is_paid
    {% if is_incremental() %}
        and order_date >= (
            select cast({{ dbt.dateadd('day', -outlier['trailing_days'], 'min(alert_date)') }} as date)
            from alert_dates
        )
    {% endif %}

),

with_trailing_median as (

    -- the trailing 30 days of an order date D are D - 30 .. D - 1 (the day itself is not its own
    -- yardstick): a window over the day number, which engines compute without joining every
    -- order to a month of earlier ones (null before the first earlier paid order)
    select
        order_id,
        order_date,
        total_amount_base,
        {{ windowed_percentile_cont('total_amount_base', 0.5) }} over (
            order by {{ dbt.datediff("cast('1970-01-01' as date)", 'order_date', 'day') }}
            range between {{ outlier['trailing_days'] }} preceding and 1 preceding
        ) as median_total
    from paid_orders

),

outlier_alerts as (

    select
        orders.order_date as alert_date,
        'amount_outlier' as alert_type,
        'order' as entity_type,
        orders.order_id as entity,
        orders.total_amount_base as metric_value,
        {{ outlier['median_multiple'] }} * orders.median_total as threshold,
        {{ risk_severity('amount_outlier', 'orders.total_amount_base / orders.median_total') }} as severity,
        (
            'Order ' || orders.order_id || ' was paid at '
            || {{ format_thousands('orders.total_amount_base') }} || ' {{ base_currency() }}, '
            || {{ fmt_number('orders.total_amount_base / orders.median_total', 1) }}
            || ' times the typical order of ' || {{ format_thousands('orders.median_total') }}
            || ' {{ base_currency() }} over the last {{ outlier["trailing_days"] }} days'
        ) as explanation
    from with_trailing_median as orders
    where orders.median_total > 0
        and orders.total_amount_base > {{ outlier['median_multiple'] }} * orders.median_total
    {% if is_incremental() %}
        and orders.order_date in (select alert_date from alert_dates)
    {% endif %}

)

select {{ risk_alert_columns() }}
from outlier_alerts
