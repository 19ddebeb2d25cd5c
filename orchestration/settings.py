"""Settings of architecture.md, read from the environment with defaults that work out of the box."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    tz: str
    base_currency: str
    home_country: str
    max_quarantine_share: float
    # DuckDB's memory_limit for every connection of the pipeline and the dbt build (not in
    # architecture.md; docs/design.md): DuckDB's default, 80 % of RAM, let a year's build pass the
    # 4 GiB budget of issue 6; with a limit DuckDB spills to disk instead.
    memory_limit: str = "2GB"

    @property
    def working_db(self) -> Path:
        """The pipeline's own database: raw, ops, staging, intermediate, marts. Nobody else reads it."""
        return self.home / "warehouse.duckdb"

    @property
    def serving_db(self) -> Path:
        return self.home / "serving.duckdb"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def dashboards_dir(self) -> Path:
        return self.home / "dashboards"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "warehouse.log"

    @property
    def hash_key(self) -> str:
        """Key of the keyed hash applied to personal data in staging.

        WAREHOUSE_HASH_KEY wins; otherwise a random key is made once per home and kept there, so
        hashed keys stay stable across runs of one warehouse but cannot be recomputed elsewhere.
        """
        if os.environ.get("WAREHOUSE_HASH_KEY"):
            return os.environ["WAREHOUSE_HASH_KEY"]
        path = self.home / "hash_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_hex(16))
        return path.read_text().strip()

    def dbt_env(self) -> dict[str, str]:
        """Environment the dbt subprocess reads (see transform/macros/settings.sql)."""
        return {
            "WAREHOUSE_DB_PATH": str(self.working_db),
            "WAREHOUSE_TZ": self.tz,
            "WAREHOUSE_BASE_CURRENCY": self.base_currency,
            "WAREHOUSE_HOME_COUNTRY": self.home_country,
            "WAREHOUSE_HASH_KEY": self.hash_key,
            "WAREHOUSE_MEMORY_LIMIT": self.memory_limit,
        }


def load_settings() -> Settings:
    home = Path(os.environ.get("WAREHOUSE_HOME", "./.warehouse")).resolve()
    landing = Path(os.environ.get("WAREHOUSE_LANDING", str(home / "landing"))).resolve()
    return Settings(
        home=home,
        landing=landing,
        tz=os.environ.get("WAREHOUSE_TZ", "Asia/Shanghai"),
        base_currency=os.environ.get("WAREHOUSE_BASE_CURRENCY", "CNY"),
        home_country=os.environ.get("WAREHOUSE_HOME_COUNTRY", "CN"),
        max_quarantine_share=float(os.environ.get("WAREHOUSE_MAX_QUARANTINE_SHARE", "0.05")),
        memory_limit=os.environ.get("WAREHOUSE_MEMORY_LIMIT", Settings.memory_limit),
    )
