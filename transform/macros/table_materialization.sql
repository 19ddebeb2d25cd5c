{#-
  DuckDB: a table model replaces its table in place, in one transaction: drop the old table,
  create the new one, commit. dbt-duckdb's own table materialization builds a temporary table,
  renames the old table away, renames the new one in and drops the old one after the commit:
  three more statements per model, each a macro call with its events, ~1.5 s of a tiny shop's
  ~12 s of dbt per daily run (50 table models). DuckDB's DDL is transactional, so a model that
  fails leaves the previous table as it was, as the swap did; nothing else reads the working
  database during a build (one writer). No model here has foreign keys, indexes or grants that a
  swap would have to carry over; grants and persisted docs are applied as dbt-duckdb does.
-#}
{% materialization table, adapter='duckdb' %}
  {%- set existing_relation = load_cached_relation(this) -%}
  {%- set target_relation = this.incorporate(type='table') -%}

  {{ run_hooks(pre_hooks, inside_transaction=False) }}
  {{ run_hooks(pre_hooks, inside_transaction=True) }}

  {% do replace_table_in_place(existing_relation, target_relation) %}
  {% do finish_duckdb_model(existing_relation, target_relation, full_refresh_mode=True) %}

  {{ return({'relations': [target_relation]}) }}
{% endmaterialization %}


{#- The table's new rows in place of its old ones, in the open transaction (the drop is rolled back
    with a failed create). Also an incremental model's first build or full refresh. -#}
{% macro replace_table_in_place(existing_relation, target_relation) %}
  {% if existing_relation is not none %}
    {% do adapter.ensure_transaction() %}
    {{ drop_relation_if_exists(existing_relation) }}
  {% endif %}
  {% call statement('main') -%}
    {{ create_table_as(False, target_relation, compiled_code) }}
  {%- endcall %}
{% endmacro %}


{#- What follows a DuckDB model's write, as dbt-duckdb does it: the post-hooks, grants and docs,
    the commit. -#}
{% macro finish_duckdb_model(existing_relation, target_relation, full_refresh_mode) %}
  {{ run_hooks(post_hooks, inside_transaction=True) }}
  {% set should_revoke = should_revoke(existing_relation, full_refresh_mode=full_refresh_mode) %}
  {% do apply_grants(target_relation, config.get('grants'), should_revoke=should_revoke) %}
  {% do persist_docs(target_relation, model) %}
  {{ adapter.commit() }}
  {{ run_hooks(post_hooks, inside_transaction=False) }}
{% endmacro %}
