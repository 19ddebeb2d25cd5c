"""Page 7, Data health: the version shown, last runs, checks, quarantine and freshness per source."""

from __future__ import annotations

from dashboards.pages.common import bars, measure, table
from dashboards.pages.overview import freshness_table
from dashboards.queries import Reader

FILE, TITLE = "health.html", "Data health"

# every run whose checks reached a publish (marts.data_health keeps the checks of every run,
# failed ones included, as of the published run)
RUNS_SQL = """
SELECT left(run_id, 8) AS run, strftime(min(checked_at) AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M UTC') AS checked,
       count(*) AS checks, count(*) FILTER (WHERE passed) AS passed, count(*) FILTER (WHERE NOT passed) AS failed,
       CASE WHEN run_id = (SELECT run_id FROM ops.publication) THEN 'shown here'
            WHEN count(*) FILTER (WHERE NOT passed AND severity = 'error') > 0 THEN 'gate failed' ELSE '' END AS outcome
FROM marts.data_health GROUP BY run_id ORDER BY min(checked_at) DESC LIMIT 10
"""
FAILED_SQL = """
SELECT left(run_id, 8) AS run, check_name, severity, rows_affected, left(detail, 160) AS detail
FROM marts.data_health WHERE NOT passed ORDER BY checked_at DESC, check_name LIMIT 20
"""
QUARANTINE_SQL = """
SELECT batch_dt AS date, entity, sum(rows_read) AS rows_read, sum(rows_quarantined) AS quarantined,
       sum(rows_duplicate) AS duplicates
FROM ops.ingest_log GROUP BY ALL ORDER BY 1, 2
"""
REASONS_SQL = """
SELECT entity, reason, count(*) AS rows FROM ops.quarantine WHERE batch_dt >= $1
GROUP BY ALL ORDER BY rows DESC, entity, reason LIMIT 15
"""


def build(reader: Reader) -> dict:
    meta = reader.meta()
    version = [
        f"This site shows data as of {meta['as_of']}, published {meta['published']} by run {meta['run_id']}.",
        f"Data version (checksum of the marts): {meta['version']}.",
        "The site is rebuilt after every successful publish only: a run whose gate fails leaves it as it is.",
    ]
    widgets = [
        {"type": "text", "title": "Version of the data", "items": version, "wide": True},
        table(
            "Last runs (checks evaluated)",
            [
                ("run", "run", "text"),
                ("checked", "checked", "text"),
                ("checks", "checks", "int"),
                ("passed", "passed", "int"),
                ("failed", "failed", "int"),
                ("outcome", "", "text"),
            ],
            rows=reader.rows(RUNS_SQL),
        ),
        table(
            "Failed checks",
            [
                ("run", "run", "text"),
                ("check_name", "check", "text"),
                ("severity", "severity", "text"),
                ("rows_affected", "rows", "int"),
                ("detail", "detail", "long"),
            ],
            rows=reader.rows(FAILED_SQL),
            empty="no check failed",
        ),
        bars(
            "quarantine",
            "Quarantined and duplicate rows per source",
            "quarantine",
            [measure("quarantined", "quarantined"), measure("duplicates", "duplicates")],
            fmt="int",
            wide=True,
        ),
        table(
            "Quarantine reasons",
            [("entity", "source", "text"), ("reason", "reason", "text"), ("rows", "rows", "int")],
            by_range="reasons",
            empty="no quarantined row in this range",
        ),
        freshness_table(reader),
    ]
    return {
        "widgets": widgets,
        "tables": {"quarantine": reader.daily(QUARANTINE_SQL, "entity")},
        "by_range": {"reasons": reader.by_range(REASONS_SQL)},
    }
