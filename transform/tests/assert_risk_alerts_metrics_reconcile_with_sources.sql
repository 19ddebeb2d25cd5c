-- The metric of an alert is the number it is about, read again from the layer it comes from:
-- an amount_outlier's metric is its paid order's total in base currency (int_orders), a
-- kpi_anomaly's and page_load's metric is that day's value in kpi_daily. Up to 0.01 of rounding is tolerated
-- (money; conversion_rate is compared to 1e-9).
with alerts as (

    select * from {{ ref('risk_alerts') }}

),

outliers as (

    select alerts.alert_id, alerts.metric_value, orders.total_amount_base as source_value, orders.is_paid
    from alerts
    left join {{ ref('int_orders') }} as orders
        on orders.order_id = alerts.entity
    where alerts.alert_type = 'amount_outlier'

),

anomalies as (

    select
        alerts.alert_id,
        alerts.metric_value,
        case alerts.entity
            when 'gmv' then cast(kpi.gmv as {{ type_double() }})
            when 'sessions' then cast(kpi.sessions as {{ type_double() }})
            when 'conversion_rate' then kpi.conversion_rate
            when 'page_load_p90_ms' then kpi.page_load_p90_ms
        end as source_value,
        alerts.entity
    from alerts
    left join {{ ref('kpi_daily') }} as kpi
        on kpi.date = alerts.alert_date
    where alerts.alert_type in ('kpi_anomaly', 'page_load')

)

select alert_id, metric_value, source_value
from outliers
where source_value is null or not is_paid or abs(metric_value - source_value) > 0.01

union all

select alert_id, metric_value, source_value
from anomalies
where source_value is null
    or abs(metric_value - source_value) > case when entity = 'conversion_rate' then 1e-9 else 0.01 end
