{#- Small portable helpers used across models, so each rule is written once. -#}


{#-
  Ordering of a change-captured entity's versions, newest first (docs/design.md, "Latest state"):
  the greatest `updated_at` wins; ties go to the later batch, then the later file and line.
  Staging models use it through `latest_version`.
-#}
{% macro latest_first(updated_at='updated_at') -%}
  {{ updated_at }} desc, _batch_dt desc, _file desc, _line desc
{%- endmacro %}


{#-
  Ordering of re-sent rows of an entity without `updated_at` (marketing spend, fx rates, order
  items): the later batch, file and line replace earlier ones.
-#}
{% macro last_arrival_first() -%}
  _batch_dt desc, _file desc, _line desc
{%- endmacro %}


{#-
  The opening of a staging model of a change-captured raw table: every column of `relation`
  (plus `version_rank`, always 1) for the one row per `key` that wins. `key` is one or more
  comma-separated columns or expressions; `ordering` says which row wins, by default
  `latest_first()` (the greatest updated_at, ties: later batch, file, line); entities without
  `updated_at` pass `last_arrival_first()`. Use as a CTE:
    latest_versions as ( {{ latest_version(source('raw', 'shop_orders'), 'order_id') }} )
-#}
{% macro latest_version(relation, key, ordering=none) -%}
  {%- set order_by = ordering if ordering is not none else latest_first() -%}
    select *
    from (
        select
            *,
            row_number() over (partition by {{ key }} order by {{ order_by }}) as version_rank
        from {{ relation }}
    ) as ranked_versions
    where version_rank = 1
{%- endmacro %}


{#- Ordering of append-only events sharing an `event_id`: the first arrival wins. -#}
{% macro first_arrival_first() -%}
  _batch_dt, _file, _line
{%- endmacro %}


{#- numerator / denominator as a float, null when the denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
  (cast({{ numerator }} as {{ type_double() }}) / nullif({{ denominator }}, 0))
{%- endmacro %}


{#- Number of rows of the group where `condition` is true. -#}
{% macro count_where(condition) -%}
  sum(case when {{ condition }} then 1 else 0 end)
{%- endmacro %}


{#- 64-bit floating point (ratios, averages, percentiles); dbt.type_float() is 32-bit on DuckDB.
    `double`, not the standard `double precision`, which Spark does not parse. -#}
{% macro type_double() -%}
  double
{%- endmacro %}


{#-
  Type of exchange rates (int_fx_rates), chosen so that money (decimal(18, 4)) times a rate is
  exact: all 14 decimals, no overflow. DuckDB keeps a product of two DECIMAL(18, x) 18 digits wide
  (it would overflow), so the rate is 38 wide there. Spark widens a product to p1 + p2 + 1 digits
  and, above 38, drops decimals down to 6: an 18-digit rate keeps the product at 37 digits, exact.
-#}
{% macro type_fx_rate() -%}
  {{ return(adapter.dispatch('type_fx_rate', 'shop_warehouse')()) }}
{%- endmacro %}

{% macro default__type_fx_rate() -%}
  decimal(38, 10)
{%- endmacro %}

{% macro spark__type_fx_rate() -%}
  decimal(18, 10)
{%- endmacro %}


{#- Type of money columns in marts (base currency). -#}
{% macro type_money() -%}
  decimal(18, 4)
{%- endmacro %}


{#-
  One row per calendar day (`date_day`) from `start_day` to `end_day` inclusive, both columns of
  the one-row relation `bounds_relation` (e.g. a CTE). Built from a cross join of digits, so it
  is plain SQL on any engine and needs no query at compile time; it covers up to 100,000 days.
  No rows when either bound is null.
-#}
{% macro day_spine(bounds_relation, start_day='start_day', end_day='end_day') -%}
  with digits as (
    select 0 as d union all select 1 union all select 2 union all select 3 union all select 4
    union all select 5 union all select 6 union all select 7 union all select 8 union all select 9
  ),
  day_offsets as (
    select ones.d + 10 * tens.d + 100 * hundreds.d + 1000 * thousands.d + 10000 * ten_thousands.d as day_offset
    from digits as ones
    cross join digits as tens
    cross join digits as hundreds
    cross join digits as thousands
    cross join digits as ten_thousands
  )
  select cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'b.' ~ start_day) }} as date) as date_day
  from day_offsets
  cross join {{ bounds_relation }} as b
  where day_offsets.day_offset <= {{ dbt.datediff('b.' ~ start_day, 'b.' ~ end_day, 'day') }}
{%- endmacro %}


{#- A campaign name as the campaign marts group by: trimmed, '(none)' when missing or blank. -#}
{% macro campaign_or_none(expression) -%}
  coalesce(nullif(trim({{ expression }}), ''), '(none)')
{%- endmacro %}


{#- A clickstream event carries an experiment assignment when both experiment_id and variant are
    set; one of them alone assigns nothing (docs/design.md, "Experiments"). -#}
{% macro carries_assignment() -%}
  (experiment_id is not null and variant is not null)
{%- endmacro %}
