"""One module per dashboards page. Each has FILE, TITLE and `build(reader)`, which returns the
page's widgets (what app.js draws), its daily tables and its per-range rows. PAGES is the one list
of the pages, in navigation order (the build, the navigation bar and the tests read it); each page
is declared as a dbt exposure too (transform/models/marts/_exposures.yml, checked by
tests/integration/test_dashboard_sources.py)."""

from dashboards.pages import customers, experiments, health, overview, profit, sales, service, traffic

PAGES = (overview, traffic, sales, profit, customers, service, experiments, health)
