"""The HTML shell shared by every page: header with navigation and as-of time, the date-range
control, and the page's data embedded as JSON for assets/app.js to draw."""

from __future__ import annotations

import html
import json

from dashboards.pages import PAGES  # the pages, in navigation order: the one list of them

RANGES = (("7", "7 days"), ("28", "28 days"), ("90", "90 days"), ("all", "All"))

SHELL = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · Shop dashboards</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/style.css">
<script src="assets/plotly.min.js"></script>
</head><body>
<header><div class="top"><h1>{title}</h1>
<span class="asof">Data as of <b>{as_of}</b> · published {published} · version {version}</span></div>
<nav>{nav}</nav></header>
<div class="toolbar">{toolbar}</div>
<main id="widgets"></main>
<footer>Built from the serving database after the publish of run {run}. Aggregates only: no personal data.</footer>
<script id="page-data" type="application/json">{data}</script>
<script src="assets/app.js"></script>
</body></html>
"""


def _json_for_script(data: dict) -> str:
    # compact, and never closes the <script> element it sits in
    return json.dumps(data, separators=(",", ":"), allow_nan=False).replace("</", "<\\/")


def render_page(file: str, title: str, meta: dict, data: dict) -> str:
    nav = "".join(
        f'<a href="{p.FILE}"{" class=current" if file == p.FILE else ""}>{html.escape(p.TITLE)}</a>' for p in PAGES
    )
    buttons = "".join(f'<button type="button" data-range="{r}">{label}</button>' for r, label in RANGES)
    # a page the range does not cut keeps the buttons (they carry the range to the other pages)
    # hidden, and says so instead
    ranged = next((getattr(p, "RANGED", True) for p in PAGES if file == p.FILE), True)
    hidden = "" if ranged else " hidden"
    toolbar = (
        f'<span{hidden}>Range</span><div class="range" role="group" aria-label="date range"{hidden}>{buttons}</div>'
        f'<span class="dates"{hidden}><label>from <input type="date" id="range-from"></label> '
        f'<label>to <input type="date" id="range-to"></label></span>'
        f'<span id="range-label"{hidden}></span><span id="filters" class="filters"></span>'
    ) + ("" if ranged else "<span>All data: this page is not cut by the date range</span>")
    return SHELL.format(
        title=html.escape(title),
        as_of=html.escape(meta["as_of"]),
        published=html.escape(meta["published"]),
        version=html.escape(meta["version"][:12]),
        run=html.escape(meta["run_id"][:8]),
        nav=nav,
        toolbar=toolbar,
        data=_json_for_script(data),
    )
