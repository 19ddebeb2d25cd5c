"""The Dagster definitions the UI loads: `dagster-webserver -m orchestration.definitions`."""

from config import load_settings
from orchestration.job import build_definitions

defs = build_definitions(load_settings())
