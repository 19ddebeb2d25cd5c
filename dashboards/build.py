"""Build the static site from the serving database and switch it in atomically.

`<home>/dashboards` is a symlink to a complete version directory `<home>/.dashboards/<id>/`. A
build writes a new version directory from scratch, then points a fresh symlink at it and renames
that symlink over `dashboards` (one rename(2): atomic), so a reader opening any page sees the old
site or the new one, never a half-written mix. The previous version is kept (a page opened just
before the switch still finds its assets); older ones are removed."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from importlib import resources
from pathlib import Path

import duckdb
from babel.numbers import get_currency_symbol
from plotly.offline import get_plotlyjs

from config import share_tree, shared_dir
from dashboards.pages import PAGES
from dashboards.queries import Reader
from dashboards.template import render_page

DEFAULT_RANGE = "28"
VERSIONS = ".dashboards"


def _page_data(reader: Reader, meta: dict, page) -> dict:
    built = page.build(reader)
    by_range: dict[str, dict] = {}
    for key, per_range in built.get("by_range", {}).items():
        for r, rows in per_range.items():
            by_range.setdefault(r, {})[key] = rows
    return {
        "page": page.FILE,
        "default_range": DEFAULT_RANGE,
        "dates": [d.isoformat() for d in reader.dates],
        "meta": meta,
        "widgets": built["widgets"],
        "filters": built.get("filters", []),
        "tables": built.get("tables", {}),
        "by_range": by_range,
    }


def _write_version(serving_db: Path, target: Path, currency: str) -> None:
    assets = target / "assets"
    assets.mkdir(parents=True)
    (assets / "plotly.min.js").write_text(get_plotlyjs(), encoding="utf-8")
    static = resources.files("dashboards") / "static"
    for name in ("app.js", "style.css"):
        (assets / name).write_bytes((static / name).read_bytes())
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        reader = Reader(con)
        meta = {**reader.meta(), "currency": currency_meta(currency)}
        for page in PAGES:
            data = _page_data(reader, meta, page)
            (target / page.FILE).write_text(render_page(page.FILE, page.TITLE, meta, data), encoding="utf-8")
    finally:
        con.close()


def _switch(site: Path, target: Path) -> None:
    """Point `site` at `target` with one rename; a real directory left by an older build is moved
    into the versions folder first (the only moment the site is briefly absent)."""
    if site.exists() and not site.is_symlink():
        site.rename(target.parent / f"legacy-{uuid.uuid4().hex[:8]}")
    link = site.parent / f".{site.name}.{uuid.uuid4().hex[:8]}.link"
    link.symlink_to(Path(VERSIONS) / target.name)  # relative: the home may be moved or mounted elsewhere
    os.replace(link, site)


def _prune(versions: Path, keep: set[str]) -> None:
    for old in versions.iterdir():
        if old.name not in keep:
            shutil.rmtree(old, ignore_errors=True)


def currency_meta(code: str) -> dict:
    """The base currency as the pages show it: its ISO code and its symbol (CN¥ for CNY, $ for USD)."""
    return {"code": code, "symbol": get_currency_symbol(code, locale="en")}


def build_site(serving_db: Path, site: Path, currency: str) -> Path:
    """Build every page from `serving_db` into a new version and switch `site` to it; returns the
    path of the overview page. `currency`: the base currency (ISO code) every amount is in."""
    if not serving_db.exists():
        raise FileNotFoundError(f"no serving database at {serving_db}: run the pipeline first (warehouse run)")
    versions = site.parent / VERSIONS
    shared_dir(versions)  # the analysts' group reads the site (docs/design.md): 0750, files 0640
    for stale in site.parent.glob(f".{site.name}.*.link"):  # left by a build killed mid-switch
        stale.unlink(missing_ok=True)
    previous = os.readlink(site) if site.is_symlink() else None
    target = versions / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    try:
        _write_version(serving_db, target, currency)
        share_tree(target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    _switch(site, target)
    _prune(versions, {target.name, Path(previous).name if previous else ""})
    return site / "index.html"
