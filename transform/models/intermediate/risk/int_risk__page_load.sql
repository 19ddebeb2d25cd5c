-- Risk rule page_load (kpis.md "Risk early warning"): a day whose page_load_p90_ms exceeds 1.5 x
-- the median of its trailing 28 days. One alert per day. Reads the mart kpi_daily. Thresholds and
-- severity ladder: macros/risk_rules.sql; choices: the model's YAML.

{%- set page_load = risk_rules()['page_load'] %}

with

load_days as (

    select
        date as load_date,
        cast(page_load_p90_ms as {{ type_double() }}) as p90_ms
    from {{ ref('kpi_daily') }}
    where page_load_p90_ms is not null

),

load_baselines as (

    -- the trailing 28 days of D: D - 28 .. D - 1, days with page views only
    select
        load_days.load_date,
        load_days.p90_ms,
        {{ percentile_cont('earlier_days.p90_ms', 0.5) }} as trailing_median,
        count(*) as trailing_days
    from load_days
    inner join load_days as earlier_days
        on earlier_days.load_date < load_days.load_date
        and earlier_days.load_date >= cast({{ dbt.dateadd('day', -page_load['trailing_days'], 'load_days.load_date') }} as date)
    group by load_days.load_date, load_days.p90_ms

),

load_alerts as (

    select
        load_date as alert_date,
        'page_load' as alert_type,
        'kpi' as entity_type,
        'page_load_p90_ms' as entity,
        p90_ms as metric_value,
        {{ page_load['median_multiple'] }} * trailing_median as threshold,
        {{ risk_severity('page_load', 'p90_ms / trailing_median') }} as severity,
        (
            'Pages were slow: the slowest 10 % of page views took over '
            || {{ format_thousands('p90_ms') }} || ' ms to load, '
            || {{ fmt_number('p90_ms / trailing_median', 1) }}
            || ' times the usual ' || {{ format_thousands('trailing_median') }}
            || ' ms of the last {{ page_load["trailing_days"] }} days'
        ) as explanation
    from load_baselines
    where trailing_days >= {{ page_load['min_trailing_days'] }}
        and trailing_median > 0
        and p90_ms > {{ page_load['median_multiple'] }} * trailing_median

)

select {{ risk_alert_columns() }}
from load_alerts
