"""Static dashboards built from the serving database (read-only). The plotly bundle is shipped
once as a local file: the pages work from file:// with no network."""

from __future__ import annotations

import html
import json
from datetime import timezone
from pathlib import Path

import duckdb
from plotly.offline import get_plotlyjs

# KPI cards of the overview, in the column order of _period_values' query: (column, label, format)
CARDS = (
    ("gmv", "GMV", "money"),
    ("net_revenue", "Net revenue", "money"),
    ("paid_orders", "Paid orders", "int"),
    ("aov", "AOV", "money"),
    ("sessions", "Sessions", "int"),
    ("conversion_rate", "Conversion rate", "pct"),
    ("new_customers", "New customers", "int"),
    ("csat", "CSAT", "pct"),
)
PERIODS = (1, 7, 28)


def _fmt(value, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "pct":
        return f"{value:.1%}"
    if kind == "int":
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def _period_values(con, days: int) -> tuple[dict, dict]:
    """KPI values of the last `days` days and of the `days` before them."""
    sql = """
        WITH bounds AS (SELECT max(date) AS last_day FROM marts.kpi_daily),
        tagged AS (
            SELECT k.*, CASE WHEN k.date > b.last_day - ?::INTEGER THEN 'cur' ELSE 'prev' END AS period
            FROM marts.kpi_daily k, bounds b
            WHERE k.date > b.last_day - 2 * ?::INTEGER
        )
        SELECT period, sum(gmv), sum(net_revenue), sum(paid_orders), sum(gross_revenue) / nullif(sum(paid_orders), 0),
               sum(sessions), sum(conversion_rate * sessions) / nullif(sum(sessions), 0), sum(new_customers), avg(csat)
        FROM tagged GROUP BY period
    """
    rows = {r[0]: r[1:] for r in con.execute(sql, [days, days]).fetchall()}
    names = [c[0] for c in CARDS]
    as_dict = lambda r: dict(zip(names, (float(v) if v is not None else None for v in r))) if r else {}  # noqa: E731
    return as_dict(rows.get("cur")), as_dict(rows.get("prev"))


def _card(label: str, kind: str, values: list[tuple[int, float | None, float | None]]) -> str:
    cells = []
    for days, cur, prev in values:
        change = "" if cur is None or not prev else f"{(cur / prev - 1):+.1%}"
        cells.append(
            f'<div class="period"><span class="label">{"last day" if days == 1 else f"last {days} days"}</span>'
            f'<span class="value">{_fmt(cur, kind)}</span><span class="change">{change}</span></div>'
        )
    return f'<section class="card"><h2>{html.escape(label)}</h2>{"".join(cells)}</section>'


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Shop overview</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem; color: #222; }}
.cards {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(230px, 1fr)); gap: .8rem; }}
.card {{ border: 1px solid #ddd; border-radius: 8px; padding: .6rem .8rem; }}
.card h2 {{ font-size: 1rem; margin: 0 0 .4rem; }}
.period {{ display: flex; justify-content: space-between; gap: .5rem; font-size: .9rem; }}
.value {{ font-weight: 600; }} .change {{ color: #666; min-width: 4rem; text-align: right; }}
#gmv-trend {{ width: 100%; height: 360px; }}
</style>
<script src="assets/plotly.min.js"></script></head>
<body>
<h1>Shop overview</h1>
<p class="asof">Data as of {as_of} (published {published_at})</p>
<div class="cards">{cards}</div>
<h2>GMV and net revenue per day</h2>
<div id="gmv-trend"></div>
<script>
const trend = {trend};
Plotly.newPlot('gmv-trend', [
  {{x: trend.date, y: trend.gmv, name: 'GMV', type: 'scatter'}},
  {{x: trend.date, y: trend.net_revenue, name: 'Net revenue', type: 'scatter'}}
], {{margin: {{t: 10}}}}, {{responsive: true, displaylogo: false}});
</script>
</body></html>
"""


def build_site(serving_db: Path, out_dir: Path) -> Path:
    """Build the site into `out_dir` (written to a temporary name, then renamed into place)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    assets = out_dir / "assets"
    assets.mkdir(exist_ok=True)
    bundle = assets / "plotly.min.js"
    if not bundle.exists():
        bundle.write_text(get_plotlyjs(), encoding="utf-8")
    con = duckdb.connect(str(serving_db), read_only=True)
    try:
        as_of = con.execute("SELECT max(date) FROM marts.kpi_daily").fetchone()[0]
        published = con.execute("SELECT published_at FROM ops.publication").fetchone()[0]
        periods = {days: _period_values(con, days) for days in PERIODS}
        trend_rows = con.execute(
            "SELECT strftime(date, '%Y-%m-%d'), gmv::DOUBLE, net_revenue::DOUBLE FROM marts.kpi_daily ORDER BY date"
        ).fetchall()
    finally:
        con.close()
    cards = "".join(
        _card(label, kind, [(d, periods[d][0].get(col), periods[d][1].get(col)) for d in PERIODS])
        for col, label, kind in CARDS
    )
    trend = {"date": [r[0] for r in trend_rows], "gmv": [r[1] for r in trend_rows], "net_revenue": [r[2] for r in trend_rows]}
    page = PAGE.format(
        as_of=as_of,
        published_at=published.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC") if published else "never",
        cards=cards,
        trend=json.dumps(trend),
    )
    index = out_dir / "index.html"
    staged = out_dir / ".index.html.tmp"
    staged.write_text(page, encoding="utf-8")
    staged.replace(index)
    return index
