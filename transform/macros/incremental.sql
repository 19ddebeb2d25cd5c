{#-
  Incremental facts (docs/design.md, "Incremental models and late data").

  The large facts are `incremental` with `delete+insert` keyed on their business day
  (event_date, session_date, order_date). A run rebuilds the days that the raw rows of its batch
  window (vars min_date / max_date) touch, found by the small `int_*_rebuild_days` tables, which
  are built BEFORE the facts change (so they still see what a re-ingested batch used to hold).
  Every day to rebuild is first deleted (pre-hook `delete_rebuild_days`: a day that lost all its
  rows is emptied too), then its rows are computed from ALL raw rows of that day, so the result
  equals a full refresh whatever order the batches arrived in.
-#}


{#- Days around a touched day whose sessions are rebuilt: sessions may cross midnight, so a
    late event of day d can change a session that started up to `lookback_days` earlier (or, by
    moving its start, one dated up to `lookback_days` later). Sessions must not last longer. -#}
{% macro lookback_days() -%}
  {%- set days = var('lookback_days', 2) | int -%}
  {%- if days < 0 -%}
    {{- exceptions.raise_compiler_error("var lookback_days must be 0 or more, got " ~ days) -}}
  {%- endif -%}
  {{- return(days) -}}
{%- endmacro %}


{#- The existing table of another model; none on a full refresh, or when it does not exist
    yet or is still a view (a warehouse built before the models became incremental). Read
    without ref(): the rebuild-days tables run before that model and must see its previous state. -#}
{% macro previous_state(model_name) -%}
  {%- set node = graph.nodes.values() | selectattr('name', 'equalto', model_name) | first -%}
  {%- set relation = adapter.get_relation(database=node.database, schema=node.schema, identifier=node.alias) -%}
  {{- return(none if relation is none or relation.is_view else relation) -}}
{%- endmacro %}


{#-
  Local days whose rows of an append-only event source must be rebuilt: every local day of every
  raw copy, and of the loaded row, of an event id that the batch window brings or used to bring
  (a re-ingested batch may have dropped a row). Events are deduplicated by id with the first
  arrival winning, so an id's copies in other batches can move it between days: all its days are
  rebuilt. On a full refresh nothing is incremental: no days. Without a previous table (first
  build, or a view of an older layout) every day of the source, so that facts downstream that
  already exist are rebuilt whole.
-#}
{% macro event_rebuild_days(raw_relation, staged_model, id_column='event_id', ts_column='event_ts') -%}
  {%- set staged = previous_state(staged_model) if execute else none -%}
  {%- if should_full_refresh() or not execute %}
select cast(null as date) as event_date where 1 = 0
  {%- elif staged is none %}
with bounds as (
    select
        cast({{ dbt.dateadd('day', -2, 'min(' ~ ts_column ~ ')') }} as date) as start_day,
        cast({{ dbt.dateadd('day', 2, 'max(' ~ ts_column ~ ')') }} as date) as end_day
    from {{ raw_relation }}
),
spine as (
    {{ day_spine('bounds') }}
)
select date_day as event_date from spine
  {%- else %}
with

window_ids as (

    select {{ id_column }} from {{ raw_relation }} where {{ in_batch_window('_batch_dt') }}
    union
    select {{ id_column }} from {{ staged }} where {{ in_batch_window('_batch_dt') }}

)

select {{ to_local_date(ts_column) }} as event_date
from {{ raw_relation }}
where {{ in_id_range(id_column, 'window_ids') }}
union
select event_date
from {{ staged }}
where {{ in_id_range(id_column, 'window_ids') }}
  {%- endif %}
{%- endmacro %}


{#- `id_column` is one of the ids of `ids_relation`. The range test first lets a scan skip the row
    groups (and Parquet files) of other ids where ids grow with time (sequences, ULIDs, UUIDv7): a
    year of the medium shop's clickstream is read in 0.15 s instead of 1 s. Random ids cost what
    the IN alone costs. -#}
{% macro in_id_range(id_column, ids_relation) -%}
  ({{ id_column }} >= (select min({{ id_column }}) from {{ ids_relation }})
    and {{ id_column }} <= (select max({{ id_column }}) from {{ ids_relation }})
    and {{ id_column }} in (select {{ id_column }} from {{ ids_relation }}))
{%- endmacro %}


{#-
  Condition on a TIMESTAMPTZ column: its local date is one of the days in `days_relation`
  (column `day_column`). A cheap range test on the instant comes first (two days of margin cover
  any pair of UTC offsets of the reporting zone and the session's zone), so only the rows near
  those days pay for the time-zone conversion.
-#}
{% macro on_local_days(ts_column, days_relation, day_column='event_date') -%}
  ({{ ts_column }} >= (select cast({{ dbt.dateadd('day', -2, 'min(' ~ day_column ~ ')') }} as {{ dbt.type_timestamp() }}) from {{ days_relation }})
    and {{ ts_column }} < (select cast({{ dbt.dateadd('day', 3, 'max(' ~ day_column ~ ')') }} as {{ dbt.type_timestamp() }}) from {{ days_relation }})
    and {{ to_local_date(ts_column) }} in (select {{ day_column }} from {{ days_relation }}))
{%- endmacro %}


{#- The first CTEs of an event staging model on an incremental run: `scoped_raw`, every raw
    copy of the events that have a copy dated on a day of `days_relation` (the first arrival of
    an id is judged over all its copies, wherever they are dated). -#}
{% macro rebuilt_events_ctes(raw_relation, days_relation) -%}
rebuilt_day_ids as (

    select event_id
    from {{ raw_relation }}
    where {{ on_local_days('event_ts', days_relation) }}

),

scoped_raw as (

    select *
    from {{ raw_relation }}
    where {{ in_id_range('event_id', 'rebuilt_day_ids') }}

),
{%- endmacro %}


{#- Session dates to rebuild: every day within lookback_days of a rebuilt event day. -#}
{% macro session_rebuild_dates() -%}
  {%- set lookback = lookback_days() -%}
  {%- for offset in range(-lookback, lookback + 1) %}
select cast({{ dbt.dateadd('day', offset, 'event_date') }} as date) as session_date from {{ ref('int_traffic_rebuild_days') }}
{{ 'union' if not loop.last }}
  {%- endfor %}
{%- endmacro %}


{#- Events that can belong to a session dated in session_rebuild_dates(): sessions last at most
    lookback_days, so a margin of lookback_days on either side of those dates holds all of them. -#}
{% macro session_event_scope(events_relation) -%}
  {%- set margin = 2 * lookback_days() -%}
select *
from {{ events_relation }}
where event_date >= (select cast({{ dbt.dateadd('day', -margin, 'min(event_date)') }} as date) from {{ ref('int_traffic_rebuild_days') }})
    and event_date <= (select cast({{ dbt.dateadd('day', margin, 'max(event_date)') }} as date) from {{ ref('int_traffic_rebuild_days') }})
{%- endmacro %}


{#-
  How an incremental fact replaces its days, as config of the model:
  `{{ config(materialized='incremental', **rebuild_days_strategy('event_date'), ...) }}`.
  DuckDB: `delete+insert` keyed on the day column (the days the new rows hold are deleted, then
  the rows inserted). Spark's Parquet tables have no DELETE: the table is partitioned by the day
  and `insert_overwrite` replaces exactly the partitions (days) the new rows hold, which is the
  same thing. Either way the pre-hook delete_rebuild_days first empties every day to rebuild, so a
  day that lost all its rows ends up empty.
-#}
{% macro rebuild_days_strategy(day_column) -%}
  {{ return(adapter.dispatch('rebuild_days_strategy', 'shop_warehouse')(day_column)) }}
{%- endmacro %}

{% macro default__rebuild_days_strategy(day_column) -%}
  {{ return({'incremental_strategy': 'delete+insert', 'unique_key': day_column}) }}
{%- endmacro %}

{% macro spark__rebuild_days_strategy(day_column) -%}
  {{ return({'incremental_strategy': 'insert_overwrite', 'partition_by': [day_column], 'file_format': 'parquet'}) }}
{%- endmacro %}


{#- pre-hook of an incremental fact: delete the days about to be rebuilt (a no-op on a first build
    or full refresh). `days_sql` selects one column of days. -#}
{% macro delete_rebuild_days(day_column, days_sql) -%}
  {%- if is_incremental() -%}
    {{ adapter.dispatch('delete_rebuild_days', 'shop_warehouse')(day_column, days_sql) }}
  {%- else -%}
    select 1 as nothing_to_delete
  {%- endif -%}
{%- endmacro %}

{% macro default__delete_rebuild_days(day_column, days_sql) -%}
  delete from {{ this }} where {{ day_column }} in ({{ days_sql }})
{%- endmacro %}

{#- Spark: the days are the table's partitions (rebuild_days_strategy). They are read when the
    hook runs (before the model's rows are computed) and dropped; a day without a partition is
    skipped (IF EXISTS). -#}
{% macro spark__delete_rebuild_days(day_column, days_sql) -%}
  {%- set days = [] -%}
  {%- if execute -%}
    {%- for row in run_query('select distinct cast(day_value as string) from (select ' ~ day_column
        ~ ' as day_value from (' ~ days_sql ~ ') as rebuild_days) as days where day_value is not null order by 1').rows -%}
      {%- do days.append('partition (' ~ day_column ~ ' = ' ~ sql_literal(row[0]) ~ ')') -%}
    {%- endfor -%}
  {%- endif -%}
  {%- if days -%}
    alter table {{ this }} drop if exists {{ days | join(', ') }}
  {%- else -%}
    select 1 as nothing_to_delete
  {%- endif -%}
{%- endmacro %}


{#- The first CTEs of a session model (models/intermediate/traffic/sessions/) on an incremental
    run: the events that can belong to the sessions being rebuilt (`scoped_events`) and their
    dates (`rebuild_dates`). -#}
{% macro session_scope_ctes() -%}
scoped_events as (
    {{ session_event_scope(ref('stg_traffic__events')) }}
),

rebuild_dates as (
    {{ session_rebuild_dates() }}
),
{%- endmacro %}


{#- Event days whose channel visitors are rebuilt (int_channel_visitor_days): a rebuilt session
    is dated within lookback_days of a rebuilt event day and its events lie up to lookback_days
    after its date, so every day from lookback_days before to 2 x lookback_days after. -#}
{% macro channel_event_rebuild_dates() -%}
  {%- set lookback = lookback_days() -%}
  {%- for offset in range(-lookback, 2 * lookback + 1) %}
select cast({{ dbt.dateadd('day', offset, 'event_date') }} as date) as event_date from {{ ref('int_traffic_rebuild_days') }}
{{ 'union' if not loop.last }}
  {%- endfor %}
{%- endmacro %}


{#- Condition on a date column: it is one of the days `days_sql` selects (one column). The range
    test first lets the scan skip the row groups of other days of a table stored in day order. -#}
{% macro on_rebuild_days(day_column, days_sql) -%}
  ({{ day_column }} >= (select min(rebuild_day) from ({{ days_sql }}) as rebuild_days (rebuild_day))
    and {{ day_column }} <= (select max(rebuild_day) from ({{ days_sql }}) as rebuild_days (rebuild_day))
    and {{ day_column }} in (select rebuild_day from ({{ days_sql }}) as rebuild_days (rebuild_day)))
{%- endmacro %}


{#- (session, product) pairs of paid orders that name their session: a product viewed in the
    session is purchased in it (int_product_view_sessions, int_product_view_rebuild_days). -#}
{% macro paid_session_products() -%}
    select distinct
        session_id,
        product_id
    from {{ ref('int_order_items') }}
    where order_is_paid
        and session_id is not null
{%- endmacro %}


{#-
  Staging tables of change-captured entities, kept by entity id (the order's versions, latest
  state and lines): a run rebuilds the ids that `keys_model` lists (the ids its batch window
  brings, or brought before a re-ingest) from every raw row of those ids, so the result equals a
  full refresh. DuckDB: incremental, the ids deleted first (an id that lost every row is emptied
  too), then delete+insert on the id. Spark's Parquet tables have no DELETE: a whole table.
  `{{ config(**rebuild_keys_config('order_id', 'stg_shop__order_rebuild_ids')) }}`
-#}
{% macro rebuild_keys_config(key, keys_model) -%}
  {{ return(adapter.dispatch('rebuild_keys_config', 'shop_warehouse')(key, keys_model)) }}
{%- endmacro %}

{% macro default__rebuild_keys_config(key, keys_model) -%}
  {{ return({
      'materialized': 'incremental',
      'incremental_strategy': 'delete+insert',
      'unique_key': key,
      'on_schema_change': 'fail',
      'pre_hook': "{{ delete_rebuild_days('" ~ key ~ "', 'select " ~ key ~ " from ' ~ ref('" ~ keys_model ~ "')) }}",
  }) }}
{%- endmacro %}

{% macro spark__rebuild_keys_config(key, keys_model) -%}
  {{ return({'materialized': 'table'}) }}
{%- endmacro %}


{#- The raw rows a keyed staging table reads: on an incremental run only those of the ids in
    `keys_relation`, otherwise all of them. -#}
{% macro rows_of_rebuilt_keys(raw_relation, key, keys_relation) -%}
  {%- if is_incremental() -%}
(select * from {{ raw_relation }} where {{ in_id_range(key, keys_relation) }}) as rebuilt_rows
  {%- else -%}
{{ raw_relation }}
  {%- endif -%}
{%- endmacro %}


{#- The earliest date of an fx rate that the batch window brings (null when it brings none): a
    rate also serves the later dates that have none of their own, so every order from this date
    on may convert at another rate. -#}
{% macro earliest_new_fx_date() -%}
(select min({{ adapter.quote('date') }}) from {{ source('raw', 'finance_fx_rates') }} where {{ in_batch_window('_batch_dt') }})
{%- endmacro %}


{#- The keys a table of latest versions kept by key (rebuild_keys_config) rebuilds this run: every
    key of a raw row that the batch window brings, and of a row the table loaded from a batch of
    the window (a re-ingest may have dropped that version). Built before the table changes. The
    table without a previous state (a full refresh, a first build) is built whole and does not
    read the list. -#}
{% macro changed_keys(raw_table, key, keyed_model) -%}
  {%- set previous = previous_state(keyed_model) if execute else none -%}
  {%- if should_full_refresh() or previous is none -%}
select cast(null as {{ dbt.type_string() }}) as {{ key }} where 1 = 0
  {%- else -%}
select {{ key }} from {{ source('raw', raw_table) }} where {{ in_batch_window('_batch_dt') }}
union
select {{ key }} from {{ previous }} where {{ in_batch_window('_batch_dt') }}
  {%- endif -%}
{%- endmacro %}


{#- The alert dates an order-based risk rule rebuilds: every order date of int_order_rebuild_days
    and the `days_after` dates after each (a rule whose look-back reaches `days_after` days back
    judges those dates on the rebuilt orders too). Models using it declare
    `-- depends_on: {{ ref('int_order_rebuild_days') }}`. -#}
{% macro order_alert_dates(days_after) -%}
  {%- for offset in range(days_after + 1) %}
select cast({{ dbt.dateadd('day', offset, 'order_date') }} as date) as alert_date from {{ ref('int_order_rebuild_days') }}
{{ 'union' if not loop.last }}
  {%- endfor %}
{%- endmacro %}
