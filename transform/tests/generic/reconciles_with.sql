{#-
  Σ `column_name` of the model must equal Σ `field` of the relation `to`, per group of
  `group_by` (columns of the model, matched to `to_group_by` of `to`, by default the same names;
  both sides are summed, a group missing on one side counts as 0), or in total without
  `group_by`. Fails once per group whose sums differ by more than `tolerance` (0: must be equal).
  `column_name` and `field` may be expressions; the `where` config narrows the model's rows.
  E.g. on channel_daily.sessions:
    - reconciles_with:
        arguments: {to: ref('kpi_daily'), field: sessions, group_by: ['date']}
-#}
{% test reconciles_with(model, column_name, to, field, group_by=[], to_group_by=none, tolerance=0) %}
  {%- set other_group_by = group_by if to_group_by is none else to_group_by -%}
  {%- if other_group_by | length != group_by | length -%}
    {{ exceptions.raise_compiler_error("reconciles_with: group_by and to_group_by need as many columns") }}
  {%- endif %}

with model_totals as (

    select
        {%- for column in group_by %}
        {{ adapter.quote(column) }} as group_{{ loop.index }},
        {%- endfor %}
        sum({{ column_name }}) as model_total
    from {{ model }}
    {%- if group_by %}
    group by {% for column in group_by %}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
    {%- endif %}

),

other_totals as (

    select
        {%- for column in other_group_by %}
        {{ adapter.quote(column) }} as group_{{ loop.index }},
        {%- endfor %}
        sum({{ field }}) as other_total
    from {{ to }}
    {%- if other_group_by %}
    group by {% for column in other_group_by %}{{ adapter.quote(column) }}{{ ', ' if not loop.last }}{% endfor %}
    {%- endif %}

)

select
    {%- for column in group_by %}
    coalesce(model_totals.group_{{ loop.index }}, other_totals.group_{{ loop.index }}) as {{ adapter.quote(column) }},
    {%- endfor %}
    model_totals.model_total,
    other_totals.other_total
from model_totals
{%- if group_by %}
full outer join other_totals
    on {% for column in group_by %}{{ 'and ' if not loop.first }}other_totals.group_{{ loop.index }} = model_totals.group_{{ loop.index }}{{ '\n    ' if not loop.last }}{% endfor %}
{%- else %}
cross join other_totals
{%- endif %}
{%- if tolerance == 0 %}
where coalesce(model_totals.model_total, 0) <> coalesce(other_totals.other_total, 0)
{%- else %}
where abs(coalesce(model_totals.model_total, 0) - coalesce(other_totals.other_total, 0)) > {{ tolerance }}
{%- endif %}
{% endtest %}
