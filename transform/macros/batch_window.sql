{#-
  The run's window of batch days (YYYY-MM-DD, inclusive; 0001-01-01 / 9999-12-31 = every batch).

  The pipeline writes it into the one-row table ops.dbt_run_window of the working database just
  before its `dbt build` and removes it afterwards (transform/project.py, run_window_table): not
  as vars, because dbt parses the whole project again whenever its vars change, and the window
  changes every run while the settings do not. A `dbt build --vars '{"min_date": ...,
  "max_date": ...}'` by hand (tests, benchmarks) names its window itself and wins; without
  either, every batch is in the window. Incremental models restrict the raw rows they reprocess
  with `{{ in_batch_window('_batch_dt') }}`.
-#}

{% macro batch_window() -%}
  {%- set default = ['0001-01-01', '9999-12-31'] -%}
  {%- set given = [var('min_date', default[0]) | string, var('max_date', default[1]) | string] -%}
  {%- if given != default or not execute -%}
    {{- return(given) -}}
  {%- endif -%}
  {%- set table = adapter.get_relation(database=target.database, schema='ops', identifier='dbt_run_window') -%}
  {%- if table is none -%}
    {{- return(default) -}}
  {%- endif -%}
  {%- set rows = run_query('select cast(min_date as ' ~ dbt.type_string() ~ '), cast(max_date as ' ~ dbt.type_string() ~ ') from ' ~ table).rows -%}
  {{- return([rows[0][0], rows[0][1]] if rows | length == 1 else default) -}}
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
