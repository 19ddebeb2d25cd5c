"""The serving database: the publish step (write, audit, atomic swap), read-only readers for people
and dashboards, the marts' content checksum and metric queries through the semantic layer.

Interface (`from serving import name`): `publish(working_db, serving_db, run_id)`; the readers
`connect_serving`, `fetch_serving`, `serving_query` (`NotPublishedYet` before the first publish,
`QueryError` for a bad query); `marts_checksum`; `MetricEngine` (`MetricQueryError`); `SEMANTIC_SOURCES` (the tables the
semantic layer reads).
"""

from serving.checksum import marts_checksum
from serving.metrics import MetricEngine, MetricQueryError
from serving.publish import publish
from serving.readers import NotPublishedYet, QueryError, connect_serving, fetch_serving, serving_query
from serving.semantic_sources import SEMANTIC_SOURCES

__all__ = [
    "MetricEngine",
    "MetricQueryError",
    "NotPublishedYet",
    "QueryError",
    "SEMANTIC_SOURCES",
    "connect_serving",
    "fetch_serving",
    "marts_checksum",
    "publish",
    "serving_query",
]
