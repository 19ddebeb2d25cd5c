"""Every dbt model as an asset and every dbt test as an asset check, built by ONE `dbt build`
per run whatever the number of batch days: the window is passed to dbt as vars."""


import json
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.dbt_project import dbt_project, ensure_manifest, export_dbt_env
from orchestration.partitions import batch_days, single_run


class WarehouseTranslator(DagsterDbtTranslator):
    """Sources keep dbt's [source, table] key (`raw/shop_orders`, the ingest assets); models are
    keyed and grouped by their layer folder (`staging`, `intermediate`, `marts`)."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)


def _layer(props: Mapping[str, Any]) -> str:
    fqn = props.get("fqn") or []
    if props["resource_type"] == "seed":
        return "seeds"
    return fqn[1] if len(fqn) > 2 else "transform"


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def dbt_window_vars(context: AssetExecutionContext) -> dict[str, str]:
    window = context.partition_time_window
    return {
        "min_date": window.start.date().isoformat(),
        "max_date": (window.end - timedelta(days=1)).date().isoformat(),
    }


@dbt_assets(
    manifest=ensure_manifest(),
    project=dbt_project,
    partitions_def=batch_days,
    backfill_policy=single_run,
    dagster_dbt_translator=translator,
    name="transform",
    pool="working_db",
)
def transform_assets(context: AssetExecutionContext, dbt: DbtCliResource):
    export_dbt_env()
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_window_vars(context))], context=context).stream()


MART_KEYS = [key for key in transform_assets.keys if key.path[0] == "marts"]
