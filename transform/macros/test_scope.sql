{#-
  Data tests of an incremental model over the days its run rebuilt (docs/design.md, "Data tests").

  A model declares which of its rows a run can change:

      config:
        meta:
          test_changed_days:
            column: session_date                     # the model's day column
            rebuild_days: int_traffic_rebuild_days   # the model that lists the days rebuilt,
            rebuild_days_column: event_date          # in this column (default: `column`)
            around_lookback: true                    # and the days within lookback_days of them

  Its generic tests then read `model` through dbt's `where` hook (get_where_subquery) as those
  rows only, when, and only when, the one-row table ops.data_test_scope says so: the pipeline sets
  it for the data tests of an incremental run (transform/data_tests.py) and removes it after. A
  `dbt test` by hand, a full refresh and the pipeline's scheduled full pass test every row. Rows
  outside the rebuilt days are as the last full pass left them: the run did not touch them.

  DuckDB only: a Spark build runs dbt's tests in dbt, over every row (dbt's default__ macro).
-#}

{% macro duckdb__get_where_subquery(relation) -%}
  {%- set conditions = [] -%}
  {%- set where = config.get('where', '') -%}
  {%- if where -%}
    {%- do conditions.append('(' ~ where ~ ')') -%}
  {%- endif -%}
  {%- set changed = changed_rows(relation) if execute else '' -%}
  {%- if changed -%}
    {%- do conditions.append('(' ~ changed ~ ')') -%}
  {%- endif -%}
  {%- if conditions -%}
    {%- do return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') -%}
  {%- endif -%}
  {%- do return(relation) -%}
{%- endmacro %}


{#- The condition on `relation`'s rows that keeps those of its rebuilt days while the pipeline's
    scope says so (all rows otherwise); '' for a model without test_changed_days. -#}
{% macro changed_rows(relation) -%}
  {%- set node = graph.nodes.values()
      | selectattr('resource_type', 'equalto', 'model')
      | selectattr('alias', 'equalto', relation.identifier)
      | selectattr('schema', 'equalto', relation.schema)
      | first -%}
  {%- set scope = ((node.config.meta or {}).get('test_changed_days') if node else none) -%}
  {%- if not scope -%}
    {{- return('') -}}
  {%- endif -%}
  {%- set days_node = graph.nodes.values() | selectattr('name', 'equalto', scope['rebuild_days']) | first -%}
  {%- if days_node is none -%}
    {{- exceptions.raise_compiler_error("test_changed_days of " ~ node.name ~ ": no model " ~ scope['rebuild_days']) -}}
  {%- endif -%}
  {%- set days = api.Relation.create(database=days_node.database, schema=days_node.schema, identifier=days_node.alias) -%}
  {%- set margin = lookback_days() if scope.get('around_lookback') else 0 -%}
  {%- set day_column = scope.get('rebuild_days_column', scope['column']) -%}
  {{- return(
      "not coalesce((select bool_or(changed_days_only) from ops.data_test_scope), false) or "
      ~ adapter.quote(scope['column']) ~ " in (select cast(d." ~ adapter.quote(day_column)
      ~ " + to_days(cast(k as integer)) as date) from " ~ days ~ " as d, range(-" ~ margin ~ ", " ~ (margin + 1)
      ~ ") as offsets(k))"
  ) -}}
{%- endmacro %}


{#- on-run-start: the scope table a data test reads, empty (every row tested) until the pipeline
    fills it for the tests of an incremental run. -#}
{% macro create_data_test_scope() -%}
  {{ return(adapter.dispatch('create_data_test_scope', 'shop_warehouse')()) }}
{%- endmacro %}

{% macro default__create_data_test_scope() -%}
  select 1 as no_scope_table
{%- endmacro %}

{% macro duckdb__create_data_test_scope() -%}
  create schema if not exists ops;
  create table if not exists ops.data_test_scope (changed_days_only boolean not null)
{%- endmacro %}
