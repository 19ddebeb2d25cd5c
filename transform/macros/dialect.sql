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

{#- Spark has no TIMESTAMPTZ: an instant is a TIMESTAMP (LTZ) shown in the session zone, pinned to
    UTC (profiles.yml). from_utc_timestamp shifts it to the reporting zone's wall clock, and the
    cast to TIMESTAMP_NTZ keeps that wall clock whatever the session zone: DuckDB's TIMESTAMP. -#}
{% macro spark__to_local_timestamp(instant) -%}
  cast(from_utc_timestamp({{ instant }}, {{ sql_literal(reporting_tz()) }}) as timestamp_ntz)
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

{#- The same over a window frame (`... over (order by ... range between ...)`): Spark's
    percentile_cont takes no frame, its `percentile` (also interpolating) does. -#}
{% macro windowed_percentile_cont(expression, fraction) -%}
  {{ return(adapter.dispatch('windowed_percentile_cont', 'shop_warehouse')(expression, fraction)) }}
{%- endmacro %}

{% macro default__windowed_percentile_cont(expression, fraction) -%}
  {{ percentile_cont(expression, fraction) }}
{%- endmacro %}

{% macro spark__windowed_percentile_cont(expression, fraction) -%}
  percentile({{ expression }}, {{ fraction }})
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


{#-
  Whole `datepart`s between two timestamps, as DuckDB's date_diff counts them: the difference of
  the two instants truncated to the part (second, millisecond: boundaries crossed), as a
  parenthesised integer expression. dbt's own datediff is not the same on every engine: on Spark
  it truncates to whole seconds and expands without parentheses ("... + ms - ms"), so
  `datediff(...) / 60000.0` divided its last term only. Other parts (day, month, ...) are
  dbt.datediff, parenthesised.
-#}
{% macro timestamp_diff(first, second, datepart) -%}
  {{ return(adapter.dispatch('timestamp_diff', 'shop_warehouse')(first, second, datepart)) }}
{%- endmacro %}

{% macro default__timestamp_diff(first, second, datepart) -%}
  ({{ dbt.datediff(first, second, datepart) }})
{%- endmacro %}

{#- DuckDB: from the instants' epoch milliseconds and microseconds. Its date_diff on TIMESTAMPTZ
    goes through the calendar of the session's time zone: ~1.2 s for the sessions of a year on the
    medium shop (5.8M) against ~0.1 s, with the same results. -#}
{% macro duckdb__timestamp_diff(first, second, datepart) -%}
  {%- if datepart == 'second' -%}
    (epoch_ms({{ second }}) // 1000 - epoch_ms({{ first }}) // 1000)
  {%- elif datepart == 'millisecond' -%}
    (epoch_ms({{ second }}) - epoch_ms({{ first }}))
  {%- elif datepart == 'microsecond' -%}
    (epoch_us({{ second }}) - epoch_us({{ first }}))
  {%- else -%}
    ({{ dbt.datediff(first, second, datepart) }})
  {%- endif -%}
{%- endmacro %}

{% macro spark__timestamp_diff(first, second, datepart) -%}
  {%- set epoch = {'second': 'unix_seconds', 'millisecond': 'unix_millis', 'microsecond': 'unix_micros'}.get(datepart) -%}
  {%- if epoch -%}
    ({{ epoch }}({{ second }}) - {{ epoch }}({{ first }}))
  {%- else -%}
    ({{ dbt.datediff(first, second, datepart) }})
  {%- endif -%}
{%- endmacro %}


{#- timestamp_diff as a DOUBLE divided by `per` (minutes from milliseconds: per 60000). The division
    is in floating point on every engine: Spark divides an integer by a decimal literal such as
    60000.0 in DECIMAL, rounded to 6 decimals, where DuckDB gives a DOUBLE. -#}
{% macro timestamp_diff_in(first, second, datepart, per) -%}
  (cast({{ timestamp_diff(first, second, datepart) }} as {{ type_double() }}) / {{ per }})
{%- endmacro %}


{#-
  A timestamp plus `interval` (an integer expression) `datepart`s (hour, minute, second, day, ...),
  exact to the microsecond. dbt's dateadd on Spark goes through unix seconds and drops the
  fraction of a second of event times (milliseconds).
-#}
{% macro timestamp_add(datepart, interval, ts) -%}
  {{ return(adapter.dispatch('timestamp_add', 'shop_warehouse')(datepart, interval, ts)) }}
{%- endmacro %}

{% macro default__timestamp_add(datepart, interval, ts) -%}
  {{ dbt.dateadd(datepart, interval, ts) }}
{%- endmacro %}

{% macro spark__timestamp_add(datepart, interval, ts) -%}
  timestampadd({{ datepart | upper }}, {{ interval }}, {{ ts }})
{%- endmacro %}
