-- Personal data never leaves raw in clear text (architecture.md): no column of the dbt schemas
-- may carry the name of a clear personal-data field; staging selects `<field>_hash` instead.
-- Also fails when the dbt schemas show no columns at all, so a catalog that does not answer
-- cannot make the test pass vacuously.
--
-- Run after every model (the test names no model itself):
-- depends_on: {{ ref('kpi_daily') }}
-- depends_on: {{ ref('stg_shop__customers') }}
-- depends_on: {{ ref('stg_shop__products') }}
-- depends_on: {{ ref('stg_shop__payments') }}
-- depends_on: {{ ref('int_marketing_spend') }}
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}

with dbt_columns as (

    {{ catalog_columns(['staging', 'intermediate', 'marts']) }}

)

select table_schema, table_name, column_name
from dbt_columns
where lower(column_name) in ('email', 'phone', 'full_name', 'ip_address', 'device_id', 'anonymous_id')

union all

select 'staging', '(none)', '(no columns visible in the catalog)'
from (select count(*) as visible from dbt_columns) as seen
where seen.visible = 0
