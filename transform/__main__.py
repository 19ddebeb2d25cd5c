"""`python -m transform`: parse the dbt project into transform/target at setup time (scripts/bootstrap),
so runs find a current manifest without parsing (transform.project.prepare)."""

from transform.project import prepare

print(prepare() / "manifest.json")
