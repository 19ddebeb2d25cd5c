{#-
  The columns of the project's relations in `schemas` (a list of schema names), as a query with
  the columns table_schema, table_name, column_name: what the singular tests that scan the
  catalog read (tests/assert_no_clear_personal_data.sql, assert_marts_carry_no_clear_customer_id).
-#}
{% macro catalog_columns(schemas) -%}
  {{ return(adapter.dispatch('catalog_columns', 'shop_warehouse')(schemas)) }}
{%- endmacro %}

{% macro default__catalog_columns(schemas) -%}
    select table_schema, table_name, column_name
    from information_schema.columns
    where table_catalog = {{ sql_literal(target.database) }}
        and lower(table_schema) in ({% for schema in schemas %}{{ sql_literal(schema | lower) }}{{ ', ' if not loop.last }}{% endfor %})
{%- endmacro %}

{#- Spark's session catalog has no information_schema: the relations and their columns are listed
    through the adapter when the test runs (SHOW TABLES / DESCRIBE) and written out as VALUES. -#}
{% macro spark__catalog_columns(schemas) -%}
  {%- set rows = [] -%}
  {%- if execute -%}
    {%- for schema in schemas -%}
      {%- set tables = run_query('show tables in ' ~ schema | lower) -%}
      {%- for table in tables.rows | sort(attribute='tableName') if not table['isTemporary'] -%}
        {%- set relation = api.Relation.create(schema=schema | lower, identifier=table['tableName']) -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
          {%- do rows.append('(' ~ sql_literal(schema | lower) ~ ', ' ~ sql_literal(table['tableName']) ~ ', ' ~ sql_literal(column.name) ~ ')') -%}
        {%- endfor -%}
      {%- endfor -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if rows -%}
    select table_schema, table_name, column_name
    from values {{ rows | join(', ') }} as catalog_columns (table_schema, table_name, column_name)
  {%- else -%}
    select
        cast(null as {{ dbt.type_string() }}) as table_schema,
        cast(null as {{ dbt.type_string() }}) as table_name,
        cast(null as {{ dbt.type_string() }}) as column_name
    where 1 = 0
  {%- endif -%}
{%- endmacro %}
