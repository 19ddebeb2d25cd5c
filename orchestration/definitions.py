"""The Dagster definitions the UI loads: `dagster-webserver -m orchestration.definitions`."""

from orchestration.job import build_definitions
from config import load_settings

defs = build_definitions(load_settings())
