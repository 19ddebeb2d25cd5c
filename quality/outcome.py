"""One evaluation of one check, whoever evaluated it (a GX suite, the dbt build)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime


@dataclass(frozen=True)
class CheckOutcome:
    """One evaluation of one check: a row of ops.check_results and a Dagster AssetCheckResult."""

    check_name: str  # the Dagster check name on the asset (`key_unique`, or a dbt test's name)
    asset: str  # `raw.shop_orders`, `marts.kpi_daily`: the asset key joined with dots
    partition: str  # the batch days evaluated: `2026-03-01` or `2026-03-01..2026-03-04`
    passed: bool
    rows_affected: int | None
    detail: str
    severity: str = "error"  # error: blocks the run; warn: reported only
    failed_partitions: tuple[str, ...] = ()
    checked_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def qualified_name(self) -> str:
        """Unique within a run (the grain of ops.check_results and marts.data_health)."""
        return f"{self.asset}:{self.check_name}"


def window_label(days: list[date]) -> str:
    return days[0].isoformat() if days[0] == days[-1] else f"{days[0].isoformat()}..{days[-1].isoformat()}"
