"""The warehouse's settings (architecture.md): environment variables validated when read; the
modes of the files the warehouse writes (config/files.py, docs/design.md).

load_settings() -> Settings      SettingsError: one line naming the variable
alert_targets(settings) -> AlertTargets   where alerts go (config/alerting.py)
private_dir, write_private_text, make_private, ... , secure_home(settings)
"""

from config.alerting import AlertTargets, SmtpServer, alert_targets
from config.files import (
    create_private,
    duckdb_companions,
    make_private,
    make_shared,
    private_dir,
    private_opener,
    secure_home,
    share_tree,
    shared_dir,
    write_private_text,
)
from config.settings import (
    SETTINGS_HELP,
    SEVERITIES,
    Settings,
    SettingsError,
    check_engine,
    check_home_and_landing,
    hash_key_of,
    java_home,
    key_rebuild_pending,
    key_rebuilt,
    load_settings,
    rotate_hash_key,
)

__all__ = [
    "SETTINGS_HELP",
    "SEVERITIES",
    "AlertTargets",
    "SmtpServer",
    "alert_targets",
    "Settings",
    "SettingsError",
    "check_engine",
    "check_home_and_landing",
    "create_private",
    "duckdb_companions",
    "hash_key_of",
    "java_home",
    "key_rebuild_pending",
    "key_rebuilt",
    "load_settings",
    "make_private",
    "make_shared",
    "private_dir",
    "private_opener",
    "rotate_hash_key",
    "secure_home",
    "share_tree",
    "shared_dir",
    "write_private_text",
]
