"""Settings of architecture.md: environment variables with defaults that work out of the box,
validated when they are read. A bad value raises `SettingsError`, whose message is one line naming
the variable, the value and what is allowed (the command line prints it and exits 2)."""

from __future__ import annotations

import os
import re
import secrets
from datetime import date, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.files import write_private_text
from quality import OPT_IN_CHECKS

PREFIX = "WAREHOUSE_"

_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


class Setting(NamedTuple):
    variable: str
    default: str
    meaning: str


# What `warehouse --help` and the README list: every variable the warehouse reads.
SETTINGS_HELP = (
    Setting(
        "WAREHOUSE_HOME", "./.warehouse", "all state: databases, Dagster instance, dbt artifacts, dashboards, logs"
    ),
    Setting("WAREHOUSE_LANDING", "$WAREHOUSE_HOME/landing", "where upstream systems drop files"),
    Setting("WAREHOUSE_TZ", "Asia/Shanghai", "reporting time zone (IANA): a day is a local day here"),
    Setting("WAREHOUSE_BASE_CURRENCY", "CNY", "ISO-4217 currency of every amount in the marts"),
    Setting("WAREHOUSE_HOME_COUNTRY", "CN", "ISO-3166 country; orders shipped elsewhere are cross-border"),
    Setting(
        "WAREHOUSE_MAX_QUARANTINE_SHARE",
        "0.05",
        "share in [0, 1]: a batch day of an entity with more bad rows fails the gate",
    ),
    Setting("WAREHOUSE_HISTORY_START", "the earliest dt= folder", "first batch day (YYYY-MM-DD) runs may ask for"),
    Setting(
        "WAREHOUSE_REFUND_WINDOW_DAYS",
        "30",
        "days after which refunds can no longer change a day's net revenue: later days are provisional",
    ),
    Setting("WAREHOUSE_STALE_AFTER_DAYS", "2", "status exits 3 when a source's latest batch day is older"),
    Setting(
        "WAREHOUSE_BLOCKING_CHECKS",
        "(none)",
        "volume checks that block publishing instead of warning: row_count_bounds, delivery_gap, "
        "optionally per entity (shop_orders:row_count_bounds), comma-separated",
    ),
    Setting("WAREHOUSE_MEMORY_LIMIT", "2GB", "DuckDB's memory limit (e.g. 2GB, 512MiB); beyond it DuckDB spills"),
    Setting("WAREHOUSE_HASH_KEY", "random, kept in $WAREHOUSE_HOME/hash_key", "key of the hash of personal data"),
    Setting("WAREHOUSE_NAME", "$WAREHOUSE_HOME's folder name", "the warehouse's name in alert messages"),
    Setting(
        "WAREHOUSE_ALERT_WEBHOOK", "(off)", "http(s) URL: one JSON POST per publish with new alerts and failed checks"
    ),
    Setting(
        "WAREHOUSE_SMTP_URL", "(off)", "smtp://user:pass@host:port (smtps:// for TLS): the same by plain-text mail"
    ),
    Setting("WAREHOUSE_ALERT_EMAIL_TO", "(none)", "comma-separated recipients of the alert mail"),
    Setting("WAREHOUSE_ALERT_EMAIL_FROM", "(none)", "sender of the alert mail"),
    Setting("WAREHOUSE_ALERT_MIN_SEVERITY", "medium", "low, medium or high: the least severe alert delivered"),
    Setting("WAREHOUSE_ENGINE", "duckdb", "duckdb or spark: what builds staging, intermediate and marts"),
    Setting("WAREHOUSE_LAKE", "$WAREHOUSE_HOME/lake", "the raw layer's Parquet files (a local or mounted folder)"),
    Setting("WAREHOUSE_SPARK_THRIFT", "(local Spark)", "host:port of a Spark Thrift Server the Spark engine builds on"),
)

ENGINES = ("duckdb", "spark")

SEVERITIES = ("low", "medium", "high")


class SettingsError(ValueError):
    """A setting with a value the warehouse cannot use; the message is one line."""


# The reference lists the validators check against, read once per process: a run validates its
# settings at every step (orchestration/resources.py), and listing the time zones walks the zone
# database's folders each time.
@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _iso_currencies() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


@cache
def _iso_countries() -> frozenset[str]:
    from babel.core import get_global

    return frozenset(code for code in get_global("territory_currencies") if re.fullmatch(r"[A-Z]{2}", code))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, frozen=True, extra="ignore", populate_by_name=True)

    home: Path = Path("./.warehouse")
    landing_override: Path | None = Field(default=None, validation_alias=f"{PREFIX}LANDING")
    tz: str = "Asia/Shanghai"
    base_currency: str = "CNY"
    home_country: str = "CN"
    max_quarantine_share: float = 0.05
    history_start: date | None = None
    # kpis.md is_final: a day is final once it is at least this many days before the last complete day
    refund_window_days: int = 30
    stale_after_days: int = 2
    # a run's data tests read every row at least this often (days; 0: every run), else only the
    # days an incremental run rebuilt (transform/data_test_scope.py; not in architecture.md)
    full_tests_every_days: int = 7
    blocking_checks: str = ""
    # DuckDB's memory_limit for every connection of the pipeline and the dbt build (not in
    # architecture.md; docs/design.md): with a limit DuckDB spills to disk instead of using 80 % of RAM.
    memory_limit: str = "2GB"
    # alert delivery (config/alerting.py reads the two secret addresses from the environment)
    name: str = ""
    alert_email_to: str = ""
    alert_email_from: str = ""
    alert_min_severity: str = "medium"
    # the engine of dbt's build (architecture.md, "Engines"); the raw layer's folder
    engine: str = "duckdb"
    lake_override: Path | None = Field(default=None, validation_alias=f"{PREFIX}LAKE")
    spark_thrift: str = ""

    @field_validator("home", mode="after")
    @classmethod
    def _absolute_home(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("landing_override", mode="after")
    @classmethod
    def _absolute_landing(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value else None

    @field_validator("tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in _known_zones():
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError("expected an IANA time zone such as Asia/Shanghai or Europe/London") from None
        return value

    @field_validator("base_currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in _iso_currencies():
            raise ValueError("expected an ISO-4217 currency code in capitals such as CNY, GBP or USD")
        return value

    @field_validator("home_country")
    @classmethod
    def _country(cls, value: str) -> str:
        if value not in _iso_countries():
            raise ValueError("expected an ISO-3166 alpha-2 country code in capitals such as CN, GB or US")
        return value

    @field_validator("max_quarantine_share", mode="before")
    @classmethod
    def _share(cls, value):
        try:
            share = float(value)
        except (TypeError, ValueError):
            raise ValueError("expected a share in [0, 1] written as a number, e.g. 0.05 for 5 %") from None
        if not 0 <= share <= 1:
            raise ValueError("expected a share in [0, 1], e.g. 0.05 for 5 %")
        return share

    @field_validator("history_start", mode="before")
    @classmethod
    def _history_start(cls, value):
        if value in (None, ""):
            return None
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise ValueError("expected a date YYYY-MM-DD") from None

    @field_validator("stale_after_days", mode="before")
    @classmethod
    def _stale_days(cls, value):
        try:
            days = int(str(value).strip())
        except ValueError:
            raise ValueError("expected a whole number of days, at least 1") from None
        if days < 1:
            raise ValueError("expected a whole number of days, at least 1")
        return days

    @field_validator("refund_window_days", mode="before")
    @classmethod
    def _refund_window(cls, value):
        try:
            days = int(str(value).strip())
        except ValueError:
            raise ValueError("expected a whole number of days, 0 or more") from None
        if days < 0:
            raise ValueError("expected a whole number of days, 0 or more")
        return days

    @field_validator("blocking_checks")
    @classmethod
    def _blocking(cls, value: str) -> str:
        for item in filter(None, (part.strip() for part in value.split(","))):
            if item.rpartition(":")[2] not in OPT_IN_CHECKS:
                raise ValueError(
                    f"expected names among {', '.join(OPT_IN_CHECKS)}, "
                    f"optionally after an entity and a colon (shop_orders:row_count_bounds)"
                )
        return value

    @field_validator("memory_limit")
    @classmethod
    def _memory(cls, value: str) -> str:
        if not _MEMORY.match(value):
            raise ValueError("expected a size with a unit such as 2GB, 1.5GB or 512MiB")
        return value.strip()

    @field_validator("engine")
    @classmethod
    def _engine(cls, value: str) -> str:
        if value.strip().lower() not in ENGINES:
            raise ValueError(f"expected one of {', '.join(ENGINES)}")
        return value.strip().lower()

    @field_validator("lake_override", mode="before")
    @classmethod
    def _lake_folder(cls, value):
        if value and "://" in str(value):
            raise ValueError("expected a folder: ingest writes the lake as files (mount a cluster's store there)")
        return value

    @field_validator("lake_override", mode="after")
    @classmethod
    def _absolute_lake(cls, value: Path | None) -> Path | None:
        return value.expanduser().resolve() if value else None

    @field_validator("spark_thrift")
    @classmethod
    def _thrift(cls, value: str) -> str:
        if value and not re.fullmatch(r"[A-Za-z0-9.\-]+:\d{1,5}", value.strip()):
            raise ValueError("expected host:port")
        return value.strip()

    @field_validator("alert_min_severity")
    @classmethod
    def _severity(cls, value: str) -> str:
        if value.strip().lower() not in SEVERITIES:
            raise ValueError(f"expected one of {', '.join(SEVERITIES)}")
        return value.strip().lower()

    @property
    def warehouse_name(self) -> str:
        return self.name.strip() or self.home.name

    def yesterday(self) -> date:
        """The last complete local day of the reporting zone."""
        return datetime.now(ZoneInfo(self.tz)).date() - timedelta(days=1)

    @property
    def landing(self) -> Path:
        return self.landing_override or self.home / "landing"

    def blocks(self, entity: str, check: str) -> bool:
        """Whether an opt-in check (OPT_IN_CHECKS) blocks publishing for `entity`."""
        chosen = {part.strip() for part in self.blocking_checks.split(",")}
        return check in chosen or f"{entity}:{check}" in chosen

    @property
    def working_db(self) -> Path:
        """The pipeline's own database: raw, ops, staging, intermediate, marts. Nobody else reads it."""
        return self.home / "warehouse.duckdb"

    @property
    def lake(self) -> Path:
        """The raw layer: Parquet files per entity and batch day (ingest/lake.py)."""
        return self.lake_override or self.home / "lake"

    @property
    def spark_dir(self) -> Path:
        """The local Spark engine's catalog: its tables' files and its metastore."""
        return self.home / "spark"

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
    def dbt_dir(self) -> Path:
        """dbt's artifacts and logs (transform/project.py): under the home, never in the code."""
        return self.home / "dbt"

    @property
    def hash_key(self) -> str:
        return hash_key_of(self.home)


def hash_key_of(home: Path) -> str:
    """Key of the keyed hash applied to personal data in staging.

    WAREHOUSE_HASH_KEY wins; otherwise a random key is made once per home and kept in its file
    `hash_key` (readable by its owner only), so hashed keys stay stable across runs of one
    warehouse but cannot be recomputed elsewhere.
    """
    if os.environ.get("WAREHOUSE_HASH_KEY"):
        return os.environ["WAREHOUSE_HASH_KEY"]
    path = home / "hash_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # 0600 from the start (never readable by others); a process that made it first wins
        write_private_text(path, secrets.token_hex(16), replace=False)
    return path.read_text().strip()


# Left by `rotate_hash_key` until a run has rebuilt every model with the new key: while it exists,
# runs rebuild from all raw rows (orchestration.runner), so old and new keys never mix.
KEY_REBUILD_MARKER = "hash_key.rebuild"


def rotate_hash_key(home: Path) -> None:
    """Replace the key of `home` with a new random one and mark the warehouse for a full rebuild.
    Not when WAREHOUSE_HASH_KEY sets the key: that one is changed where it is set."""
    if os.environ.get("WAREHOUSE_HASH_KEY"):
        raise SettingsError(
            "WAREHOUSE_HASH_KEY sets the personal-data key: change it there, then run "
            "`warehouse run --full-refresh` over the whole history"
        )
    write_private_text(home / KEY_REBUILD_MARKER, "the personal-data key changed; the next run rebuilds all\n")
    write_private_text(home / "hash_key", secrets.token_hex(16))


def key_rebuild_pending(home: Path) -> bool:
    return (home / KEY_REBUILD_MARKER).exists()


def key_rebuilt(home: Path) -> None:
    (home / KEY_REBUILD_MARKER).unlink(missing_ok=True)


def _variable(loc: tuple) -> str:
    name = str(loc[0]) if loc else "?"
    return name if name.startswith(PREFIX) else PREFIX + name.upper()


def load_settings(**overrides) -> Settings:
    """The settings from the environment (`overrides` win, by field name); SettingsError when one
    is unusable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        variable = _variable(error.get("loc", ()))
        value = os.environ.get(variable, error.get("input"))
        reason = str(error.get("ctx", {}).get("error") or error.get("msg", "invalid"))
        reason = reason.removeprefix("Value error, ")
        raise SettingsError(f"{variable}={value!s} is not usable: {reason}") from None


def check_home_and_landing(settings: Settings, need_landing: bool) -> None:
    """What a command needs of the file system: a writable home, and for the commands that read
    landing files an existing landing folder (SettingsError naming the variable otherwise)."""
    try:
        settings.home.mkdir(parents=True, exist_ok=True)
        probe = settings.home / f".write-probe-{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise SettingsError(
            f"WAREHOUSE_HOME={settings.home} is not usable: cannot write there ({exc.strerror or exc})"
        ) from None
    if need_landing and not settings.landing.is_dir():
        variable = "WAREHOUSE_LANDING" if settings.landing_override else "WAREHOUSE_HOME"
        raise SettingsError(
            f"{variable}: the landing folder {settings.landing} does not exist (simulate a shop "
            f"with `warehouse simulate`, or point WAREHOUSE_LANDING at the shop's exports)"
        )


def java_home() -> str | None:
    """The Java runtime a local Spark runs on: JAVA_HOME, else Debian's Java 17
    (openjdk-17-jre-headless, whose folder is named for the machine's architecture), else none
    (Spark then takes `java` from the PATH)."""
    if os.environ.get("JAVA_HOME"):
        return os.environ["JAVA_HOME"]
    found = sorted(Path("/usr/lib/jvm").glob("java-17-openjdk-*"))
    return str(found[0]) if found else None


def check_engine(settings: Settings) -> None:
    """What the chosen engine needs before a run starts (SettingsError naming the variable): for
    Spark, its packages (the extra `spark`), and a Java runtime for a local Spark (a Thrift server
    runs its own)."""
    if settings.engine != "spark":
        return
    import importlib.util
    import shutil
    import socket

    if settings.spark_thrift:
        host, port = settings.spark_thrift.rsplit(":", 1)
        try:
            socket.create_connection((host, int(port)), timeout=10).close()
        except OSError as exc:
            raise SettingsError(
                f"WAREHOUSE_SPARK_THRIFT={settings.spark_thrift}: no Spark Thrift Server answers there "
                f"({exc.strerror or exc})"
            ) from None
    if any(importlib.util.find_spec(m) is None for m in ("pyspark", "pyhive", "dbt.adapters.spark")):
        raise SettingsError(
            "WAREHOUSE_ENGINE=spark is not usable: the Spark packages are not installed "
            "(run WAREHOUSE_ENGINE=spark scripts/bootstrap)"
        )
    if settings.spark_thrift:
        return
    home = java_home()
    if not (home and (Path(home) / "bin" / "java").exists()) and shutil.which("java") is None:
        raise SettingsError(
            "WAREHOUSE_ENGINE=spark is not usable: no Java runtime (apt-get install -y openjdk-17-jre-headless)"
        )
