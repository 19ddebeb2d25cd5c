-- Risk rule payment_failures (kpis.md "Risk early warning"): a day whose failed payment share
-- exceeds its trailing 28-day mean by more than 3 standard deviations, and by more than 5 failed
-- attempts (the material-deviation floor that keeps a small shop's noise quiet: docs/decisions.md).
-- One alert per day. Thresholds and severity ladder: macros/risk_rules.sql; choices: the YAML.

{%- set failures = risk_rules()['payment_failures'] %}

with

payment_days as (

    select
        created_date as payment_date,
        count(*) as attempts,
        {{ count_where("status = 'failed'") }} as failed_attempts,
        {{ safe_divide(count_where("status = 'failed'"), 'count(*)') }} as failed_share
    from {{ ref('stg_shop__payments') }}
    group by created_date

),

payment_baselines as (

    -- the trailing 28 days of D: D - 28 .. D - 1, days with payments only
    select
        payment_days.payment_date,
        payment_days.attempts,
        payment_days.failed_attempts,
        payment_days.failed_share,
        avg(earlier_days.failed_share) as trailing_mean,
        stddev_samp(earlier_days.failed_share) as trailing_sd,
        count(*) as trailing_days
    from payment_days
    inner join payment_days as earlier_days
        on earlier_days.payment_date < payment_days.payment_date
        and earlier_days.payment_date >= cast({{ dbt.dateadd('day', -failures['trailing_days'], 'payment_days.payment_date') }} as date)
    group by payment_days.payment_date, payment_days.attempts, payment_days.failed_attempts, payment_days.failed_share

),

payment_thresholds as (

    -- the share above which the day is both 3 sd above the usual share and more than 5 failed
    -- attempts above what the usual share predicts for the day's attempts
    select
        *,
        greatest(
            trailing_mean + {{ failures['sigmas'] }} * trailing_sd,
            trailing_mean + {{ failures['min_excess_failures'] }} / attempts
        ) as threshold
    from payment_baselines
    where trailing_days >= {{ failures['min_trailing_days'] }}

),

payment_alerts as (

    select
        payment_date as alert_date,
        'payment_failures' as alert_type,
        'kpi' as entity_type,
        'failed_payment_share' as entity,
        failed_share as metric_value,
        threshold,
        case
            when trailing_sd = 0 then 'high'
            else {{ risk_severity('payment_failures', '(failed_share - trailing_mean) / trailing_sd') }}
        end as severity,
        (
            {{ format_thousands('failed_attempts') }} || ' of ' || {{ format_thousands('attempts') }}
            || ' payment attempts failed (' || {{ fmt_number('100 * failed_share', 1) }}
            || ' %), against ' || {{ fmt_number('100 * trailing_mean', 1) }}
            || ' % on a usual day of the last {{ failures["trailing_days"] }} days (±'
            || {{ fmt_number('100 * trailing_sd', 1) }} || ' points)'
        ) as explanation
    from payment_thresholds
    where failed_share > threshold

)

select {{ risk_alert_columns() }}
from payment_alerts
