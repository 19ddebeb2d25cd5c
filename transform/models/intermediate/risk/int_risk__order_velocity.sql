-- Risk rule order_velocity (kpis.md "Risk early warning"): >= 5 orders from one device_id or one
-- ip_address within 60 minutes. One alert per device / IP and local day of the window's last
-- order. Thresholds and severity ladder: macros/risk_rules.sql; choices: the model's YAML.
--
-- Incremental by alert date: a run rebuilds the order dates of int_order_rebuild_days and the
-- date after each (a window that ends after midnight counts orders of the day before), from the
-- orders of those dates and of the date before each.
{%- set velocity = risk_rules()['order_velocity'] %}
{%- if velocity['window_minutes'] > 1440 %}
  {{ exceptions.raise_compiler_error('order_velocity: window_minutes above a day needs more alert dates rebuilt') }}
{%- endif %}
{{ config(
    materialized='incremental',
    on_schema_change='fail',
    pre_hook="{{ delete_rebuild_days('alert_date', order_alert_dates(1)) }}",
    **rebuild_days_strategy('alert_date')
) }}
-- depends_on: {{ ref('int_order_rebuild_days') }}

with

{% if is_incremental() %}
alert_dates as (

    {{ order_alert_dates(1) }}

),

{% endif %}
orders as (

    select
        order_id,
        order_date,
        created_at,
        device_id_hash,
        ip_address_hash
    from {{ ref('int_orders') }}
    {% if is_incremental() %}
    where order_date in (select alert_date from alert_dates)
        or order_date in (select cast({{ dbt.dateadd('day', -1, 'alert_date') }} as date) from alert_dates)
    {% endif %}

),

velocity_keys as (

    select order_id, order_date, created_at, 'device' as entity_type, device_id_hash as entity
    from orders
    where device_id_hash is not null

    union all

    select order_id, order_date, created_at, 'ip_address' as entity_type, ip_address_hash as entity
    from orders
    where ip_address_hash is not null

),

velocity_windows as (

    -- every order with the orders of its device / IP placed in the 60 minutes up to it (inclusive)
    select
        latest.entity_type,
        latest.entity,
        latest.order_id,
        latest.created_at,
        count(*) as orders_in_window
    from velocity_keys as latest
    inner join velocity_keys as earlier
        on earlier.entity_type = latest.entity_type
        and earlier.entity = latest.entity
        and earlier.created_at <= latest.created_at
        and earlier.created_at >= {{ timestamp_add('minute', -velocity['window_minutes'], 'latest.created_at') }}
    {% if is_incremental() %}
    where latest.order_date in (select alert_date from alert_dates)
    {% endif %}
    group by latest.entity_type, latest.entity, latest.order_id, latest.created_at

),

velocity_alerts as (

    -- one alert per device / IP and local day of the window's last order: the busiest window
    select
        {{ to_local_date('created_at') }} as alert_date,
        'order_velocity' as alert_type,
        entity_type,
        entity,
        cast(max(orders_in_window) as {{ type_double() }}) as metric_value,
        cast({{ velocity['min_orders'] }} as {{ type_double() }}) as threshold,
        {{ risk_severity('order_velocity', 'max(orders_in_window)') }} as severity,
        (
            cast(max(orders_in_window) as {{ dbt.type_string() }}) || ' orders were placed from one '
            || case when entity_type = 'device' then 'device' else 'IP address' end
            || ' within {{ velocity["window_minutes"] }} minutes; a shopper rarely places more than '
            || '{{ velocity["min_orders"] - 1 }} in an hour'
        ) as explanation
    from velocity_windows
    where orders_in_window >= {{ velocity['min_orders'] }}
    group by {{ to_local_date('created_at') }}, entity_type, entity

)

select {{ risk_alert_columns() }}
from velocity_alerts
