{#-
  The customer's age band (kpis.md, "Customers": age_band "from `birth_year` at the order (or
  as-of) date: `<25`, `25-34`, `35-44`, `45-54`, `55+`, `unknown`"). Only the birth year is
  known, so the age is the calendar year of `on_date` minus `birth_year` (the age the customer
  reaches that year); no birth year -> `unknown`.
-#}
{% macro age_band(birth_year, on_date) -%}
  {%- set age = '(extract(year from ' ~ on_date ~ ') - ' ~ birth_year ~ ')' -%}
    case
        when {{ birth_year }} is null then 'unknown'
        when {{ age }} < 25 then '<25'
        when {{ age }} < 35 then '25-34'
        when {{ age }} < 45 then '35-44'
        when {{ age }} < 55 then '45-54'
        else '55+'
    end
{%- endmacro %}
