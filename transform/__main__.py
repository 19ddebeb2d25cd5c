"""`python -m transform`: parse the dbt project into transform/target at setup time (scripts/bootstrap),
so runs find a current manifest without parsing (transform.project.prepare), and compile its data
tests for default settings beside it (transform.data_tests)."""

from transform.data_tests import prepare_data_tests
from transform.project import prepare

print(prepare() / "manifest.json")
print(prepare_data_tests())
