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
  session holds it (DuckDB: the variable set by transform/pseudonym.py), so compiled SQL and
  dbt's artifacts do not. A session without it fails with one line instead of hashing with NULL.
-#}
{% macro pii_hash_key() -%}
  {{ return(adapter.dispatch('pii_hash_key', 'shop_warehouse')()) }}
{%- endmacro %}

{% macro duckdb__pii_hash_key() -%}
  coalesce(getvariable('pii_hash_key'), error('the personal-data key is not set in this session (transform/pseudonym.py)'))
{%- endmacro %}
