{#-
  DuckDB: an incremental model inserts its rows straight into its table. Every incremental model
  here deletes the keys or days it rebuilds in its pre-hook (delete_rebuild_days, on the column of
  its unique_key) and selects only rows of those keys or days, so dbt-duckdb's delete+insert did
  the work twice: it wrote the rows to a temporary table, deleted the (already deleted) keys the
  temporary table holds, then copied the rows over, with four column lookups around it. Here the
  query is a temporary view (nothing is computed until the insert), on_schema_change is applied as
  dbt applies it (process_schema_changes, with the view as the source), and the rows are inserted
  by name. A model without such a pre-hook is an error at run time, not a silent duplicate. A
  first build or a full refresh replaces the table in one transaction, as the table
  materialization does (replace_table_in_place, macros/table_materialization.sql). Spark keeps
  dbt-spark's own.
-#}
{% materialization incremental, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}
  {%- set unique_key = config.get('unique_key') -%}
  {%- set on_schema_change = incremental_validate_on_schema_change(config.get('on_schema_change'), default='ignore') -%}
  {%- set full_refresh_mode = should_full_refresh() or existing_relation is none or existing_relation.is_view -%}

  {%- if not full_refresh_mode -%}
    {%- set found = namespace(delete=false) -%}
    {%- for hook in model.config.get('pre-hook', []) -%}
      {%- if unique_key is string and ("delete_rebuild_days('" ~ unique_key ~ "'") in hook.sql -%}
        {%- set found.delete = true -%}
      {%- endif -%}
    {%- endfor -%}
    {%- if not found.delete -%}
      {{ exceptions.raise_compiler_error(
          model.name ~ ': an incremental model here deletes what it rebuilds in a pre-hook '
          ~ "delete_rebuild_days('<unique_key>', ...) and has that one column as its unique_key") }}
    {%- endif -%}
  {%- endif -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% if full_refresh_mode %}
    {% do replace_table_in_place(existing_relation, target_relation) %}
  {% else %}
    {#- no database or schema: DuckDB's temporary catalog -#}
    {%- set new_rows = make_temp_relation(target_relation).incorporate(type='view') -%}
    {% call statement('new_rows') -%}
      create or replace temporary view {{ new_rows }} as (
        {{ compiled_code }}
      )
    {%- endcall %}
    {% do process_schema_changes(on_schema_change, new_rows, existing_relation) %}
    {% call statement('main') -%}
      insert into {{ target_relation }} by name
      select * from {{ new_rows }}
    {%- endcall %}
    {% call statement('drop_new_rows') -%}
      drop view {{ new_rows }}
    {%- endcall %}
  {% endif %}

  {% do finish_duckdb_model(existing_relation, target_relation, full_refresh_mode) %}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}
