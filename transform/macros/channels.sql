{#-
  Helpers of the session channel rules (kpis.md, "Channel rules"; the rules themselves are the
  seed `channel_rules`, applied by int_session_channels).
-#}


{#-
  Lower-case host of a URL expression: the part after an optional `scheme://` (or `//`) up to the
  first `/`, `?` or `#`, without user info (`user@`) and port (`:443`). Null when the URL is null
  or blank or has no host (`app://` URLs give their first path word, e.g. `home`).
-#}
{% macro url_host(url) -%}
  {{ return(adapter.dispatch('url_host', 'shop_warehouse')(url)) }}
{%- endmacro %}

{% macro default__url_host(url) -%}
  nullif(
    regexp_replace(
      regexp_replace(
        regexp_replace(lower(trim({{ url }})), '^([a-z][a-z0-9+.-]*:)?//', ''),
        '[/?#].*$', ''),
      '^.*@|:[0-9]*$', ''),
    '')
{%- endmacro %}

{% macro duckdb__url_host(url) -%}
  nullif(
    regexp_replace(
      regexp_replace(
        regexp_replace(lower(trim({{ url }})), '^([a-z][a-z0-9+.-]*:)?//', ''),
        '[/?#].*$', ''),
      '^.*@|:[0-9]*$', '', 'g'),
    '')
{%- endmacro %}


{#- True when host expression `host` is `domain` or a subdomain of it (`www.baidu.com` ~ `baidu.com`). -#}
{% macro host_matches_domain(host, domain) -%}
  ({{ host }} = {{ domain }}
    or {{ dbt.right(host, dbt.length(domain) ~ ' + 1') }} = '.' || {{ domain }})
{%- endmacro %}
