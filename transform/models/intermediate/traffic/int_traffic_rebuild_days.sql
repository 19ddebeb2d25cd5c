-- The local event days whose clickstream rows this run rebuilds (macros/incremental.sql,
-- docs/design.md "Incremental models and late data"): the days of every copy of every event id
-- that the run's batch window brings, or brought before a re-ingest. Built before
-- stg_traffic__events changes; stg_traffic__events, int_sessions and int_session_paths read it.
{{ event_rebuild_days(source('raw', 'traffic_events'), 'stg_traffic__events') }}
