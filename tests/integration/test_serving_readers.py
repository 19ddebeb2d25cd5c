"""Readers of the serving database during publishes never fail and always see a complete
version (issue 4). Apart from test_fault_tolerance.py so the two spread over test workers."""

from __future__ import annotations

import subprocess
import sys

from tests.support.warehouse import EDGE_SHOP, EDGE_SHOP_DAYS, new_settings, run_ok

# A reader process: "reconnect" opens the serving database afresh for every query (it must see
# each new version, complete); "hold" keeps one connection open across publishes (it must keep
# working on the version it opened). Two processes, because DuckDB shares one open database per
# path inside a process.
READER = r"""
import os, sys, time, duckdb
db, mode, stop, out = sys.argv[1:5]
held = duckdb.connect(db, read_only=True) if mode == "hold" else None
reads = errors = 0
versions = set()
with open(out, "w") as log:
    while not os.path.exists(stop):
        try:
            con = held or duckdb.connect(db, read_only=True)
            try:
                run_id, tables, n = con.execute(
                    "SELECT run_id, tables, (SELECT count(*) FROM marts.kpi_daily) FROM ops.publication").fetchone()
                present = con.execute(
                    "SELECT count(*) FROM duckdb_tables() WHERE schema_name IN ('marts', 'ops')").fetchone()[0]
            finally:
                if con is not held:
                    con.close()
            if n == 0 or present != tables + 1:  # every published table, plus ops.publication itself
                log.write(f"incomplete version {run_id}: {n} kpi rows, {present} of {tables + 1} tables\n")
                errors += 1
            versions.add(run_id)
            reads += 1
        except Exception as exc:
            log.write(f"error: {exc!r}\n")
            errors += 1
        time.sleep(0.02)  # leave the CPU to the runs being read
    log.write(f"reads={reads} errors={errors} versions={len(versions)}\n")
"""


def test_readers_never_fail_while_runs_publish(tmp_path):
    settings = new_settings(tmp_path / "home", EDGE_SHOP)
    run_ok(settings, *EDGE_SHOP_DAYS)
    stop = tmp_path / "stop"
    readers = {mode: (tmp_path / f"{mode}.log") for mode in ("reconnect", "hold")}
    procs = [
        subprocess.Popen([sys.executable, "-c", READER, str(settings.serving_db), mode, str(stop), str(out)])
        for mode, out in readers.items()
    ]
    try:
        run_ok(settings, *EDGE_SHOP_DAYS)  # one publish while both read
    finally:
        stop.touch()
        for proc in procs:
            proc.wait(timeout=60)
    seen = {}
    for mode, out in readers.items():
        lines = out.read_text().splitlines()
        summary = dict(part.split("=") for part in lines[-1].split())
        assert lines[:-1] == [] and summary["errors"] == "0", (mode, lines[:5])
        assert int(summary["reads"]) > 50, mode
        seen[mode] = int(summary["versions"])
    assert seen == {"reconnect": 2, "hold": 1}  # saw the publish happen / kept its own version
