-- Risk early warning (kpis.md): one row per alert, the union of the rule models
-- int_risk__<rule> (models/intermediate/risk/: one model per rule, each with its choices and
-- unit tests; thresholds and severity ladders in macros/risk_rules.sql). Personal keys are
-- hashed there: devices and IP addresses arrive hashed from staging, customers are hashed with
-- the same keyed hash (pii.sql). A shop without inventory has no `stockout` rows.

{%- set columns = 'alert_id, alert_date, alert_type, severity, entity_type, entity, metric_value, threshold, explanation' %}

select {{ columns }} from {{ ref('int_risk__order_velocity') }}
union all
select {{ columns }} from {{ ref('int_risk__amount_outlier') }}
union all
select {{ columns }} from {{ ref('int_risk__refund_abuse') }}
union all
select {{ columns }} from {{ ref('int_risk__payment_failures') }}
union all
select {{ columns }} from {{ ref('int_risk__kpi_anomaly') }}
union all
select {{ columns }} from {{ ref('int_risk__service_sla') }}
union all
select {{ columns }} from {{ ref('int_risk__page_load') }}
union all
select {{ columns }} from {{ ref('int_risk__stockout') }}
