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

  Its generic tests then read `model` through dbt's `where` hook (get_where_subquery) with the
  condition that keeps those rows, written inside a comment: compiled, a test reads every row (a
  `dbt test` by hand, a full pass). For the data tests of an incremental run the pipeline takes
  the comment's marks away (transform/data_test_scope.py, `scoped_sql`), which makes the
  condition part of the query. A condition switched on by data instead (a flag table read in the
  query) would keep DuckDB from filtering the scan by the days: 10x slower tests on the largest
  tables. Rows outside the rebuilt days are as the last full pass left them: the run did not
  touch them.

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


{#- The condition on `relation`'s rows that keeps those of its rebuilt days, as `true` followed
    by a comment that holds it (the marks are transform/data_test_scope.py's CHANGED_DAYS_MARKS);
    '' for a model without test_changed_days. -#}
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
      "true /* changed days only: and " ~ adapter.quote(scope['column']) ~ " in (select cast(d."
      ~ adapter.quote(day_column) ~ " + to_days(cast(k as integer)) as date) from " ~ days
      ~ " as d, range(-" ~ margin ~ ", " ~ (margin + 1) ~ ") as offsets(k)) :changed days only */"
  ) -}}
{%- endmacro %}
