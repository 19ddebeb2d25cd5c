{#-
  The few SQL features whose spelling differs between engines, each behind one macro that
  dispatches on the adapter (architecture.md: Portable SQL). `duckdb__*` is what runs today; the
  `default__*` spelling is standard SQL (or the most common dialect) and is where a port to another
  engine starts. Models never spell these features directly.
-#}


{#- TIMESTAMPTZ instant -> TIMESTAMP (wall-clock time) in the reporting time zone. -#}
{% macro to_local_timestamp(instant) -%}
  {{ return(adapter.dispatch('to_local_timestamp', 'shop_warehouse')(instant)) }}
{%- endmacro %}

{% macro default__to_local_timestamp(instant) -%}
  ({{ instant }} at time zone {{ sql_literal(reporting_tz()) }})
{%- endmacro %}

{% macro duckdb__to_local_timestamp(instant) -%}
  timezone({{ sql_literal(reporting_tz()) }}, {{ instant }})
{%- endmacro %}


{#- TIMESTAMPTZ instant -> the local calendar DATE in the reporting time zone. -#}
{% macro to_local_date(instant) -%}
  cast({{ to_local_timestamp(instant) }} as date)
{%- endmacro %}


{#- Continuous percentile (linear interpolation) of `expression` as an aggregate; nulls ignored. -#}
{% macro percentile_cont(expression, fraction) -%}
  {{ return(adapter.dispatch('percentile_cont', 'shop_warehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__percentile_cont(expression, fraction) -%}
  percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__percentile_cont(expression, fraction) -%}
  quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}


{#- Lower-case hex SHA-256 of a string expression (null stays null). -#}
{% macro sha256_hex(expression) -%}
  {{ return(adapter.dispatch('sha256_hex', 'shop_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__sha256_hex(expression) -%}
  sha2({{ expression }}, 256)
{%- endmacro %}

{% macro duckdb__sha256_hex(expression) -%}
  sha256({{ expression }})
{%- endmacro %}


{#- The Monday on or before a DATE (kpis.md: "a week starts on Monday"), as a DATE. -#}
{% macro week_start(day) -%}
  {{ return(adapter.dispatch('week_start', 'shop_warehouse')(day)) }}
{%- endmacro %}

{#- ISO weeks (Monday first) in PostgreSQL, Redshift, Databricks; engines whose `date_trunc('week')`
    follows a session setting (Snowflake WEEK_START) or another argument order (BigQuery:
    `date_trunc(d, isoweek)`) need their own spelling. -#}
{% macro default__week_start(day) -%}
  cast(date_trunc('week', {{ day }}) as date)
{%- endmacro %}

{% macro duckdb__week_start(day) -%}
  cast(date_trunc('week', {{ day }}) as date)
{%- endmacro %}


{#- A number rounded to a whole number, as text with thousands separators (277493.4 -> '277,493'),
    for sentences a manager reads (risk alert explanations). -#}
{% macro format_thousands(expression) -%}
  {{ return(adapter.dispatch('format_thousands', 'shop_warehouse')(expression)) }}
{%- endmacro %}

{% macro default__format_thousands(expression) -%}
  format_number(round({{ expression }}, 0), 0)
{%- endmacro %}

{% macro duckdb__format_thousands(expression) -%}
  format('{:,}', cast(round({{ expression }}, 0) as bigint))
{%- endmacro %}
