"""Helpers the tests import (`from tests.support.warehouse import ...`): `paths` (where the
repository and the fixture shops are), `warehouse` (settings, runs and reads of a test warehouse),
`landing` (small landing files for ingest tests). Fixtures live in the conftest files."""
