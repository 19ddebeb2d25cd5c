-- Risk rule service_sla (kpis.md "Risk early warning"): a day whose sla_breach_rate exceeds its
-- trailing 28-day mean by more than 3 standard deviations and by 5 percentage points. One alert
-- per day. Thresholds and severity ladder: macros/risk_rules.sql; choices: the model's YAML.

{%- set sla = risk_rules()['service_sla'] %}

with

breach_days as (

    -- sla_breach_rate of a day over all channels and categories (service_daily's definition):
    -- breached / judged tickets created that local day
    select
        ticket_date as breach_date,
        {{ safe_divide(count_where('sla_breached'), count_where('sla_breached is not null')) }} as breach_rate
    from {{ ref('int_ticket_metrics') }}
    group by ticket_date
    having {{ count_where('sla_breached is not null') }} > 0

),

breach_baselines as (

    -- the trailing 28 days of D: D - 28 .. D - 1, days with judged tickets only
    select
        breach_days.breach_date,
        breach_days.breach_rate,
        avg(earlier_days.breach_rate) as trailing_mean,
        stddev_samp(earlier_days.breach_rate) as trailing_sd,
        count(*) as trailing_days
    from breach_days
    inner join breach_days as earlier_days
        on earlier_days.breach_date < breach_days.breach_date
        and earlier_days.breach_date >= cast({{ dbt.dateadd('day', -sla['trailing_days'], 'breach_days.breach_date') }} as date)
    group by breach_days.breach_date, breach_days.breach_rate

),

breach_thresholds as (

    select
        *,
        greatest(
            trailing_mean + {{ sla['sigmas'] }} * trailing_sd,
            trailing_mean + {{ sla['min_points'] }}
        ) as threshold
    from breach_baselines
    where trailing_days >= {{ sla['min_trailing_days'] }}

),

breach_alerts as (

    select
        breach_date as alert_date,
        'service_sla' as alert_type,
        'kpi' as entity_type,
        'sla_breach_rate' as entity,
        breach_rate as metric_value,
        threshold,
        case
            when trailing_sd = 0 then 'high'
            else {{ risk_severity('service_sla', '(breach_rate - trailing_mean) / trailing_sd') }}
        end as severity,
        (
            {{ fmt_number('100 * breach_rate', 1) }}
            || ' % of tickets missed their first-response target, against '
            || {{ fmt_number('100 * trailing_mean', 1) }}
            || ' % on a usual day of the last {{ sla["trailing_days"] }} days (±'
            || {{ fmt_number('100 * trailing_sd', 1) }} || ' points)'
        ) as explanation
    from breach_thresholds
    where breach_rate > threshold

)

select {{ risk_alert_columns() }}
from breach_alerts
