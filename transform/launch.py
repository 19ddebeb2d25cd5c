"""`python -P -m transform.launch HOME DBT-ARGS...`: dbt's command line, run with the warehouse
home as its working directory.

The profile names the working database relative to it (`warehouse.duckdb`, profiles.yml) and the
key plugin reads the home's key file there, so neither dbt's vars nor its profile hold the home's
path. dbt keeps its parse state only while both stay the same: the state parsed at setup
(transform/target) then fits the first run of every warehouse with default settings, which no
longer parses the whole project. dagster-dbt and dbt itself both start dbt in the project folder."""

from __future__ import annotations

import os
import sys


def main() -> None:
    home = sys.argv.pop(1)
    os.chdir(home)
    from dbt.cli.main import cli  # after the chdir: nothing of dbt has looked at the cwd yet

    sys.exit(cli())


if __name__ == "__main__":
    main()
