-- Risk early warning (kpis.md): one row per alert, one CTE group per rule, thresholds and
-- severity ladders from macros/risk_rules.sql. Personal keys are hashed: devices and IP addresses
-- arrive hashed from staging, customers are hashed here with the same keyed hash (pii.sql).
-- Choices where kpis.md is silent are in risk_alerts.yml and docs/design.md ("Risk alerts").

{%- set rules = risk_rules() %}
{%- set velocity = rules['order_velocity'] %}
{%- set outlier = rules['amount_outlier'] %}
{%- set abuse = rules['refund_abuse'] %}
{%- set failures = rules['payment_failures'] %}
{%- set anomaly = rules['kpi_anomaly'] %}

with

orders as (

    select
        order_id,
        customer_id,
        created_at,
        order_date,
        is_paid,
        cast(total_amount_base as {{ type_double() }}) as total_amount_base,
        device_id_hash,
        ip_address_hash
    from {{ ref('int_orders') }}

),

-- order_velocity: >= 5 orders from one device_id or one ip_address within 60 minutes ----------
velocity_keys as (

    select order_id, created_at, 'device' as entity_type, device_id_hash as entity
    from orders
    where device_id_hash is not null

    union all

    select order_id, created_at, 'ip_address' as entity_type, ip_address_hash as entity
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
        and earlier.created_at >= {{ dbt.dateadd('minute', -velocity['window_minutes'], 'latest.created_at') }}
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
        cast(max(orders_in_window) as {{ dbt.type_string() }}) || ' orders from one '
            || case when entity_type = 'device' then 'device' else 'IP address' end
            || ' within {{ velocity["window_minutes"] }} minutes (rule: at least {{ velocity["min_orders"] }})'
            as explanation
    from velocity_windows
    where orders_in_window >= {{ velocity['min_orders'] }}
    group by {{ to_local_date('created_at') }}, entity_type, entity

),

-- amount_outlier: a paid order above 10 x the median order total of the trailing 30 days ------
paid_orders as (

    select order_id, order_date, total_amount_base
    from orders
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
        'paid order total ' || {{ fmt_number('paid_orders.total_amount_base') }}
            || ' is ' || {{ fmt_number('paid_orders.total_amount_base / trailing_medians.median_total', 1) }}
            || ' x the median order total ' || {{ fmt_number('trailing_medians.median_total') }}
            || ' of the trailing {{ outlier["trailing_days"] }} days (rule: above {{ outlier["median_multiple"] }} x)'
            as explanation
    from paid_orders
    inner join trailing_medians
        on trailing_medians.order_date = paid_orders.order_date
    where trailing_medians.median_total > 0
        and paid_orders.total_amount_base > {{ outlier['median_multiple'] }} * trailing_medians.median_total

),

-- refund_abuse: >= 3 paid orders in the trailing 90 days, completed refunds on > 50 % of them --
refunded_orders as (

    -- a paid order counts as refunded from the local day its first completed refund completed
    -- (the latest version's updated_at: the moment it became `completed`)
    select
        order_id,
        min({{ to_local_date('updated_at') }}) as refunded_on
    from {{ ref('int_refunds') }}
    where is_completed
    group by order_id

),

customer_orders as (

    select
        paid_orders.order_id,
        paid_orders.order_date,
        orders.customer_id,
        refunded_orders.refunded_on
    from paid_orders
    inner join orders
        on orders.order_id = paid_orders.order_id
    left join refunded_orders
        on refunded_orders.order_id = paid_orders.order_id

),

abuse_check_days as (

    -- the rule can only change on a day a customer with refunds orders or gets a refund completed
    select customer_orders.customer_id, customer_orders.order_date as check_date
    from customer_orders
    where customer_orders.customer_id in (select customer_id from customer_orders where refunded_on is not null)

    union

    select customer_id, refunded_on as check_date
    from customer_orders
    where refunded_on is not null

),

abuse_windows as (

    -- trailing 90 days of a day D: D - 89 .. D
    select
        abuse_check_days.customer_id,
        abuse_check_days.check_date,
        count(*) as paid_orders,
        {{ count_where('customer_orders.refunded_on <= abuse_check_days.check_date') }} as refunded_paid_orders
    from abuse_check_days
    inner join customer_orders
        on customer_orders.customer_id = abuse_check_days.customer_id
        and customer_orders.order_date <= abuse_check_days.check_date
        and customer_orders.order_date > cast({{ dbt.dateadd('day', -abuse['trailing_days'], 'abuse_check_days.check_date') }} as date)
    group by abuse_check_days.customer_id, abuse_check_days.check_date

),

abuse_met as (

    select
        customer_id,
        check_date,
        paid_orders,
        refunded_paid_orders,
        {{ safe_divide('refunded_paid_orders', 'paid_orders') }} as refunded_share,
        lag(check_date) over (partition by customer_id order by check_date) as previous_met_date
    from abuse_windows
    where paid_orders >= {{ abuse['min_paid_orders'] }}
        and {{ safe_divide('refunded_paid_orders', 'paid_orders') }} > {{ abuse['refunded_share_above'] }}

),

abuse_alerts as (

    -- one alert when the rule starts to hold for a customer, not again while it keeps holding
    -- (another check day met within the trailing 90 days)
    select
        check_date as alert_date,
        'refund_abuse' as alert_type,
        'customer' as entity_type,
        {{ hash_pii('customer_id') }} as entity,
        refunded_share as metric_value,
        cast({{ abuse['refunded_share_above'] }} as {{ type_double() }}) as threshold,
        {{ risk_severity('refund_abuse', 'refunded_share') }} as severity,
        cast(refunded_paid_orders as {{ dbt.type_string() }}) || ' of '
            || cast(paid_orders as {{ dbt.type_string() }})
            || ' paid orders of the trailing {{ abuse["trailing_days"] }} days have a completed refund ('
            || {{ fmt_number('100 * refunded_share', 1) }}
            || '%; rule: at least {{ abuse["min_paid_orders"] }} paid orders and more than '
            || '{{ (abuse["refunded_share_above"] * 100) | int }}% refunded)' as explanation
    from abuse_met
    where previous_met_date is null
        or {{ dbt.datediff('previous_met_date', 'check_date', 'day') }} >= {{ abuse['trailing_days'] }}

),

-- payment_failures: failed share > trailing 28-day mean + 3 standard deviations ---------------
payment_days as (

    select
        created_date as payment_date,
        {{ safe_divide(count_where("status = 'failed'"), 'count(*)') }} as failed_share
    from {{ ref('stg_shop__payments') }}
    group by created_date

),

payment_baselines as (

    -- the trailing 28 days of D: D - 28 .. D - 1, days with payments only
    select
        payment_days.payment_date,
        payment_days.failed_share,
        avg(earlier_days.failed_share) as trailing_mean,
        stddev_samp(earlier_days.failed_share) as trailing_sd,
        count(*) as trailing_days
    from payment_days
    inner join payment_days as earlier_days
        on earlier_days.payment_date < payment_days.payment_date
        and earlier_days.payment_date >= cast({{ dbt.dateadd('day', -failures['trailing_days'], 'payment_days.payment_date') }} as date)
    group by payment_days.payment_date, payment_days.failed_share

),

payment_alerts as (

    select
        payment_date as alert_date,
        'payment_failures' as alert_type,
        'kpi' as entity_type,
        'failed_payment_share' as entity,
        failed_share as metric_value,
        trailing_mean + {{ failures['sigmas'] }} * trailing_sd as threshold,
        case
            when trailing_sd = 0 then 'high'
            else {{ risk_severity('payment_failures', '(failed_share - trailing_mean) / trailing_sd') }}
        end as severity,
        'failed payment share ' || {{ fmt_number('100 * failed_share', 1) }}
            || '% against a trailing ' || cast(trailing_days as {{ dbt.type_string() }})
            || '-day mean of ' || {{ fmt_number('100 * trailing_mean', 1) }}
            || '% (standard deviation ' || {{ fmt_number('100 * trailing_sd', 1) }}
            || ' points; rule: more than {{ failures["sigmas"] }} standard deviations above)' as explanation
    from payment_baselines
    where trailing_days >= {{ failures['min_trailing_days'] }}
        and failed_share > trailing_mean + {{ failures['sigmas'] }} * trailing_sd

),

-- kpi_anomaly: gmv, sessions or conversion_rate > 3 MADs from the same-weekday median --------
kpi_values as (

    select date as kpi_date, 'gmv' as kpi, cast(gmv as {{ type_double() }}) as kpi_value
    from {{ ref('kpi_daily') }}

    union all

    select date as kpi_date, 'sessions' as kpi, cast(sessions as {{ type_double() }}) as kpi_value
    from {{ ref('kpi_daily') }}

    union all

    select date as kpi_date, 'conversion_rate' as kpi, cast(conversion_rate as {{ type_double() }}) as kpi_value
    from {{ ref('kpi_daily') }}

),

kpi_history as (

    -- the same weekday in each of the previous 4 weeks
    select
        current_day.kpi,
        current_day.kpi_date,
        current_day.kpi_value,
        past.kpi_value as past_value
    from kpi_values as current_day
    inner join kpi_values as past
        on past.kpi = current_day.kpi
        and past.kpi_date < current_day.kpi_date
        and past.kpi_date >= cast({{ dbt.dateadd('day', -7 * anomaly['weeks'], 'current_day.kpi_date') }} as date)
        and mod({{ dbt.datediff('past.kpi_date', 'current_day.kpi_date', 'day') }}, 7) = 0
    where current_day.kpi_value is not null
        and past.kpi_value is not null

),

kpi_medians as (

    -- evaluated only when all 4 previous weeks have a value
    select
        kpi,
        kpi_date,
        kpi_value,
        {{ percentile_cont('past_value', 0.5) }} as median_value
    from kpi_history
    group by kpi, kpi_date, kpi_value
    having count(*) = {{ anomaly['weeks'] }}

),

kpi_deviations as (

    select
        kpi_medians.kpi,
        kpi_medians.kpi_date,
        kpi_medians.kpi_value,
        kpi_medians.median_value,
        {{ percentile_cont('abs(kpi_history.past_value - kpi_medians.median_value)', 0.5) }} as mad
    from kpi_medians
    inner join kpi_history
        on kpi_history.kpi = kpi_medians.kpi
        and kpi_history.kpi_date = kpi_medians.kpi_date
    group by kpi_medians.kpi, kpi_medians.kpi_date, kpi_medians.kpi_value, kpi_medians.median_value

),

kpi_scaled as (

    -- "MAD >= 1 % of the median": the MAD is floored at 1 % of the median's size, so a flat history
    -- (MAD 0) does not turn every small change into an alert
    select
        *,
        case
            when mad >= {{ anomaly['min_mad_share_of_median'] }} * abs(median_value) then mad
            else {{ anomaly['min_mad_share_of_median'] }} * abs(median_value)
        end as scale
    from kpi_deviations

),

kpi_alerts as (

    select
        kpi_date as alert_date,
        'kpi_anomaly' as alert_type,
        'kpi' as entity_type,
        kpi as entity,
        kpi_value as metric_value,
        case
            when kpi_value > median_value then median_value + {{ anomaly['mads'] }} * scale
            else median_value - {{ anomaly['mads'] }} * scale
        end as threshold,
        {{ risk_severity('kpi_anomaly', 'abs(kpi_value - median_value) / scale') }} as severity,
        kpi || ' ' || {{ fmt_number('kpi_value', 4) }}
            || case when kpi_value > median_value then ' is above' else ' is below' end
            || ' the median ' || {{ fmt_number('median_value', 4) }}
            || ' of the same weekday in the previous {{ anomaly["weeks"] }} weeks by '
            || {{ fmt_number('abs(kpi_value - median_value) / scale', 1) }}
            || ' x its MAD ' || {{ fmt_number('scale', 4) }}
            || ' (rule: more than {{ anomaly["mads"] }} x; MAD at least {{ (anomaly["min_mad_share_of_median"] * 100) | int }}% of the median)'
            as explanation
    from kpi_scaled
    where scale > 0
        and abs(kpi_value - median_value) > {{ anomaly['mads'] }} * scale

),

alerts as (

    select * from velocity_alerts
    union all
    select * from outlier_alerts
    union all
    select * from abuse_alerts
    union all
    select * from payment_alerts
    union all
    select * from kpi_alerts

)

select
    {{ dbt.hash("alert_type || '|' || entity_type || '|' || entity || '|' || cast(alert_date as " ~ dbt.type_string() ~ ")") }}
        as alert_id,
    cast(alert_date as date) as alert_date,
    cast(alert_type as {{ dbt.type_string() }}) as alert_type,
    cast(severity as {{ dbt.type_string() }}) as severity,
    cast(entity_type as {{ dbt.type_string() }}) as entity_type,
    cast(entity as {{ dbt.type_string() }}) as entity,
    cast(metric_value as {{ type_double() }}) as metric_value,
    cast(threshold as {{ type_double() }}) as threshold,
    cast(explanation as {{ dbt.type_string() }}) as explanation
from alerts
