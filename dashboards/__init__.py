"""The leadership dashboards: a static site built from the serving database's `marts` (and `ops`
for data health) only. Interface: `dashboards.build.build_site(serving_db, out_dir)`,
`dashboards.serve.serve_forever(site_dir, port)`."""
