{#-
  Warehouse settings, passed by the pipeline as vars (transform/project.py, dbt_vars). Every
  default works out of the box. An empty value counts as unset.
-#}

{% macro _setting(name, default) -%}
  {%- set value = var(name, '') | string | trim -%}
  {{- return(value if value else default) -}}
{%- endmacro %}


{% macro reporting_tz() -%}
  {#- IANA zone whose calendar days are the reporting "days" (kpis.md: Conventions). -#}
  {{- return(_setting('reporting_tz', 'Asia/Shanghai')) -}}
{%- endmacro %}


{% macro base_currency() -%}
  {#- ISO-4217 code every mart amount is converted to. -#}
  {{- return(_setting('base_currency', 'CNY') | upper) -}}
{%- endmacro %}


{% macro home_country() -%}
  {#- ISO-3166 alpha-2 code of the shop's home country (cross-border orders ship elsewhere). -#}
  {{- return(_setting('home_country', 'CN') | upper) -}}
{%- endmacro %}


{% macro refund_window_days() -%}
  {#- WAREHOUSE_REFUND_WINDOW_DAYS: days during which refunds can still change a day's net revenue
      (kpis.md: is_final). A whole number, 0 or more; the settings validate it, this checks again
      for a hand-written --vars. -#}
  {%- set value = _setting('refund_window_days', '30') -%}
  {%- if not modules.re.match('^[0-9]+$', value | string) -%}
    {{- exceptions.raise_compiler_error("var refund_window_days must be a whole number of days, got '" ~ value ~ "'") -}}
  {%- endif -%}
  {{- return(value | int) -}}
{%- endmacro %}


{% macro sql_literal(value) -%}
  {#- A SQL string literal of `value`, quotes escaped. -#}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
