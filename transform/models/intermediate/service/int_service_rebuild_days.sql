-- The local event days whose customer-service events this run rebuilds in stg_service__events
-- (macros/incremental.sql, docs/design.md "Incremental models and late data").
{{ event_rebuild_days(source('raw', 'service_events'), 'stg_service__events') }}
