-- Published marts name customers only by `customer_key`, the keyed hash of customer_id
-- (docs/design.md, "Customers"): no column of schema `marts` may be called customer_id.
-- Runs after the customer marts (the test names no model itself):
-- depends_on: {{ ref('customer_rfm') }}
-- depends_on: {{ ref('cohort_retention') }}
{{ config(meta={'dagster': {'ref': {'name': 'kpi_daily'}}}) }}
select table_schema, table_name, column_name
from ({{ catalog_columns(['marts']) }}) as mart_columns
where lower(column_name) = 'customer_id'
