{#-
  The run's window of batch days, vars `min_date` / `max_date` (YYYY-MM-DD, inclusive; defaults
  0001-01-01 / 9999-12-31 = every batch). The pipeline passes them on every `dbt build`.
  Models do not use them yet; incremental models will restrict the rows they reprocess with
  `{{ in_batch_window('_batch_dt') }}`.
-#}

{% macro batch_window() -%}
  {%- set bounds = [var('min_date', '0001-01-01') | string, var('max_date', '9999-12-31') | string] -%}
  {{- return(bounds) -}}
{%- endmacro %}


{% macro in_batch_window(column='_batch_dt') -%}
  {%- set bounds = batch_window() -%}
  ({{ column }} between cast({{ sql_literal(bounds[0]) }} as date) and cast({{ sql_literal(bounds[1]) }} as date))
{%- endmacro %}


{#- on-run-start: fail fast on a malformed window rather than build something surprising. -#}
{% macro validate_batch_window() -%}
  {%- set bounds = batch_window() -%}
  {%- for value in bounds -%}
    {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$', value) -%}
      {{- exceptions.raise_compiler_error("vars min_date / max_date must be YYYY-MM-DD, got '" ~ value ~ "'") -}}
    {%- endif -%}
  {%- endfor -%}
  {%- if bounds[0] > bounds[1] -%}
    {{- exceptions.raise_compiler_error("var min_date " ~ bounds[0] ~ " is after max_date " ~ bounds[1]) -}}
  {%- endif -%}
  select 1 as batch_window_ok
{%- endmacro %}
