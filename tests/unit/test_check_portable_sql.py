"""scripts/check-portable-sql: engine-specific SQL only in the engine macros (architecture.md,
"Portable SQL"). It flags each known spelling once per line, reads neither comments nor the
strings of the SQL, and the project's own models, tests and seeds pass it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "check-portable-sql"

BAD_SQL = """\
-- a comment may say at time zone, :: and quantile_cont freely
select
    created_at at time zone 'Asia/Shanghai' as local_at,
    amount::double as amount,
    quantile_cont(amount, 0.5) as median_amount,
    cast(x as varchar) as x_text,
    cast(y as double precision) as y,
    {{ dbt.datediff('a', 'b', 'millisecond') }} / 60000.0 as minutes,
    getvariable('pii_hash_key') as key_expression
from information_schema.columns
"""

GOOD_SQL = """\
{{ config(materialized='incremental', **rebuild_days_strategy('event_date')) }}
-- at time zone lives in macros/dialect.sql
select
    {{ to_local_timestamp('created_at') }} as local_at,
    cast(amount as double) as amount,
    {{ percentile_cont('amount', 0.5) }} as median_amount,
    cast(x as varchar(20)) as x_text,
    'the text :: at time zone in a string' as note,
    {{ timestamp_diff_in('a', 'b', 'millisecond', 60000) }} as minutes,
    {{ dbt.datediff('first_day', 'last_day', 'day') }} as days
from {{ ref('orders') }}
"""

BAD_YML = """\
version: 2
models:
  - name: some_mart
    config:
      incremental_strategy: delete+insert
    columns:
      - name: channel
        data_type: varchar
      - name: share
        data_type: double precision
seeds:
  - name: rules
    config:
      column_types:
        match_kind: varchar
"""

GOOD_YML = """\
version: 2
sources:
  - name: raw
    tables:
      - name: orders
        columns:
          - name: created_at
            data_type: timestamptz
models:
  - name: some_mart
    columns:
      - name: channel
        data_type: string
      - name: share
        data_type: double
      - name: code
        data_type: varchar(3)
"""


def _check(*paths: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *map(str, paths)], capture_output=True, text=True, timeout=60)


def test_bad_spellings_are_reported_one_line_each(tmp_path):
    bad = tmp_path / "bad.sql"
    bad.write_text(BAD_SQL)
    done = _check(bad)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{bad}:3: at time zone outside an engine macro",
        f"{bad}:4: :: outside an engine macro",
        f"{bad}:5: quantile_cont outside an engine macro",
        f"{bad}:6: varchar outside an engine macro",
        f"{bad}:7: double precision outside an engine macro",
        f"{bad}:8: dbt.datediff with a part below a day outside an engine macro",
        f"{bad}:8: division by a decimal literal outside an engine macro",
        f"{bad}:9: getvariable outside an engine macro",
        f"{bad}:10: information_schema outside an engine macro",
    ]


def test_contract_and_seed_types_and_strategies_in_yaml(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_YML)
    done = _check(bad)
    assert done.returncode == 1
    assert done.stdout.splitlines() == [
        f"{bad}:5: delete+insert outside an engine macro",
        f"{bad}:8: varchar outside an engine macro",
        f"{bad}:10: double precision outside an engine macro",
        f"{bad}:15: varchar outside an engine macro",
    ]


def test_portable_files_pass(tmp_path):
    (tmp_path / "good.sql").write_text(GOOD_SQL)
    (tmp_path / "good.yml").write_text(GOOD_YML)
    done = _check(tmp_path)
    assert (done.returncode, done.stdout) == (0, "")


def test_the_project_passes():
    done = _check()
    assert (done.returncode, done.stdout) == (0, ""), done.stdout


def test_a_missing_path_is_a_usage_error(tmp_path):
    done = _check(tmp_path / "nowhere.sql")
    assert done.returncode == 2
    assert "no such file or folder" in done.stderr
