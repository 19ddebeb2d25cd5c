"""The warehouse log file: the project's messages at INFO (dbt's and Dagster's run detail
included), third-party libraries only from WARNING, rotated by size."""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

from config import private_dir, private_opener

PROJECT_LOGGERS = ("warehouse", "orchestration", "ingest", "quality", "dashboards")
MAX_BYTES = 5 * 1024 * 1024
BACKUPS = 3  # warehouse.log.1 .. .3: at most 20 MB of history


class _PrivateRotatingFileHandler(RotatingFileHandler):
    """The log holds run detail (row samples of failed checks, paths, errors): 0600, also the
    files a rollover opens."""

    def _open(self):
        return self._builtin_open(
            self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=private_opener
        )


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
    private_dir(log_file.parent)
    handler = _PrivateRotatingFileHandler(log_file, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.warehouse_log = True
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_ProjectFirst())
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    logging.captureWarnings(True)
