{#-
  What the Spark target (profiles.yml, `spark`) needs around the models: the raw tables as
  external Parquet tables over the lake, registered before anything is built (on-run-start), and
  the settings of where the lake and the Spark catalog are. On DuckDB the raw tables are in the
  working database already: the hook is a no-op there.
-#}


{#- Root of the Parquet lake (architecture.md, "Engines": WAREHOUSE_LAKE, default $WAREHOUSE_HOME/lake). -#}
{% macro lake_dir() -%}
  {%- set home = var('warehouse_home', '') | string | trim -%}
  {{- return(_setting('lake', (home if home else '.') ~ '/lake')) -}}
{%- endmacro %}


{#-
  on-run-start: make every table of the source `raw` (models/staging/_sources.yml, generated from
  ingest/contract.py) readable as `raw.<table>`, with the columns and types of the contract.
-#}
{% macro register_raw_sources() -%}
  {{ return(adapter.dispatch('register_raw_sources', 'shop_warehouse')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
  select 1 as raw_sources_in_place
{%- endmacro %}

{#-
  Spark: the lake holds `<lake>/raw/<table>/batch_dt=YYYY-MM-DD/*.parquet` (transform/spark.py
  exports them). Each table becomes
    * `raw_lake.<table>`: an external Parquet table over its folder, partitioned by `batch_dt`,
      with the contract's columns declared (so a table without any batch yet is simply empty),
      its partitions discovered anew on every run (RECOVER PARTITIONS);
    * `raw.<table>`: a view that names `batch_dt` back `_batch_dt` and keeps the contract's column
      order, so the models read the same source on both engines.
  The partition column is `batch_dt`, not `_batch_dt`: with the Hive metastore a filter on a
  partition column whose name starts with an underscore fails
  (INTERNAL_ERROR_HIVE_METASTORE_PARTITION_FILTER) instead of pruning. A filter on the view's
  `_batch_dt` is pushed down to `batch_dt`, so a run's batch window reads only its folders. Dropping and re-creating the
  external tables deletes no data (the lake is not managed by Spark).
-#}
{% macro spark__register_raw_sources() -%}
  {%- if execute -%}
    {%- set lake = lake_dir() -%}
    {%- do run_query('create schema if not exists raw_lake') -%}
    {%- do run_query('create schema if not exists raw') -%}
    {%- for source in graph.sources.values() | sort(attribute='name')
        if source.source_name == 'raw' and source.package_name == project_name -%}
      {%- set lake_table = 'raw_lake.' ~ source.identifier -%}
      {%- set declared = [] -%}
      {%- set selected = [] -%}
      {%- for column in source.columns.values() -%}
        {%- if column.name == '_batch_dt' -%}
          {%- do selected.append('batch_dt as _batch_dt') -%}
        {%- else -%}
          {%- do declared.append(column.name ~ ' ' ~ spark_raw_type(column.data_type)) -%}
          {%- do selected.append(column.name) -%}
        {%- endif -%}
      {%- endfor -%}
      {%- do declared.append('batch_dt date') -%}
      {%- do run_query('drop table if exists ' ~ lake_table) -%}
      {%- do run_query('create table ' ~ lake_table ~ ' (' ~ declared | join(', ') ~ ') using parquet'
          ~ ' partitioned by (batch_dt) location ' ~ sql_literal(lake ~ '/raw/' ~ source.identifier)) -%}
      {%- do run_query('alter table ' ~ lake_table ~ ' recover partitions') -%}
      {%- do run_query('create or replace view raw.' ~ source.identifier ~ ' as select '
          ~ selected | join(', ') ~ ' from ' ~ lake_table) -%}
    {%- endfor -%}
  {%- endif -%}
  select 1 as raw_sources_registered
{%- endmacro %}


{#- The Spark type of a raw column, from the DuckDB type the contract gives it (ingest/contract.py). -#}
{% macro spark_raw_type(duckdb_type) -%}
  {%- set t = duckdb_type | lower | trim -%}
  {%- if t == 'varchar' -%} {{- return('string') -}}
  {%- elif t == 'timestamptz' -%} {{- return('timestamp') -}}
  {#- DuckDB writes UBIGINT as Parquet UINT_64, which Spark reads as decimal(20,0) -#}
  {%- elif t == 'ubigint' -%} {{- return('decimal(20,0)') -}}
  {%- else -%} {{- return(t) -}}
  {%- endif -%}
{%- endmacro %}


{#-
  on-run-end: a typed, one-row probe of every landed table Spark left empty. The pipeline copies
  Spark's marts (and the tables read after dbt, var `landed_tables`: "schema.table,...") into the
  working DuckDB database from their Parquet files (transform/engine.py); Spark writes no file for
  a table without rows, so the probe, one row of nulls with the table's columns and types
  (`landing_probe.<schema>__<table>`), gives the landing the types. Nothing to do on DuckDB, nor
  through a Thrift server: that landing reads each table's types from the server
  (transform/spark_server.py), and a count per table costs a Spark job each.
-#}
{% macro landing_probes() -%}
  {{ return(adapter.dispatch('landing_probes', 'shop_warehouse')()) }}
{%- endmacro %}

{% macro default__landing_probes() -%}
  select 1 as no_landing
{%- endmacro %}

{% macro spark__landing_probes() -%}
  {%- if execute and flags.WHICH in ('build', 'run') and target.method != 'thrift' -%}
    {%- set tables = [] -%}
    {%- for node in graph.nodes.values() | sort(attribute='name')
        if node.resource_type == 'model' and node.schema == 'marts'
        and node.config.materialized in ('table', 'incremental') -%}
      {%- do tables.append('marts.' ~ node.name) -%}
    {%- endfor -%}
    {%- for name in (var('landed_tables', '') | string).split(',') if name | trim -%}
      {%- do tables.append(name | trim) -%}
    {%- endfor -%}
    {%- do run_query('create schema if not exists landing_probe') -%}
    {%- for table in tables -%}
      {%- set probe = 'landing_probe.' ~ table | replace('.', '__') -%}
      {%- set exists = adapter.get_relation(database=none, schema=table.split('.')[0], identifier=table.split('.')[1]) -%}
      {%- do run_query('drop table if exists ' ~ probe) -%}
      {%- if exists is not none and run_query('select count(*) from ' ~ table).columns[0].values()[0] == 0 -%}
        {#- Parquet tables cannot be replaced in place: dropped above, created anew -#}
        {%- do run_query('create table ' ~ probe ~ ' using parquet as select t.* from (select 1 as probe) as p'
            ~ ' left join ' ~ table ~ ' as t on false') -%}
      {%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  select 1 as landing_probes_written
{%- endmacro %}
