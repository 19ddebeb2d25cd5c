"""The warehouse's settings as a Dagster resource: every asset, check and sensor of one set of
definitions reads them from here (Dagster injects it), never from the process environment, so an
asset runs alone in a test with the settings it is given."""

from __future__ import annotations

from dagster import ConfigurableResource

from config import Settings


class WarehouseResource(ConfigurableResource):
    """The settings the definitions were built for, as validated JSON (config.Settings)."""

    settings_json: str

    @classmethod
    def of(cls, settings: Settings) -> WarehouseResource:
        return cls(settings_json=settings.model_dump_json())

    def settings(self) -> Settings:
        # validated as stored: the environment of the process that runs the step plays no part
        return Settings.model_validate_json(self.settings_json)
