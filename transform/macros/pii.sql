{#-
  Keyed hash of a personal-data column (docs/design.md, "Personal data"):
  sha256(key || ':' || value) as lower-case hex, null stays null; the key is read at run time
  (pii_hash_key below). Staging selects
  `{{ hash_pii('email') }} as email_hash` and never the clear column, so nothing downstream of
  staging holds personal data in clear text.
-#}
{% macro hash_pii(column) -%}
  case
    when {{ column }} is null then null
    else {{ sha256_hex(pii_hash_key() ~ " || ':' || " ~ 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') }}
  end
{%- endmacro %}


{#-
  The key as a SQL expression that reads it at run time, never the key itself: the engine's
  session holds it (DuckDB: the variable set by transform/pseudonym.py) or reads it from the key
  file (Spark), so compiled SQL, dbt's artifacts and the engine's configuration do not. A session
  without it fails with one line instead of hashing with NULL.
-#}
{% macro pii_hash_key() -%}
  {{ return(adapter.dispatch('pii_hash_key', 'shop_warehouse')()) }}
{%- endmacro %}

{% macro duckdb__pii_hash_key() -%}
  coalesce(getvariable('pii_hash_key'), error('the personal-data key is not set in this session (transform/pseudonym.py)'))
{%- endmacro %}

{#-
  Spark: a scalar subquery that reads the key file (var `pii_key_file`, default
  $WAREHOUSE_HOME/hash_key, the file config.hash_key_of keeps) with Spark's text source when the
  query runs. Only the file's path is in the SQL. Not a session variable: a persistent view (the
  staging views) may not reference one. transform/spark.py hands a key given by WAREHOUSE_HASH_KEY
  over as a private file of its own.
-#}
{% macro spark__pii_hash_key() -%}
  {%- set home = var('warehouse_home', '') | string | trim -%}
  {%- set key_file = _setting('pii_key_file', (home if home else '.') ~ '/hash_key') -%}
  coalesce(
    (select max(trim(value)) from text.`{{ key_file | replace('`', '``') }}` where trim(value) <> ''),
    raise_error('the personal-data key file is empty: {{ key_file | replace("'", "") }}'))
{%- endmacro %}
