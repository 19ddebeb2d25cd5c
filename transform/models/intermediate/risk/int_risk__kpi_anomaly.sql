-- Risk rule kpi_anomaly (kpis.md "Risk early warning", as implemented): a day whose gmv, sessions
-- or conversion_rate deviates from the median of the same weekday in the previous 4 weeks by
-- more than 3 x their median absolute deviation (MAD >= 1 % of the median). One alert per KPI
-- and day. Reads the mart kpi_daily. Thresholds and severity ladder: macros/risk_rules.sql;
-- choices: the model's YAML.

{%- set anomaly = risk_rules()['kpi_anomaly'] %}

with

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
        (
            kpi || ' ' || {{ fmt_number('kpi_value', 4) }}
            || case when kpi_value > median_value then ' is above' else ' is below' end
            || ' the median ' || {{ fmt_number('median_value', 4) }}
            || ' of the same weekday in the previous {{ anomaly["weeks"] }} weeks by '
            || {{ fmt_number('abs(kpi_value - median_value) / scale', 1) }}
            || ' x its MAD ' || {{ fmt_number('scale', 4) }}
            || ' (rule: more than {{ anomaly["mads"] }} x; MAD at least {{ (anomaly["min_mad_share_of_median"] * 100) | int }}% of the median)'
        ) as explanation
    from kpi_scaled
    where scale > 0
        and abs(kpi_value - median_value) > {{ anomaly['mads'] }} * scale

)

select {{ risk_alert_columns() }}
from kpi_alerts
