-- Risk rule refund_abuse (kpis.md "Risk early warning"): a customer with >= 3 paid orders in the
-- trailing 90 days and completed refunds on > 50 % of them. One alert when the rule starts to
-- hold for a customer; the customer is named by its keyed hash (pii.sql). Thresholds and
-- severity ladder: macros/risk_rules.sql; choices: the model's YAML.

{%- set abuse = risk_rules()['refund_abuse'] %}

with

paid_orders as (

    select
        order_id,
        order_date,
        customer_id
    from {{ ref('int_orders') }}
    where is_paid

),

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
        paid_orders.customer_id,
        refunded_orders.refunded_on
    from paid_orders
    left join refunded_orders
        on refunded_orders.order_id = paid_orders.order_id

),

refunding_customers as (

    select customer_id
    from customer_orders
    where refunded_on is not null

),

abuse_check_days as (

    -- the rule can only change on a day a customer with refunds orders or gets a refund completed
    select customer_orders.customer_id, customer_orders.order_date as check_date
    from customer_orders
    where customer_orders.customer_id in (select refunding_customers.customer_id from refunding_customers)

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
        (
            'One customer had ' || cast(refunded_paid_orders as {{ dbt.type_string() }}) || ' of '
            || cast(paid_orders as {{ dbt.type_string() }})
            || ' paid orders of the last {{ abuse["trailing_days"] }} days refunded ('
            || {{ fmt_number('100 * refunded_share', 0) }}
            || ' %); most customers have none'
        ) as explanation
    from abuse_met
    where previous_met_date is null
        or {{ dbt.datediff('previous_met_date', 'check_date', 'day') }} >= {{ abuse['trailing_days'] }}

)

select {{ risk_alert_columns() }}
from abuse_alerts
