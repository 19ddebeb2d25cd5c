"""One module per dashboards page. Each has FILE, TITLE and `build(reader)`, which returns the
page's widgets (what app.js draws), its daily tables and its per-range rows."""

from dashboards.pages import customers, experiments, health, overview, sales, service, traffic

PAGES = (overview, traffic, sales, customers, service, experiments, health)
