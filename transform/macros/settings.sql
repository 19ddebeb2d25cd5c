{#-
  Warehouse settings, read from the environment the pipeline gives the dbt subprocess
  (orchestration/settings.py, Settings.dbt_env). Every default works out of the box.
  An empty variable counts as unset.
-#}

{% macro _setting(name, default) -%}
  {%- set value = env_var(name, '') | trim -%}
  {{- return(value if value else default) -}}
{%- endmacro %}


{% macro reporting_tz() -%}
  {#- IANA zone whose calendar days are the reporting "days" (kpis.md: Conventions). -#}
  {{- return(_setting('WAREHOUSE_TZ', 'Asia/Shanghai')) -}}
{%- endmacro %}


{% macro base_currency() -%}
  {#- ISO-4217 code every mart amount is converted to. -#}
  {{- return(_setting('WAREHOUSE_BASE_CURRENCY', 'CNY') | upper) -}}
{%- endmacro %}


{% macro home_country() -%}
  {#- ISO-3166 alpha-2 code of the shop's home country (cross-border orders ship elsewhere). -#}
  {{- return(_setting('WAREHOUSE_HOME_COUNTRY', 'CN') | upper) -}}
{%- endmacro %}


{% macro pii_hash_key() -%}
  {#-
    Key of the keyed hash of personal data. The pipeline always passes WAREHOUSE_HASH_KEY (a
    random key kept in $WAREHOUSE_HOME/hash_key unless set); the fallback only serves ad-hoc
    runs on scratch databases and must not be relied on for real data.
  -#}
  {{- return(_setting('WAREHOUSE_HASH_KEY', 'unset-dev-key')) -}}
{%- endmacro %}


{% macro sql_literal(value) -%}
  {#- A SQL string literal of `value`, quotes escaped. -#}
  '{{ value | string | replace("'", "''") }}'
{%- endmacro %}
