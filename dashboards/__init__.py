"""The leadership dashboards: a static site built from the serving database's `marts` (and `ops`
for data health) only.

Interface (`from dashboards import name`): `build_site(serving_db, out_dir, currency)`,
`serve_forever(site_dir, port)`.
"""

from dashboards.build import build_site
from dashboards.serve import serve_forever

__all__ = ["build_site", "serve_forever"]
