-- Risk rule kpi_anomaly (kpis.md "Risk early warning", second edition): for gmv, sessions and
-- conversion_rate, on each day D with 56 days of history, fit log(value) = trend + weekday effect
-- (OLS, 7 weekday intercepts and one slope) on D - 56 .. D - 1, refit once without the days whose
-- residual exceeds 3 x the residual scale, and alert when log(value_D) is more than 4.5 residual
-- scales and at least 10 % away from the prediction. One alert per KPI and day. Reads the mart
-- kpi_daily. Thresholds and severity ladder: macros/risk_rules.sql; choices: the model's YAML.
--
-- The fit in closed form: with t = the day's offset from D (-56 .. -1) and y = log(value), the
-- slope of an OLS with one intercept per weekday is the slope of the data demeaned within each
-- weekday, slope = sum((t - mean_w(t)) * (y - mean_w(y))) / sum((t - mean_w(t))^2); a weekday's
-- intercept is mean_w(y) - slope * mean_w(t), so a day's residual is
-- (y - mean_w(y)) - slope * (t - mean_w(t)) and the prediction for D (t = 0, weekday of D) is
-- mean_w(y) - slope * mean_w(t) over D's weekday.

{%- set anomaly = risk_rules()['kpi_anomaly'] %}
{#- a multiple of 7 at least as long as the history: t + this is >= 0, and mod(., 7) = 0 is D's weekday #}
{%- set week_offset = 7 * ((anomaly['history_days'] + 6) // 7) %}

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

kpi_bounds as (

    select min(date) as first_date from {{ ref('kpi_daily') }}

),

evaluated_days as (

    -- "with 56 days of history": kpi_daily has one row per date from its first date on, so D is
    -- evaluated from its first date + 56 on, when D has a value
    select
        kpi_values.kpi,
        kpi_values.kpi_date,
        kpi_values.kpi_value
    from kpi_values
    cross join kpi_bounds
    where kpi_values.kpi_value is not null
        and kpi_values.kpi_date >= cast({{ dbt.dateadd('day', anomaly['history_days'], 'kpi_bounds.first_date') }} as date)

),

history as (

    -- D - 56 .. D - 1 with a positive value (log undefined otherwise: such days are left out of the fit)
    select
        evaluated_days.kpi,
        evaluated_days.kpi_date,
        {{ dbt.datediff('evaluated_days.kpi_date', 'past.kpi_date', 'day') }} as t,
        mod({{ dbt.datediff('evaluated_days.kpi_date', 'past.kpi_date', 'day') }} + {{ week_offset }}, 7) as weekday_index,
        ln(past.kpi_value) as y
    from evaluated_days
    inner join kpi_values as past
        on past.kpi = evaluated_days.kpi
        and past.kpi_date < evaluated_days.kpi_date
        and past.kpi_date >= cast({{ dbt.dateadd('day', -anomaly['history_days'], 'evaluated_days.kpi_date') }} as date)
    where past.kpi_value > 0

),

first_fit_days as (

    select
        kpi,
        kpi_date,
        t,
        weekday_index,
        y,
        t - avg(t) over (partition by kpi, kpi_date, weekday_index) as t_centred,
        y - avg(y) over (partition by kpi, kpi_date, weekday_index) as y_centred,
        count(*) over (partition by kpi, kpi_date, weekday_index) as weekday_days
    from history

),

first_fits as (

    -- fitted only when every weekday has at least 4 usable days in the history
    select
        kpi,
        kpi_date,
        sum(t_centred * y_centred) / sum(t_centred * t_centred) as slope
    from first_fit_days
    group by kpi, kpi_date
    having count(distinct weekday_index) = 7
        and min(weekday_days) >= {{ anomaly['min_days_per_weekday'] }}

),

first_residuals as (

    select
        first_fit_days.kpi,
        first_fit_days.kpi_date,
        first_fit_days.t,
        first_fit_days.weekday_index,
        first_fit_days.y,
        first_fit_days.y_centred - first_fits.slope * first_fit_days.t_centred as residual
    from first_fit_days
    inner join first_fits
        on first_fits.kpi = first_fit_days.kpi
        and first_fits.kpi_date = first_fit_days.kpi_date

),

first_scales as (

    -- the residual scale of the first fit, as of the refit: 1.4826 x median |residual|, at least 0.01
    select
        kpi,
        kpi_date,
        greatest(
            {{ anomaly['mad_to_sd'] }} * {{ percentile_cont('abs(residual)', 0.5) }},
            {{ anomaly['min_scale'] }}
        ) as scale
    from first_residuals
    group by kpi, kpi_date

),

refit_days as (

    -- the days whose residual is at most 3 x the scale
    select
        first_residuals.kpi,
        first_residuals.kpi_date,
        first_residuals.weekday_index,
        avg(first_residuals.t) over (partition by first_residuals.kpi, first_residuals.kpi_date, first_residuals.weekday_index) as weekday_mean_t,
        avg(first_residuals.y) over (partition by first_residuals.kpi, first_residuals.kpi_date, first_residuals.weekday_index) as weekday_mean_y,
        first_residuals.t - avg(first_residuals.t) over (partition by first_residuals.kpi, first_residuals.kpi_date, first_residuals.weekday_index) as t_centred,
        first_residuals.y - avg(first_residuals.y) over (partition by first_residuals.kpi, first_residuals.kpi_date, first_residuals.weekday_index) as y_centred
    from first_residuals
    inner join first_scales
        on first_scales.kpi = first_residuals.kpi
        and first_scales.kpi_date = first_residuals.kpi_date
    where abs(first_residuals.residual) <= {{ anomaly['trim_scales'] }} * first_scales.scale

),

refits as (

    -- the refit's slope and D's prediction (D's weekday intercept at t = 0); no prediction when no
    -- day of D's weekday is left
    select
        kpi,
        kpi_date,
        sum(t_centred * y_centred) / sum(t_centred * t_centred) as slope,
        max(case when weekday_index = 0 then weekday_mean_y end)
        - sum(t_centred * y_centred) / sum(t_centred * t_centred)
        * max(case when weekday_index = 0 then weekday_mean_t end) as prediction
    from refit_days
    group by kpi, kpi_date
    having sum(t_centred * t_centred) > 0

),

refit_scales as (

    -- s = 1.4826 x median |residual| of the refit days, at least 0.01
    select
        refit_days.kpi,
        refit_days.kpi_date,
        refits.prediction,
        greatest(
            {{ anomaly['mad_to_sd'] }} * {{ percentile_cont('abs(refit_days.y_centred - refits.slope * refit_days.t_centred)', 0.5) }},
            {{ anomaly['min_scale'] }}
        ) as scale
    from refit_days
    inner join refits
        on refits.kpi = refit_days.kpi
        and refits.kpi_date = refit_days.kpi_date
    where refits.prediction is not null
    group by refit_days.kpi, refit_days.kpi_date, refits.prediction

),

kpi_deviations as (

    -- a value of 0 (log undefined) is 100 % below any prediction: it counts as infinitely many scales
    select
        evaluated_days.kpi,
        evaluated_days.kpi_date,
        evaluated_days.kpi_value,
        exp(refit_scales.prediction) as expected_value,
        refit_scales.scale,
        case
            when evaluated_days.kpi_value > 0
                then abs(ln(evaluated_days.kpi_value) - refit_scales.prediction) / refit_scales.scale
        end as scales_away,
        evaluated_days.kpi_value / exp(refit_scales.prediction) - 1 as relative_change,
        -- the bounds: the farther of 4.5 scales and 10 % from the expected value, on each side
        greatest(
            exp(refit_scales.prediction + {{ anomaly['alert_scales'] }} * refit_scales.scale),
            (1 + {{ anomaly['min_relative_change'] }}) * exp(refit_scales.prediction)
        ) as upper_bound,
        least(
            exp(refit_scales.prediction - {{ anomaly['alert_scales'] }} * refit_scales.scale),
            (1 - {{ anomaly['min_relative_change'] }}) * exp(refit_scales.prediction)
        ) as lower_bound
    from evaluated_days
    inner join refit_scales
        on refit_scales.kpi = evaluated_days.kpi
        and refit_scales.kpi_date = evaluated_days.kpi_date

),

kpi_alerts as (

    select
        kpi_date as alert_date,
        'kpi_anomaly' as alert_type,
        'kpi' as entity_type,
        kpi as entity,
        kpi_value as metric_value,
        case when relative_change > 0 then upper_bound else lower_bound end as threshold,
        case
            when scales_away is null then 'high'
            else {{ risk_severity('kpi_anomaly', 'scales_away') }}
        end as severity,
        (
            case kpi
                when 'gmv' then 'GMV ' || {{ format_thousands('kpi_value') }} || ' {{ base_currency() }}'
                when 'sessions' then 'Sessions ' || {{ format_thousands('kpi_value') }}
                else 'Conversion rate ' || {{ fmt_number('100 * kpi_value', 2) }} || ' %'
            end
            || case when kpi = 'sessions' then ' are ' else ' is ' end
            || {{ fmt_number('100 * abs(relative_change)', 1) }}
            || case when relative_change > 0 then ' % above' else ' % below' end
            || ' the expected '
            || case
                when kpi = 'conversion_rate' then {{ fmt_number('100 * expected_value', 2) }} || ' %'
                else {{ format_thousands('expected_value') }}
            end
            || ' (usual day-to-day variation ±' || {{ fmt_number('100 * (exp(scale) - 1)', 1) }} || ' %)'
        ) as explanation
    from kpi_deviations
    where (scales_away is null or scales_away > {{ anomaly['alert_scales'] }})
        and abs(relative_change) >= {{ anomaly['min_relative_change'] }}

)

select {{ risk_alert_columns() }}
from kpi_alerts
