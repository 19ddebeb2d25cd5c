{#-
  Fails for each listed column with values outside its range: one row (column_name,
  out_of_range_rows) per such column, from one scan of the model. `ranges` is a list of
  {column, min_value, max_value, inclusive}: either bound optional, `inclusive: false` makes both
  bounds strict; nulls pass (not_null_columns covers them). One test per model instead of one
  node per column: see not_null_columns.
-#}
{% test accepted_ranges(model, ranges) %}
with out_of_range_counts as (

    select
    {%- for range in ranges %}
        {%- if range.get('min_value') is none and range.get('max_value') is none %}
            {{ exceptions.raise_compiler_error("accepted_ranges: " ~ range['column'] ~ " needs min_value or max_value") }}
        {%- endif %}
        {%- set low_op = '>=' if range.get('inclusive', true) else '>' %}
        {%- set high_op = '<=' if range.get('inclusive', true) else '<' %}
        count(
            case when {{ range['column'] }} is not null and not (
                {%- if range.get('min_value') is not none %} {{ range['column'] }} {{ low_op }} {{ range['min_value'] }}{% endif %}
                {%- if range.get('min_value') is not none and range.get('max_value') is not none %} and{% endif %}
                {%- if range.get('max_value') is not none %} {{ range['column'] }} {{ high_op }} {{ range['max_value'] }}{% endif %}
            ) then 1 end
        ) as outside_{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}

)
{% for range in ranges %}
select '{{ range["column"] }}' as column_name, outside_{{ loop.index }} as out_of_range_rows
from out_of_range_counts
where outside_{{ loop.index }} > 0
{% if not loop.last %}union all{% endif %}
{%- endfor %}
{% endtest %}
