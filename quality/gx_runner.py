"""Great-expectations (GX Core 1.x), kept quiet, local and fast.

One ephemeral context per process (no project folder, no data docs, no usage statistics), one
pandas datasource, one dataframe asset that every suite validates its frame through. GX is
imported on first use only: it takes seconds to import and nothing but a validating run needs it.

GX builds an expectation's configuration anew (a pydantic dict of every field, then a new
object) each time any part of it reads it, ~100 times per expectation of a validation: a third of
the gate's time on the tiny shop's day. While `validate` runs, each expectation object's
configuration is built once and kept (`_kept_configurations`); nothing in a validation changes an
expectation's fields, and the callers that change a configuration copy it first.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any

import pandas as pd

from quality.suites import Expectation

# Before GX is imported anywhere: no usage statistics leave the machine.
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# pyspark (installed with the Spark engine) ends the process on importing its Connect client when
# the main module has no file (a pytest-xdist worker, `python -c`: it takes that for its own
# doctests), and GX imports that client on the way in. Nothing here uses Spark Connect: marked
# absent, GX takes it for not installed.
sys.modules.setdefault("pyspark.sql.connect", None)

BATCH = "window"

# expectation object's id -> (the object, its configuration), while a validation of this thread runs
_kept = threading.local()

# One validation at a time: the batch's frame is held by the one dataframe asset every suite
# shares, and GX's context is not made for threads. Validating is Python (one core at a time
# anyway); the raw step checks one entity while it loads another (orchestration/entity_schedule.py).
_one_at_a_time = threading.Lock()


@dataclass(frozen=True)
class ExpectationResult:
    expectation: Expectation
    success: bool
    result: dict[str, Any]  # GX's result dict (counts, unexpected values and index rows)
    error: str | None = None  # the exception GX caught while evaluating, if any


@cache
def _datasource():
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig
        from great_expectations.execution_engine import pandas_execution_engine

    # GX fingerprints every frame under 1 GB as a batch marker (md5 over pandas' hash of every
    # cell), twice per validation: 70 % of the time of validating a million events. Nothing reads
    # the fingerprint, so no frame is hashed (docs/performance.md).
    pandas_execution_engine.HASH_THRESHOLD = 0
    _keep_configurations_while_validating()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
    return context.data_sources.add_pandas("warehouse")


def _keep_configurations_while_validating() -> None:
    from great_expectations.expectations.expectation import Expectation

    build = Expectation.configuration.fget

    def configuration(self):
        kept = getattr(_kept, "configurations", None)
        if kept is None:
            return build(self)
        hit = kept.get(id(self))
        if hit is None or hit[0] is not self:  # the object holds its id while it is kept
            hit = kept[id(self)] = (self, build(self))
        return hit[1]

    Expectation.configuration = property(configuration, doc=Expectation.configuration.__doc__)


@contextmanager
def _kept_configurations() -> Iterator[None]:
    _kept.configurations = {}
    try:
        yield
    finally:
        _kept.configurations = None


@cache
def _batch_definition():
    # One dataframe asset for every suite: adding an asset saves the whole context's
    # configuration as YAML (~20 ms), and nothing reads a result's asset name.
    asset = _datasource().add_dataframe_asset("frames")
    return asset.add_batch_definition_whole_dataframe(BATCH)


def _build(expectation: Expectation, position: int):
    import great_expectations.expectations as gxe

    cls = getattr(gxe, expectation.gx_class)
    return cls(**expectation.kwargs, meta={"position": position})


def validate(
    suite_name: str, frame: pd.DataFrame, expectations: list[Expectation], index_columns: list[str] | None = None
) -> list[ExpectationResult]:
    """Validate `frame` against the expectations (one GX suite); results in the given order.

    Without `index_columns` GX only says pass or fail (fast); with them, every failing row comes
    back with those columns (GX's COMPLETE result format), for counts and samples.
    """
    import great_expectations as gx

    if not expectations:
        return []
    suite = gx.ExpectationSuite(name=suite_name, expectations=[_build(e, i) for i, e in enumerate(expectations)])
    result_format: Any = "BOOLEAN_ONLY"
    if index_columns:
        result_format = {
            "result_format": "COMPLETE",
            "unexpected_index_column_names": index_columns,
            "return_unexpected_index_query": False,
        }
    with _one_at_a_time, warnings.catch_warnings(), _kept_configurations():
        warnings.simplefilter("ignore")
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": frame})
        validation = batch.validate(suite, result_format=result_format)
    out: list[ExpectationResult | None] = [None] * len(expectations)
    for r in validation.results:
        position = r.expectation_config.meta["position"]
        error = _raised(r.exception_info)
        out[position] = ExpectationResult(
            expectations[position], bool(r.success) and not error, dict(r.result or {}), error
        )
    return [r for r in out if r is not None]


def _raised(info) -> str | None:
    """The message of an exception GX caught: `exception_info` is one dict, or one per metric."""
    if not info:
        return None
    infos = [info] if "raised_exception" in info else [v for v in info.values() if isinstance(v, dict)]
    for i in infos:
        if i.get("raised_exception"):
            return str(i.get("exception_message") or "exception while evaluating")
    return None
