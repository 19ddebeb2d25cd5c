"""The benchmark ladder: one shop size, every stage measured in its own process.

    .venv/bin/python bench/run.py --scale tiny|small|large [--days N] [--start D] [--workdir DIR]
                                  [--no-e2e] [--backfill-compare] [--label NAME]

The medium shop of issue 6 is `--scale small --days 365`. Stages, in order (each a subprocess:
wall time, peak memory, rows per second):

  simulate     `warehouse simulate` into <workdir>/landing (reused when its _simulation.json
               matches: then the figure is the one of the run that wrote it, if recorded)
  bare_read    DuckDB's bare read_csv / read_json of every landing file into tables (no checks)
  floor        bench/floor.sql: the three core marts straight from the landing files
  ingest       the raw assets' ingest (full contract checks, quarantine, ingest log), fresh home
  gate         the raw assets' quality gate (GX suites)
  raw          ingest and gate again on a fresh home, as the raw step runs them: two entities at a
               time, one entity's checks beside another's load
  dbt_core     `dbt build --select +kpi_daily +channel_daily +funnel_daily`, then the data tests
               of what it built (as a run runs them: transform/data_tests.py)
  compare      the floor's marts equal the pipeline's? (not timed as a stage of the pipeline)
  dbt_core_rest  dbt_core again without stg_traffic__events (built by dbt_core): what dbt would
               still do if the clickstream were staged while it is ingested
  raw_others   the raw step without the clickstream, fresh home
  one_pass     the clickstream read, checked and written once already staged (a prototype of
               issue 20's one pass, bench/one_pass.py); with raw_others and dbt_core_rest, what
               the core pipeline would cost built that way
  dbt_rest     the rest of the pipeline's `dbt build`: every other model, then its data tests
               (the tests joining a core mart with another mart are left out; end_to_end runs all)
  publish      the Python marts (experiment results, GMV forecast), write-audit-publish into serving
  reads        every mart through `warehouse query`'s code path (ms per query) + dashboards build
  end_to_end   `warehouse backfill --start D1 --end DN` on a fresh home: one Dagster run
  full_refresh `warehouse run --start D1 --end DN --full-refresh` on that home, when the flag
               exists (`--backfill-compare`)

Ratios measured in the same run: core pipeline (raw + dbt_core; ingest + gate + dbt_core when the
raw stage was left out) / floor, the one-pass projection (raw_others + one_pass + dbt_core_rest)
/ floor, and ingest / bare_read. Results: bench/results/<label>.json and a markdown table on
stdout (paste it into docs/performance.md). Benchmarks are not tests: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.measure import run_measured  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
STAGES = Path(__file__).resolve().parent / "stages.py"
CORE_SELECT = ["+kpi_daily", "+channel_daily", "+funnel_daily"]
RESULTS = Path(__file__).resolve().parent / "results"
# plain DuckDB scripts: DuckDB holds itself to its memory_limit (default 80 % of RAM), and spilling
# them under a cap would measure the cap, not DuckDB
UNCAPPED = ("bare_read", "floor")


def _machine() -> dict:
    mem = 0
    with open("/proc/meminfo") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                mem = int(line.split()[1]) / 2**20
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as handle:
            cpu = next((ln.split(":", 1)[1].strip() for ln in handle if ln.startswith("model name")), cpu)
    except OSError:
        pass
    import duckdb

    return {
        "cpus": os.cpu_count(),
        "mem_gib": round(mem, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "loadavg_at_start": os.getloadavg(),
    }


def _other_load() -> list[str]:
    """The busiest processes that are not ours, so the report can say what else was running."""
    mine = {os.getpid()}
    out = subprocess.run(
        ["ps", "-eo", "pid,ppid,pcpu,rss,etime,comm", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout
    rows = []
    for line in out.splitlines()[1:]:
        parts = line.split(None, 5)
        if len(parts) == 6 and int(parts[0]) not in mine and float(parts[2]) >= 5:
            rows.append(f"{parts[5]} pid {parts[0]}: {parts[2]}% cpu, {int(parts[3]) // 1024} MiB")
    return rows[:8]


class Ladder:
    def __init__(self, args):
        self.args = args
        self.work = Path(args.workdir).resolve()
        self.landing = self.work / "landing"
        self.home = self.work / "home"
        self.logs = self.work / "logs"
        self.logs.mkdir(parents=True, exist_ok=True)
        self.start = date.fromisoformat(args.start)
        self.end = self.start + timedelta(days=args.days - 1)
        self.stages: dict[str, dict] = {}
        self.input_rows = 0

    def env(self, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WAREHOUSE_", "DAGSTER_"))}
        env.update(WAREHOUSE_HOME=str(home), WAREHOUSE_LANDING=str(self.landing), PYTHONUNBUFFERED="1")
        if self.args.hash_key:
            env["WAREHOUSE_HASH_KEY"] = self.args.hash_key
        env.update(extra or {})
        return env

    def stage(
        self,
        name: str,
        argv: list[str],
        home: Path | None = None,
        rows: int | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> dict:
        print(f"[{datetime.now():%H:%M:%S}] {name}: {' '.join(argv[:4])} ...", file=sys.stderr, flush=True)
        m = run_measured(
            argv,
            env=self.env(home or self.home, extra_env),
            cwd=ROOT,
            log=self.logs / f"{name}.log",
            cap_mib=None if name in UNCAPPED else self.args.memory_cap_mib,
        )
        result = {
            "wall_s": round(m.wall_s, 2),
            "cpu_s": round(m.cpu_s, 2),
            "max_rss_mib": round(m.max_rss_mib),
            "peak_tree_rss_mib": round(m.peak_tree_rss_mib),
            "returncode": m.returncode,
            "loadavg_after": os.getloadavg()[0],
        }
        line = m.stdout.strip().splitlines()[-1] if m.stdout.strip() else ""
        if line.startswith("{"):
            result["detail"] = json.loads(line)
        if m.returncode:
            result["error"] = m.stderr_tail
        if m.killed_over_mib:
            result["error"] = (
                f"killed: its processes held {m.killed_over_mib:.0f} MiB, over the cap of {self.args.memory_cap_mib} MiB"
            )
        n = rows if rows is not None else result.get("detail", {}).get("rows")
        if n:
            result["rows"] = n
            result["rows_per_s"] = round(n / m.wall_s) if m.wall_s else None
        self.stages[name] = result
        print(
            f"    {result['wall_s']}s, peak {result['peak_tree_rss_mib']} MiB"
            + (f", FAILED: {result.get('error', '')[-300:]}" if m.returncode else ""),
            file=sys.stderr,
            flush=True,
        )
        self.save()
        return result

    def simulate(self) -> None:
        manifest = self.landing / "_simulation.json"
        want = {
            "start": self.start.isoformat(),
            "days": self.args.days,
            "scale": self.args.scale,
            "seed": self.args.seed,
        }
        if manifest.exists():
            sim = json.loads(manifest.read_text())
            if all(sim.get(k) == v for k, v in want.items()):
                self.stages["simulate"] = {"reused": str(self.landing), **self.args.simulate_figure}
                return
            shutil.rmtree(self.landing)
        self.stage(
            "simulate",
            [
                str(BIN / "warehouse"),
                "simulate",
                "--start",
                self.start.isoformat(),
                "--days",
                str(self.args.days),
                "--scale",
                self.args.scale,
                "--seed",
                str(self.args.seed),
            ],
        )

    def dbt(self, name: str, extra: list[str]) -> dict:
        """`dbt build` and the data tests as the transform asset runs them (bench/stages.py dbt): the
        settings in its environment, the window as vars and, the window holding every loaded batch
        day, --full-refresh (FULL_REFRESH_SHARE)."""
        window = ["--start", self.start.isoformat(), "--end", self.end.isoformat()]
        env = {"WAREHOUSE_HASH_KEY": self.args.hash_key}
        return self.stage(name, [PY, str(STAGES), "dbt", *window, "--", *extra], rows=self.input_rows, extra_env=env)

    def plan(self) -> list[tuple[str, object]]:
        """(stage name, what runs it), in order."""
        a = self.args
        window = ["--start", self.start.isoformat(), "--end", self.end.isoformat()]
        e2e_home = self.work / "home-e2e"

        def fresh(stage: str):
            shutil.rmtree(self.home, ignore_errors=True)
            self.stage(stage, [PY, str(STAGES), stage, *window])

        def raw_others():
            home = self.work / "home-others"
            shutil.rmtree(home, ignore_errors=True)
            self.stage("raw_others", [PY, str(STAGES), "raw", *window, "--skip", "traffic_events"], home=home)

        def end_to_end():
            shutil.rmtree(e2e_home, ignore_errors=True)
            self.stage("end_to_end", [str(BIN / "warehouse"), "backfill", *window], home=e2e_home, rows=self.input_rows)

        def full_refresh():
            helptext = subprocess.run([str(BIN / "warehouse"), "run", "--help"], capture_output=True, text=True).stdout
            if "--full-refresh" not in helptext:
                self.stages["full_refresh"] = {"skipped": "`warehouse run` has no --full-refresh flag on this branch"}
                return
            self.stage(
                "full_refresh",
                [str(BIN / "warehouse"), "run", *window, "--full-refresh"],
                home=e2e_home,
                rows=self.input_rows,
            )

        steps = [
            ("simulate", self.simulate),
            (
                "bare_read",
                lambda: self.stage(
                    "bare_read",
                    [
                        PY,
                        str(STAGES),
                        "bare-read",
                        "--landing",
                        str(self.landing),
                        "--db",
                        str(self.work / "bare.duckdb"),
                    ],
                ),
            ),
            (
                "floor",
                lambda: self.stage(
                    "floor",
                    [PY, str(STAGES), "floor", "--landing", str(self.landing), "--db", str(self.work / "floor.duckdb")],
                    rows=self.input_rows,
                ),
            ),
            ("ingest", lambda: fresh("ingest")),
            ("gate", lambda: self.stage("gate", [PY, str(STAGES), "gate", *window])),
            # ingest and gate again, on a fresh home, as the raw step runs them (two entities at a time)
            ("raw", lambda: fresh("raw")),
            ("dbt_core", lambda: self.dbt("dbt_core", ["--select", *CORE_SELECT, "--indirect-selection", "cautious"])),
            (
                "compare",
                lambda: self.stage(
                    "compare", [PY, str(STAGES), "compare", "--floor-db", str(self.work / "floor.duckdb")]
                ),
            ),
            (
                "dbt_core_rest",
                lambda: self.dbt(
                    "dbt_core_rest",
                    ["--select", *CORE_SELECT, "--exclude", "stg_traffic__events", "--indirect-selection", "cautious"],
                ),
            ),
            ("raw_others", raw_others),
            (
                "one_pass",
                lambda: self.stage(
                    "one_pass",
                    [PY, str(STAGES), "one-pass", *window, "--db", str(self.work / "one_pass.duckdb")],
                ),
            ),
        ]
        if not a.core_only:
            steps += [
                # the rest of the pipeline's one dbt build: every model not built by dbt_core, with its
                # tests (dbt then leaves out the 16 tests that join a core mart with another mart)
                ("dbt_rest", lambda: self.dbt("dbt_rest", ["--exclude", *CORE_SELECT])),
                ("publish", lambda: self.stage("publish", [PY, str(STAGES), "publish"])),
                (
                    "reads",
                    lambda: self.stage(
                        "reads",
                        [PY, str(STAGES), "reads", "--repeat", "5", "--dashboards-dir", str(self.work / "dashboards")],
                    ),
                ),
            ]
        if a.e2e:
            steps.append(("end_to_end", end_to_end))
            if a.backfill_compare:
                steps.append(("full_refresh", full_refresh))
        return steps

    def run(self) -> None:
        only = set(self.args.stages.split(",")) if self.args.stages else None
        previous = RESULTS / f"{self.args.label}.json"
        if only and previous.exists():  # continue a ladder: keep the stages measured before
            data = json.loads(previous.read_text())
            self.stages = data["stages"]
            self.machine = data.get("machine", {})
        else:
            self.machine = _machine()
        self.machine.setdefault("other_load_at_start", _other_load())
        for name, step in self.plan():
            if only is None or name in only:
                step()
            if name == "bare_read":
                self.input_rows = self.stages.get("bare_read", {}).get("rows", 0)
                sim = self.stages.get("simulate", {})
                if sim.get("wall_s") and not sim.get("rows"):  # the rows it wrote are the rows read
                    sim.update(rows=self.input_rows, rows_per_s=round(self.input_rows / sim["wall_s"]))
        self.machine["loadavg_at_end"] = os.getloadavg()
        self.machine["other_load_at_end"] = _other_load()
        self.save()
        print(self.table())

    def ratios(self) -> dict:
        s = self.stages
        out = {}
        wall = {k: v.get("wall_s") for k, v in s.items() if isinstance(v, dict) and v.get("wall_s")}
        cpu = {k: v.get("cpu_s") for k, v in s.items() if isinstance(v, dict) and v.get("cpu_s")}
        # the core pipeline as a run runs it (the raw stage), else its ingest and gate one after the other
        core_stages = ("raw", "dbt_core") if "raw" in wall else ("ingest", "gate", "dbt_core")
        if all(k in wall for k in (*core_stages, "floor")):
            core = sum(wall[k] for k in core_stages)
            out["core_pipeline_stages"] = " + ".join(core_stages)
            out["core_pipeline_s"] = round(core, 2)
            out["core_pipeline_over_floor"] = round(core / wall["floor"], 2)
        if all(k in cpu for k in (*core_stages, "floor")):
            out["core_pipeline_over_floor_cpu"] = round(sum(cpu[k] for k in core_stages) / cpu["floor"], 2)
        projection = ("raw_others", "one_pass", "dbt_core_rest")
        if all(k in wall for k in (*projection, "floor")):
            out["one_pass_projection_s"] = round(sum(wall[k] for k in projection), 2)
            out["one_pass_projection_over_floor"] = round(out["one_pass_projection_s"] / wall["floor"], 2)
        if "ingest" in wall and "bare_read" in wall:
            out["ingest_over_bare_read"] = round(wall["ingest"] / wall["bare_read"], 2)
        if "ingest" in cpu and "bare_read" in cpu:
            out["ingest_over_bare_read_cpu"] = round(cpu["ingest"] / cpu["bare_read"], 2)
        if "end_to_end" in wall and "full_refresh" in wall:
            out["backfill_over_full_refresh"] = round(wall["end_to_end"] / wall["full_refresh"], 2)
        peaks = [
            v.get("peak_tree_rss_mib", 0)
            for k, v in s.items()
            if isinstance(v, dict) and k in ("ingest", "gate", "raw", "dbt_core", "dbt_rest", "publish", "end_to_end")
        ]
        if peaks:
            out["pipeline_peak_mib"] = max(peaks)
        if "reads" in s and "detail" in s["reads"]:
            detail = s["reads"]["detail"]
            out["max_read_ms"] = detail["max_ms"]
            if "max_cpu_ms" in detail:
                out["max_read_median_ms"] = detail["max_median_ms"]
                out["max_read_cpu_ms"] = detail["max_cpu_ms"]
        return out

    def save(self) -> None:
        RESULTS.mkdir(exist_ok=True)
        data = {
            "label": self.args.label,
            "scale": self.args.scale,
            "days": self.args.days,
            "start": self.start.isoformat(),
            "seed": self.args.seed,
            "recorded_at": datetime.now(UTC).isoformat(),
            "command": " ".join(sys.argv),
            "machine": getattr(self, "machine", {}),
            "stages": self.stages,
            "ratios": self.ratios(),
        }
        (RESULTS / f"{self.args.label}.json").write_text(json.dumps(data, indent=2, default=str) + "\n")

    def table(self) -> str:
        lines = [
            f"| {self.args.label} stage | wall s | cpu s | peak MiB (tree) | rows | rows/s |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for name, r in self.stages.items():
            if "wall_s" not in r:
                lines.append(f"| {name} | {r.get('skipped') or 'reused'} | | | | |")
                continue
            lines.append(
                f"| {name} | {r['wall_s']} | {r.get('cpu_s', '')} | {r.get('peak_tree_rss_mib', r.get('max_rss_mib', ''))} | {r.get('rows', '')} | {r.get('rows_per_s', '')} |"
            )
        lines.append("")
        lines += [f"- {k}: {v}" for k, v in self.ratios().items()]
        return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", choices=["tiny", "small", "large"], required=True)
    parser.add_argument(
        "--days", type=int, default=30, help="batch days (default 30; the medium shop: --scale small --days 365)"
    )
    parser.add_argument("--start", default="2025-12-01", help="first batch day (default 2025-12-01)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--workdir", help="default /tmp/bench/<label>")
    parser.add_argument("--label", help="name of the result file (default <scale>-<days>d)")
    parser.add_argument("--hash-key", default="bench", help="WAREHOUSE_HASH_KEY of every stage")
    parser.add_argument("--core-only", action="store_true", help="stop after the core stages (up to one_pass)")
    parser.add_argument("--no-e2e", dest="e2e", action="store_false", help="skip the end-to-end Dagster run")
    parser.add_argument(
        "--backfill-compare",
        action="store_true",
        help="after end_to_end, a --full-refresh run over the same files (if the flag exists)",
    )
    parser.add_argument(
        "--memory-cap-mib",
        type=float,
        default=6144,
        help="kill a stage whose processes hold more memory than this (default 6144: the target is 4 GiB, "
        "and the machine is shared)",
    )
    parser.add_argument(
        "--stages",
        help="comma-separated stages to run, keeping the other figures of an earlier "
        "run with the same label (e.g. dbt_rest,publish,reads)",
    )
    parser.add_argument(
        "--simulate-figure",
        type=json.loads,
        default={},
        help="JSON of the simulate stage when the landing is reused, e.g. '{\"wall_s\": 1500}'",
    )
    args = parser.parse_args()
    args.label = args.label or f"{args.scale}-{args.days}d"
    args.workdir = args.workdir or f"/tmp/bench/{args.label}"
    os.environ["WAREHOUSE_HASH_KEY"] = args.hash_key  # one key for every stage and process it starts
    started = time.perf_counter()
    Ladder(args).run()
    print(f"ladder done in {time.perf_counter() - started:.0f}s", file=sys.stderr)


if __name__ == "__main__":
    main()
