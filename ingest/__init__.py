"""Reading a shop's landing files: the contract (the single source of the raw schemas, enums and
the dbt sources), the readers that enforce it, quarantine and the ingest log.

Interface (`from ingest import name`): the contract (`ENTITIES`, `ENTITY_BY_NAME`, `Entity`,
`raw_table_ddl`, the enums), `ingest_window` (load a window of batch days of one entity;
`FileRejected`), `ensure_schema` (the ops tables of ingest), `batch_days` and `partition_dir`
(the landing layout).

Each name is imported on first use (PEP 562 `__getattr__`): the settings read the contract
through `quality` when the `warehouse` command starts, which must not pay for DuckDB and Arrow.
"""

from importlib import import_module

# public name -> the module that defines it
_EXPORTS = {
    **dict.fromkeys(
        (
            "ENTITIES",
            "ENTITY_BY_NAME",
            "Entity",
            "raw_table_ddl",
            "DEVICE_TYPES",
            "KNOWN_EVENT_NAMES",
            "ORDER_STATUSES",
            "PAGE_TYPES",
            "PAYMENT_METHODS",
            "PAYMENT_STATUSES",
            "PLATFORMS",
            "PRIORITIES",
            "REFUND_REASONS",
            "REFUND_STATUSES",
            "SERVICE_CATEGORIES",
            "SERVICE_CHANNELS",
            "SERVICE_EVENT_TYPES",
            "TICKET_STATUSES",
            "TARGET_METRICS",
            "OPTIONAL_ENTITIES",
        ),
        "ingest.contract",
    ),
    **dict.fromkeys(
        ("FileRejected", "ensure_schema", "ingest_window", "log_unknown_folders", "UNKNOWN_FOLDER"), "ingest.load"
    ),
    **dict.fromkeys(("batch_days", "partition_dir", "unknown_folders"), "ingest.reader"),
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = globals()[name] = getattr(import_module(_EXPORTS[name]), name)
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
