"""`warehouse watch` (orchestration/watch.py): a pass runs the batch days that landed or changed
since the last run asked for them, once settled and complete, as one run in this process; what it
ran is kept in $WAREHOUSE_HOME/watch.json. On a copy of the edge shop's warehouse, whose files
were all ingested after they last changed (the first pass trusts the ingest log)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta

from ingest import ENTITY_BY_NAME, partition_dir
from orchestration.watch import CURSOR_FILE, watch_once
from tests.support.warehouse import EDGE_SHOP_DAYS, new_settings

FIRST, LAST = EDGE_SHOP_DAYS


def test_a_pass_runs_what_changed_once_settled_and_leaves_days_not_over_yet(edge_shop_run, tmp_path):
    built, _ = edge_shop_run
    home, landing = tmp_path / "home", tmp_path / "landing"
    shutil.copytree(built.home, home, symlinks=True)
    shutil.copytree(built.landing, landing)  # with the files' modification times
    settings = new_settings(home, landing)

    first = watch_once(settings, settle_seconds=0)
    assert first.run is None and first.waiting == 0 and not first.busy
    days = [(FIRST + timedelta(days=i)).isoformat() for i in range((LAST - FIRST).days + 1)]
    assert sorted(json.loads((home / CURSOR_FILE).read_text())) == days
    assert (home / CURSOR_FILE).stat().st_mode & 0o777 == 0o600

    # a corrected file of the second day, and the orders of a day that is not over yet
    orders = ENTITY_BY_NAME["shop_orders"]
    corrected = next(partition_dir(landing, orders, FIRST + timedelta(days=1)).iterdir())
    os.utime(corrected)
    today = settings.yesterday() + timedelta(days=1)
    shutil.copytree(partition_dir(landing, orders, LAST), partition_dir(landing, orders, today))

    # the correction waits while it may still be written; the new day waits for its date
    settling = watch_once(settings, settle_seconds=3600)
    assert settling.run is None and settling.waiting == 2

    second = watch_once(settings, settle_seconds=0)
    assert second.run is not None and second.run.success, second.run and second.run.one_line()
    assert (second.run.start, second.run.end) == (FIRST + timedelta(days=1),) * 2
    assert second.waiting == 1

    third = watch_once(settings, settle_seconds=0)
    assert third.run is None and third.waiting == 1
