"""Dagster only: the job and its definitions (`build_definitions`; `orchestration.definitions` is
what the Dagster UI loads), assets, checks, partitions, sensors, the schedule and the run launcher
(`run_window`). The other rooms do the work; the assets call them through their interfaces.

Interface (`from orchestration import name`): `run_window` (one Dagster run over a window of batch
days; `WindowOutsideHistory`; `landed_range`), `rotate_key` (a new personal-data key between
runs) and `step_failure_message` (a failed step's message), `watch_once` (one pass of `warehouse
watch`: the batch days landed or changed since, run in this process), the Dagster instance of a warehouse
(`dagster_instance`), the run tags of a window (`PARTITION_TAG`, `RANGE_START_TAG`,
`RANGE_END_TAG`), the logger a run reports through, its stages and its dbt tests that did not pass
(`DAGSTER_LOGGER`, `stage_of`, `dbt_test_failure`), the last alert delivery (`last_alert_delivery`).

Importing the package imports Dagster; each name is imported on first use (PEP 562
`__getattr__`), so `import orchestration` does not load the assets, dbt or the other rooms.
"""

import warnings
from importlib import import_module

from dagster import BetaWarning, PreviewWarning

# backfill_policy and pools are flagged beta/preview; we rely on them knowingly.
warnings.filterwarnings("ignore", category=BetaWarning)
warnings.filterwarnings("ignore", category=PreviewWarning)

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(
        ("WindowOutsideHistory", "rotate_key", "run_window", "step_failure_message"), "orchestration.runner"
    ),
    **dict.fromkeys(("landed_range",), "orchestration.partitions"),
    **dict.fromkeys(("watch_once",), "orchestration.watch"),
    **dict.fromkeys(("build_definitions",), "orchestration.job"),
    **dict.fromkeys(("dagster_instance",), "orchestration.instance"),
    **dict.fromkeys(("PARTITION_TAG", "RANGE_END_TAG", "RANGE_START_TAG"), "orchestration.window"),
    **dict.fromkeys(
        ("DAGSTER_LOGGER", "dbt_test_failure", "last_alert_delivery", "stage_of"), "orchestration.run_events"
    ),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(import_module(_EXPORTS[name]), name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
