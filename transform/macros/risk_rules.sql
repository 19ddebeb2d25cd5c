{#-
  The thresholds of kpis.md "Risk early warning", in ONE editable place, and the severity ladders
  we chose (docs/design.md, "Risk alerts"). The rule models `int_risk__<rule>`
  (models/intermediate/risk/) read every number from here; `risk_alerts` is their union.

  severity: an alert is `low` when it only crosses the rule's threshold, `medium` from
  `medium_from`, `high` from `high_from`, measured on the rule's own scale (orders in the window,
  multiple of the median, refunded share, standard deviations, residual scales).
-#}
{% macro risk_rules() -%}
  {{ return({
    'order_velocity': {
      'min_orders': 5, 'window_minutes': 60,
      'medium_from': 7, 'high_from': 10,
    },
    'amount_outlier': {
      'median_multiple': 10, 'trailing_days': 30,
      'medium_from': 20, 'high_from': 50,
    },
    'refund_abuse': {
      'min_paid_orders': 3, 'trailing_days': 90, 'refunded_share_above': 0.5,
      'medium_from': 0.7, 'high_from': 0.9,
    },
    'payment_failures': {
      'trailing_days': 28, 'min_trailing_days': 7, 'sigmas': 3, 'min_excess_failures': 5,
      'medium_from': 4.5, 'high_from': 6,
    },
    'kpi_anomaly': {
      'history_days': 56, 'min_days_per_weekday': 4,
      'trim_scales': 3, 'mad_to_sd': 1.4826, 'min_scale': 0.01,
      'alert_scales': 4.5, 'min_relative_change': 0.10,
      'medium_from': 6, 'high_from': 9,
    },
    'service_sla': {
      'trailing_days': 28, 'min_trailing_days': 7, 'sigmas': 3, 'min_points': 0.05,
      'medium_from': 4.5, 'high_from': 6,
    },
    'page_load': {
      'trailing_days': 28, 'min_trailing_days': 7, 'median_multiple': 1.5,
      'medium_from': 2, 'high_from': 3,
    },
    'stockout': {
      'trailing_days': 28, 'top_share': 0.20, 'high_share': 0.05,
    },
  }) }}
{%- endmacro %}


{#- `low` / `medium` / `high` of a value on the rule's severity scale (see risk_rules). -#}
{% macro risk_severity(rule, scale_value) -%}
  {%- set r = risk_rules()[rule] -%}
  case
    when {{ scale_value }} >= {{ r['high_from'] }} then 'high'
    when {{ scale_value }} >= {{ r['medium_from'] }} then 'medium'
    else 'low'
  end
{%- endmacro %}


{#- A number as text with `places` decimals (fixed, e.g. 236.10), for alert explanations. -#}
{% macro fmt_number(expression, places=2) -%}
  cast(cast(round({{ expression }}, {{ places }}) as decimal(38, {{ places }})) as {{ dbt.type_string() }})
{%- endmacro %}


{#-
  The columns of an alert row, typed as risk_alerts' contract, from a relation with alert_date,
  alert_type, severity, entity_type, entity, metric_value, threshold and explanation. Every
  int_risk__<rule> model ends with `select {{ risk_alert_columns() }} from <its alerts>`.
  alert_id = md5 of (alert_type, entity_type, entity, alert_date): stable across runs.
-#}
{% macro risk_alert_columns() -%}
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
{%- endmacro %}
