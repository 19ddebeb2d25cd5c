{#-
  Keyed hash of a personal-data column (docs/design.md, "Personal data"):
  sha256(key || ':' || value) as lower-case hex, null stays null. Staging selects
  `{{ hash_pii('email') }} as email_hash` and never the clear column, so nothing downstream of
  staging holds personal data in clear text.
-#}
{% macro hash_pii(column) -%}
  case
    when {{ column }} is null then null
    else {{ sha256_hex(sql_literal(pii_hash_key()) ~ " || ':' || " ~ 'cast(' ~ column ~ ' as ' ~ dbt.type_string() ~ ')') }}
  end
{%- endmacro %}
