{#-
  Fails for each listed column that holds a null: one row (column_name, null_rows) per such
  column, from one scan of the model. One test per model instead of one not_null node per column:
  a dbt test node costs ~30 ms of dbt's own work whatever its query, and every run tests every
  model (docs/decisions.md).
-#}
{% test not_null_columns(model, columns) %}
with null_counts as (

    select
    {%- for column in columns %}
        count(*) - count({{ column }}) as nulls_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}

)
{% for column in columns %}
select '{{ column }}' as column_name, nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
