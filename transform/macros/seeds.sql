{#-
  Loading seeds on Spark (dbt-spark's session mode). dbt-spark binds every CSV cell as a quoted
  string, so an empty cell (None) arrives as the text 'None' rather than NULL (channel_rules'
  empty match_value). This loader writes each cell as a typed literal instead: NULL for an empty
  cell, a quoted and escaped string otherwise, cast to the seed's column type (its
  `column_types`, or dbt's inference). DuckDB loads seeds with its own loader.
-#}
{% macro spark__load_csv_rows(model, agate_table) %}
  {%- set column_override = model['config'].get('column_types', {}) -%}
  {%- set types = [] -%}
  {%- for col_name in agate_table.column_names -%}
    {%- do types.append(column_override.get(col_name, adapter.convert_type(agate_table, loop.index0))) -%}
  {%- endfor -%}
  {%- set statements = [] -%}
  {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
    {%- set sql -%}
      insert into {{ this.render() }} values
      {% for row in chunk -%}
        ({%- for value in row -%}
          cast({{ spark_seed_literal(value) }} as {{ types[loop.index0] }})
          {%- if not loop.last %}, {% endif -%}
        {%- endfor -%}){%- if not loop.last %},{% endif %}
      {% endfor -%}
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {%- do statements.append(sql) -%}
  {%- endfor -%}
  {{ return(statements[0] if statements else '') }}
{% endmacro %}


{#- A CSV cell as a Spark SQL literal: NULL, true/false, a number, or a string with backslashes
    and quotes escaped (Spark's string literals use backslash escapes). -#}
{% macro spark_seed_literal(value) -%}
  {%- if value is none -%}
    null
  {%- elif value is sameas true or value is sameas false -%}
    {{ 'true' if value else 'false' }}
  {%- elif value is number -%}
    {{ value }}
  {%- else -%}
    '{{ value | string | replace('\\', '\\\\') | replace("'", "\\'") }}'
  {%- endif -%}
{%- endmacro %}
