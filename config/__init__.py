"""The warehouse's settings (architecture.md): environment variables validated when read.

load_settings() -> Settings      SettingsError: one line naming the variable
"""

from config.settings import (
    SETTINGS_HELP,
    Settings,
    SettingsError,
    check_home_and_landing,
    hash_key_of,
    load_settings,
)

__all__ = ["SETTINGS_HELP", "Settings", "SettingsError", "check_home_and_landing", "hash_key_of", "load_settings"]
