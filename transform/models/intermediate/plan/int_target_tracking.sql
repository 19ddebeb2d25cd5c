-- Targets against the actuals of their month up to the last complete day (kpis.md, "Targets (plan
-- vs actual)"), one row per (month, metric, channel), channel 'all' for a whole-shop target. Every
-- column of the published mart target_tracking except the gmv projection from the forecast:
-- `projected` and `on_track` here are the run-rate ones; the Python asset that publishes
-- marts.target_tracking (orchestration/assets/analytics.py) replaces them for gmv where
-- gmv_forecast covers the month's remaining days (docs/decisions.md, 2026-12-05).
--
-- Daily values come as (numerator, denominator): a sum metric has no denominator; a ratio
-- (conversion_rate, aov) is Σ numerator / Σ denominator over the elapsed days. They are summed as
-- decimals (money has 4 places, counts none): a sum of doubles depends on the order the threads
-- add them in, and a daily run must equal a full refresh to the last digit.
with

last_day as (
    select last_complete_day from {{ ref('int_last_complete_day') }}
),

targets as (
    select
        targets.month_start,
        targets.month_end,
        targets.metric,
        coalesce(targets.channel, 'all') as channel,
        targets.is_lower_better,
        targets.metric in ('conversion_rate', 'aov') as is_ratio,
        targets.target_value,
        extract(day from targets.month_end) as days_in_month,
        case
            when last_day.last_complete_day is null or last_day.last_complete_day < targets.month_start then 0
            when last_day.last_complete_day >= targets.month_end then extract(day from targets.month_end)
            else extract(day from last_day.last_complete_day)
        end as days_elapsed,
        last_day.last_complete_day
    from {{ ref('stg_plan__targets') }} as targets
    cross join last_day
),

-- whole-shop metrics of kpi_daily; conversion_rate's numerator = the converted sessions of the day
shop_values as (
    {%- for metric in ['gmv', 'gross_revenue', 'net_revenue', 'gross_margin', 'paid_orders', 'new_customers', 'sessions'] %}
    select
        date,
        '{{ metric }}' as metric,
        'all' as channel,
        cast({{ metric }} as decimal(38, 4)) as numerator,
        cast(null as decimal(38, 4)) as denominator
    from {{ ref('kpi_daily') }}
    union all
    {%- endfor %}
    select
        date,
        'conversion_rate' as metric,
        'all' as channel,
        cast(round(conversion_rate * sessions) as decimal(38, 4)) as numerator,
        cast(sessions as decimal(38, 4)) as denominator
    from {{ ref('kpi_daily') }}
    union all
    select
        date,
        'aov' as metric,
        'all' as channel,
        cast(gross_revenue as decimal(38, 4)) as numerator,
        cast(paid_orders as decimal(38, 4)) as denominator
    from {{ ref('kpi_daily') }}
),

-- per channel from channel_daily; whole-shop spend and attributed_revenue sum every channel
channel_values as (
    {%- for metric in ['sessions', 'new_customers', 'spend', 'attributed_revenue'] %}
    select
        date,
        '{{ metric }}' as metric,
        channel,
        cast({{ metric }} as decimal(38, 4)) as numerator,
        cast(null as decimal(38, 4)) as denominator
    from {{ ref('channel_daily') }}
    union all
    {%- endfor %}
    {%- for metric in ['spend', 'attributed_revenue'] %}
    select
        date,
        '{{ metric }}' as metric,
        'all' as channel,
        cast(sum({{ metric }}) as decimal(38, 4)) as numerator,
        cast(null as decimal(38, 4)) as denominator
    from {{ ref('channel_daily') }}
    group by date
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

daily_values as (
    select * from shop_values
    union all
    select * from channel_values
),

actuals as (
    select
        targets.month_start,
        targets.metric,
        targets.channel,
        sum(daily_values.numerator) as numerator,
        sum(daily_values.denominator) as denominator
    from targets
    inner join daily_values
        on
        daily_values.metric = targets.metric
        and daily_values.channel = targets.channel
        and daily_values.date between targets.month_start and least(targets.month_end, targets.last_complete_day)
    group by targets.month_start, targets.metric, targets.channel
),

measured as (
    select
        targets.*,
        case
            -- nothing of the month has elapsed yet: nothing measured
            when targets.days_elapsed = 0 then null
            when targets.is_ratio then {{ safe_divide('actuals.numerator', 'actuals.denominator') }}
            -- a sum over days without any row is 0; gross margin stays null without a costed line
            when targets.metric = 'gross_margin' then actuals.numerator
            else coalesce(actuals.numerator, 0)
        end as actual_to_date,
        case
            when targets.is_ratio then targets.target_value
            else cast(targets.target_value * targets.days_elapsed as {{ type_double() }}) / targets.days_in_month
        end as expected_to_date
    from targets
    left join actuals
        on
        actuals.month_start = targets.month_start
        and actuals.metric = targets.metric
        and actuals.channel = targets.channel
),

with_projection as (
    select
        *,
        case
            when is_ratio then actual_to_date
            else actual_to_date * days_in_month / nullif(days_elapsed, 0)
        end as run_rate_projected
    from measured
)

select
    month_start,
    metric,
    channel,
    cast(target_value as double) as target_value,
    cast(actual_to_date as double) as actual_to_date,
    cast(days_elapsed as integer) as days_elapsed,
    cast(days_in_month as integer) as days_in_month,
    cast(expected_to_date as double) as expected_to_date,
    cast(actual_to_date / nullif(expected_to_date, 0) as double) as pace,
    cast(run_rate_projected as double) as projected,
    case
        when is_lower_better then run_rate_projected <= target_value
        else run_rate_projected >= target_value
    end as on_track,
    is_ratio,
    is_lower_better,
    month_end,
    last_complete_day
from with_projection
