"""The warehouse log file: the project's messages at INFO (dbt's and Dagster's run detail
included), third-party libraries only from WARNING, rotated by size."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

PROJECT_LOGGERS = ("warehouse", "orchestration", "ingest", "quality", "dashboards")
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3  # warehouse.log.1 .. .3: at most 20 MB of history


class _ProjectFirst(logging.Filter):
    """The project's records from INFO, everyone else's from WARNING."""

    def filter(self, record: logging.LogRecord) -> bool:
        project = record.name.split(".")[0] in PROJECT_LOGGERS
        return record.levelno >= (logging.INFO if project else logging.WARNING)


def setup_logging(log_file: Path) -> None:
    """Once per process: everything into `log_file` (nothing to the console: the commands print
    what a person needs); warnings of the `warnings` module are logged too."""
    root = logging.getLogger()
    if any(getattr(h, "warehouse_log", False) for h in root.handlers):
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    handler = RotatingFileHandler(log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.warehouse_log = True
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ProjectFirst())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    logging.captureWarnings(True)
