"""The dashboards in a real headless Chromium (Playwright driving Debian's /usr/bin/chromium).

One shop and one browser for the module: the simulated shop of conftest, whose pipeline run built
the site. Every page is loaded from file:// and from `warehouse dashboards --open` (the real
command, in a subprocess on a free port); every chart must hold data, the console stay clean and
no request leave the machine. The KPI cards are compared with marts.kpi_daily by SQL written here.

Screenshots of every page are taken on each run: into WAREHOUSE_SCREENSHOTS when set (the README's
images: docs/screenshots), else into a temporary folder. WAREHOUSE_DASHBOARDS_HOME points the
module at another, already built warehouse home instead (how the README's screenshots come from a
realistic 90-day shop: docs/dashboards.md).
"""

from __future__ import annotations

import csv
import io
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import quote

import duckdb
import polars as pl
import pytest

from config import load_settings
from dashboards.pages import PAGES
from tests.support.browser import PHONE, Visit, chromium
from tests.support.warehouse import fetch_rows, read_table

PAGE_FILES = [page.FILE for page in PAGES]


@pytest.fixture(scope="module")
def shop(request, module_monkeypatch):
    home = os.environ.get("WAREHOUSE_DASHBOARDS_HOME")
    if home:
        module_monkeypatch.setenv("WAREHOUSE_HOME", home)
        module_monkeypatch.delenv("WAREHOUSE_LANDING", raising=False)
        return load_settings()
    return request.getfixturevalue("simulated_shop")


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def server(shop):
    """`warehouse dashboards --open --port 0` as a user runs it (it rebuilds, then serves)."""
    env = {**os.environ, "WAREHOUSE_HOME": str(shop.home), "WAREHOUSE_LANDING": str(shop.landing)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "dashboards", "--open", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        url = None
        for line in proc.stdout:
            match = re.search(r"(http://127\.0\.0\.1:\d+)/index\.html", line)
            if match:
                url = match.group(1)
                break
        assert url, f"the server did not start (exit {proc.poll()})"
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


# every plotly graph of the page: [id, number of traces, points that are not null]
CHARTS_JS = """() => [...document.querySelectorAll('.js-plotly-plot')].map(g => [g.id, g.data.length,
  g.data.reduce((n, t) => n + [].concat(...(t.z || t.y || [])).filter(v => v !== null && v !== undefined).length, 0)])"""


def _assert_page_is_sound(visit: Visit, allowed: tuple[str, ...]):
    charts = visit.page.evaluate(CHARTS_JS)
    assert charts, "no chart on the page"
    empty = [c for c in charts if c[1] == 0 or c[2] == 0]
    assert empty == [], f"charts without data: {empty}"
    assert visit.errors == []
    outside = [u for u in visit.requests if not u.startswith(allowed)]
    assert outside == [], f"requests leaving the machine: {outside}"
    # the data's as-of time is on every page
    assert re.search(r"Data as of \d{4}-\d{2}-\d{2}", visit.page.inner_text("header"))


def _screenshots(tmp_path) -> Path:
    out = Path(os.environ.get("WAREHOUSE_SCREENSHOTS") or tmp_path)
    out.mkdir(parents=True, exist_ok=True)
    return out


def test_every_page_loads_from_file_and_from_the_server_with_data_and_no_outside_request(
    browser, shop, server, tmp_path
):
    site, shots = shop.dashboards_dir, _screenshots(tmp_path)
    for source, base, allowed in (
        ("file", site.resolve().as_uri(), ("file://", "data:")),
        ("server", server, (server + "/", "data:")),
    ):
        for name in PAGE_FILES:
            visit = Visit(browser)
            try:
                visit.open(f"{base}/{name}")
                _assert_page_is_sound(visit, allowed)
                assert any(u.endswith("/assets/plotly.min.js") for u in visit.requests), (source, name)
                if source == "file":  # the README's pictures, on a laptop screen
                    visit.page.screenshot(path=str(shots / f"{Path(name).stem}.png"), full_page=True)
            finally:
                visit.close()


def _expected_cards(serving_db: Path, first_day: str) -> dict[str, float | None]:
    """The cards' values over days >= first_day, from marts.kpi_daily (CSAT over several days
    weighs each day by its rated tickets, counted from intermediate.int_tickets)."""
    row = read_table(
        serving_db,
        f"""
        SELECT sum(gmv)::DOUBLE AS gmv, sum(net_revenue)::DOUBLE AS net_revenue, sum(paid_orders)::DOUBLE AS paid_orders,
               sum(gross_revenue)::DOUBLE / nullif(sum(paid_orders), 0) AS aov, sum(sessions)::DOUBLE AS sessions,
               sum(conversion_rate * sessions) / nullif(sum(sessions), 0) AS conversion_rate,
               sum(new_customers)::DOUBLE AS new_customers,
               (SELECT avg(CASE WHEN csat_score >= 4 THEN 1.0 ELSE 0.0 END) FROM intermediate.int_tickets
                WHERE is_rated AND ticket_date >= DATE '{first_day}') AS csat,
               count(*) AS days, any_value(csat) FILTER (WHERE date = (SELECT max(date) FROM marts.kpi_daily)) AS last_csat
        FROM marts.kpi_daily WHERE date >= DATE '{first_day}'""",
    ).to_dicts()[0]
    if row.pop("days") == 1:
        row["csat"] = row["last_csat"]  # one day: exactly the mart's column
    row.pop("last_csat")
    return row


def _shown_cards(page) -> dict[str, dict[str, float | None]]:
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.card')].map(c =>
        [c.dataset.kpi, Object.fromEntries([...c.querySelectorAll('.period')].map(p =>
            [p.dataset.period, p.dataset.value === '' ? null : Number(p.dataset.value)]))]))""")


def _close(shown, expected) -> bool:
    if expected is None or shown is None:
        return shown is None and expected is None
    return abs(shown - expected) <= 1e-6 * max(1.0, abs(expected))


def test_kpi_cards_equal_kpi_daily_and_the_range_control_changes_them(browser, shop):
    dates = [
        r[0].isoformat() for r in fetch_rows(shop.serving_db, "SELECT date FROM marts.kpi_daily ORDER BY date DESC")
    ]
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "index.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        shown_all = _shown_cards(page)
        assert set(shown_all) == {
            "gmv",
            "net_revenue",
            "paid_orders",
            "aov",
            "sessions",
            "conversion_rate",
            "new_customers",
            "csat",
        }
        for period, first in (
            ("1", dates[0]),
            ("7", dates[min(6, len(dates) - 1)]),
            ("28", dates[min(27, len(dates) - 1)]),
            ("range", dates[-1]),
        ):
            expected = _expected_cards(shop.serving_db, first)
            wrong = {k: (shown_all[k][period], v) for k, v in expected.items() if not _close(shown_all[k][period], v)}
            assert wrong == {}, f"period {period}: (shown, kpi_daily) {wrong}"
        gmv_text_all = page.inner_text(".card[data-kpi='gmv'] .period.main .value")
        assert gmv_text_all == f"CN¥{round(_expected_cards(shop.serving_db, dates[-1])['gmv']):,}"

        page.click(".range button[data-range='7']")
        shown_7 = _shown_cards(page)
        assert _close(shown_7["gmv"]["range"], shown_all["gmv"]["7"])
        assert page.inner_text(".card[data-kpi='gmv'] .period.main .value") != gmv_text_all
        assert page.get_attribute(".range button[data-range='7']", "aria-pressed") == "true"
        # the charts follow: the sparkline covers the 7 days
        assert page.evaluate("() => document.getElementById('spark-gmv').data[0].x.length") == min(7, len(dates))
        # the range travels with the links to the other pages
        assert page.get_attribute("nav a[href^='sales.html']", "href") == "sales.html#r=7"
        page.click("nav a[href^='sales.html']")
        page.wait_for_function("() => document.querySelector('.js-plotly-plot') !== null")
        assert page.get_attribute(".range button[data-range='7']", "aria-pressed") == "true"
        assert visit.errors == []
    finally:
        visit.close()


def _day(d: date, weekday: bool = False) -> str:
    return (f"{d:%a} " if weekday else "") + f"{d.day} {d:%b}"


def test_cards_say_what_they_compare_in_which_currency_and_which_days_are_provisional(browser, shop):
    final = dict(fetch_rows(shop.serving_db, "SELECT date, is_final FROM marts.kpi_daily ORDER BY date"))
    days = list(final)
    n = len(days)
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "index.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        cards = page.evaluate("""() => [...document.querySelectorAll('.card')].map(c => ({
            kpi: c.dataset.kpi, title: c.querySelector('h3').firstChild.textContent.trim(),
            definition: c.querySelector('h3').title,
            periods: Object.fromEntries([...c.querySelectorAll('.period')].map(p => [p.dataset.period, {
                value: p.querySelector('.value').innerText, vs: p.querySelector('.vs').innerText,
                provisional: p.classList.contains('provisional'),
                why: p.querySelector('.prov') ? p.querySelector('.prov').title : null}]))}))""")
        assert visit.errors == []
    finally:
        visit.close()
    week_before = days[-1] - timedelta(days=7)
    expected_vs = {
        "1": f"vs {_day(week_before, True)}"
        if week_before in final
        else f"no data on {_day(week_before, True)} to compare",
        "7": f"vs {_day(days[n - 14])} – {_day(days[n - 8])}" if n >= 14 else "no earlier days to compare",
        "range": "no earlier days to compare",  # "all": nothing before the first day
    }
    money = {"gmv", "net_revenue", "aov"}
    for card in cards:
        for period, vs in expected_vs.items():
            assert card["periods"][period]["vs"] == vs, (card["kpi"], period)
        assert all(p["vs"] for p in card["periods"].values()), card["kpi"]  # every period says its comparison
        if card["kpi"] in money:
            assert card["title"].endswith("(CNY)") and all(
                p["value"].startswith("CN¥") or p["value"] == "–" for p in card["periods"].values()
            ), card
        else:
            assert "CN¥" not in card["title"] + "".join(p["value"] for p in card["periods"].values()), card
    # each KPI's definition on hover: its dbt docs, as the serving database's column comment
    comments = dict(
        fetch_rows(shop.serving_db, "SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'kpi_daily'")
    )
    for card in cards:
        assert comments[card["kpi"]] and card["definition"].endswith(": " + comments[card["kpi"]]), card["kpi"]
    spans = {"1": days[-1:], "7": days[-7:], "28": days[-28:], "range": days}
    by_kpi = {c["kpi"]: c["periods"] for c in cards}
    for period, covered in spans.items():
        open_days = sum(1 for d in covered if not final[d])
        shown = by_kpi["net_revenue"][period]
        assert shown["provisional"] == (open_days > 0), period
        if open_days:
            assert shown["why"].startswith(f"{open_days} of these {len(covered)} day(s) are within the refund window")
        assert not by_kpi["gmv"][period]["provisional"]  # refunds do not change GMV
    assert any(not f for f in final.values()), "the shop's last days must still await refunds"
    # the products' return rate awaits the same refunds (days with product sales)
    sold = {d for (d,) in fetch_rows(shop.serving_db, "SELECT DISTINCT date FROM marts.product_daily")}
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "sales.html").resolve().as_uri() + "#r=all")
        rate = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.card[data-kpi=return_rate] .period')]
            .map(p => [p.dataset.period, p.querySelector('.prov') ? p.querySelector('.prov').title : null]))""")
    finally:
        visit.close()
    for period, covered in spans.items():
        open_days = sum(1 for d in covered if not final[d] and d in sold)
        assert (rate[period] or "").startswith(f"{open_days} of these {len(covered)} day(s)" if open_days else ""), (
            period
        )
        assert (rate[period] is None) == (open_days == 0), period


def test_no_personal_data_in_the_pages(shop):
    con = duckdb.connect(str(shop.working_db), read_only=True)
    try:
        personal = {
            v
            for (v,) in con.execute("""
            SELECT unnest([customer_id, email, phone, full_name]) FROM raw.shop_customers
            UNION SELECT customer_key FROM marts.customer_rfm
            UNION SELECT entity FROM marts.risk_alerts WHERE entity_type IN ('device', 'ip_address', 'customer')
        """).fetchall()
            if v and len(v) >= 6
        }
    finally:
        con.close()
    assert personal
    for name in PAGE_FILES:
        text = (shop.dashboards_dir / name).read_text(encoding="utf-8")
        found = [v for v in personal if v in text]
        assert found == [], f"{name} shows personal data: {found[:3]}"


def test_pages_are_light_and_share_one_plotly_bundle(shop):
    site = shop.dashboards_dir
    assert (site / "assets" / "plotly.min.js").stat().st_size > 1_000_000
    for name in PAGE_FILES:
        size = (site / name).stat().st_size
        assert size < 1_000_000, f"{name} weighs {size:,} bytes"
        text = (site / name).read_text(encoding="utf-8")
        assert '<script src="assets/plotly.min.js"></script>' in text and "plotly.js v" not in text
        assert "https://" not in text and "http://" not in text


def test_readable_on_a_phone(browser, shop, tmp_path):
    visit = Visit(browser, PHONE)
    try:
        for name in PAGE_FILES:
            page = visit.open((shop.dashboards_dir / name).resolve().as_uri())
            # one column, nothing wider than the screen (wide tables scroll inside their own box)
            assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"], name
            boxes = page.evaluate(
                "() => [...document.querySelectorAll('.widget')].map(w => w.getBoundingClientRect().width)"
            )
            assert boxes and max(boxes) <= PHONE["width"], name
            if name == "index.html":
                page.screenshot(path=str(_screenshots(tmp_path) / "index-phone.png"), full_page=False)
        assert visit.errors == []
    finally:
        visit.close()


def test_alerts_are_plain_sentences_on_cards_that_fit_a_phone(browser, shop):
    from alerting import ALERT_TITLES

    expected = read_table(
        shop.serving_db,
        "SELECT alert_type, severity, explanation FROM marts.risk_alerts "
        "ORDER BY alert_date DESC, CASE severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END, alert_type "
        "LIMIT 15",
    ).to_dicts()
    visit = Visit(browser, PHONE)
    try:
        page = visit.open((shop.dashboards_dir / "index.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        shown = page.evaluate("""() => [...document.querySelectorAll('.alert')].map(a => ({
            type: a.dataset.type, header: a.querySelector('.ahead').innerText,
            text: a.querySelector('p').innerText, width: a.getBoundingClientRect().right}))""")
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        assert visit.errors == []
    finally:
        visit.close()
    assert [(a["type"], a["text"]) for a in shown] == [(e["alert_type"], e["explanation"]) for e in expected]
    for alert, row in zip(shown, expected, strict=True):
        assert ALERT_TITLES[row["alert_type"]] in alert["header"] and row["alert_type"] not in alert["header"]
        assert row["severity"].upper() in alert["header"].upper() and alert["width"] <= PHONE["width"]


def test_products_show_their_titles(browser, shop):
    # every product, its latest title
    titles = dict(fetch_rows(shop.serving_db, "SELECT product_id, title FROM marts.product_health"))
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "sales.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        tables = page.evaluate("""() => [...document.querySelectorAll('.widget.table')].map(w => ({
            title: w.querySelector('h2').innerText,
            head: [...w.querySelectorAll('th')].map(th => th.innerText),
            rows: [...w.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText))}))""")
    finally:
        visit.close()
    with_products = [t for t in tables if t["head"][:2] == ["product", "id"]]
    assert len(with_products) == 3 and with_products[0]["rows"], [t["title"] for t in tables]
    for table in with_products:
        for row in table["rows"]:
            if len(row) > 1:  # not the "nothing in this range" row
                assert row[0] == (titles.get(row[1]) or row[1]), (table["title"], row)


def test_the_range_control_shows_only_where_it_changes_something(browser, shop):
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "experiments.html").resolve().as_uri() + "#r=7")
        assert not page.is_visible(".range") and "not cut by the date range" in page.inner_text(".toolbar")
        # the hidden control still carries the range to the other pages
        assert page.get_attribute("nav a[href^='sales.html']", "href") == "sales.html#r=7"
        page = visit.open((shop.dashboards_dir / "sales.html").resolve().as_uri())
        assert page.is_visible(".range")
    finally:
        visit.close()


def test_bars_that_span_orders_of_magnitude_use_a_log_axis(browser, shop):
    roas = [
        r[0]
        for r in fetch_rows(
            shop.serving_db,
            "SELECT sum(attributed_revenue) / nullif(sum(spend), 0) FROM marts.channel_daily GROUP BY channel "
            "HAVING sum(attributed_revenue) / nullif(sum(spend), 0) > 0",
        )
    ]
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "traffic.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        axis = page.evaluate("() => document.getElementById('chart-roas-channel')._fullLayout.yaxis.type")
    finally:
        visit.close()
    spans = len(roas) > 1 and max(roas) / min(roas) > 20
    assert axis == ("log" if spans else "linear"), (axis, roas)


def _csv_value_is(value: str, want) -> bool:
    if want is None:
        return value == ""
    if isinstance(want, bool):
        return value == str(want).lower()
    if isinstance(want, int | float):
        return float(value) == want
    return value == str(want)


def _download_csv(page, link) -> list[dict]:
    with page.expect_download() as info:
        link.click()
    text = Path(info.value.path()).read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_every_table_downloads_as_csv_with_its_rows(browser, shop):
    """Each table's (and the alerts') CSV holds every row of the range, unformatted; the best
    sellers' CSV equals an independent SQL over marts.product_daily."""
    visit = Visit(browser)
    checked = 0
    try:
        for name in PAGE_FILES:
            page = visit.open((shop.dashboards_dir / name).resolve().as_uri())
            if page.is_visible(".range"):
                page.click(".range button[data-range='all']")
            widgets = page.evaluate("""() => { const D = JSON.parse(document.getElementById('page-data').textContent);
                // with no filter: the whole shop's rows of a table computed per filter value, the
                // first N of a top-N list
                return D.widgets.map((w, i) => { let rows = w.rows || (w.by_range ? D.by_range['all'][w.by_range] : null);
                    if (rows) { for (const dim of w.sliced || []) rows = rows.filter(r => r['by_' + dim] === null);
                                if (w.top) rows = rows.slice(0, w.top); }
                    return {i, type: w.type, title: w.title, rows}; }); }""")
            for w in widgets:
                if w["type"] not in ("table", "alerts"):
                    continue
                link = page.locator(f"#w{w['i']} a.csv")
                assert link.count() == 1, (name, w["title"])
                got = _download_csv(page, link)
                assert len(got) == len(w["rows"]), (name, w["title"])
                for row, embedded in zip(got, w["rows"], strict=True):
                    for key, value in row.items():
                        assert _csv_value_is(value, embedded[key]), (name, w["title"], key, value, embedded[key])
                checked += 1
                if (name, w["title"]) == ("sales.html", "Best sellers (by revenue)"):
                    expected = read_table(
                        shop.serving_db,
                        "SELECT product_id, sum(units_sold) AS units, sum(revenue) AS revenue FROM marts.product_daily "
                        "GROUP BY product_id HAVING sum(units_sold) > 0 ORDER BY revenue DESC, product_id LIMIT 10",
                    ).to_dicts()
                    assert [r["product_id"] for r in got] == [e["product_id"] for e in expected]
                    for r, e in zip(got, expected, strict=True):
                        assert int(r["units"]) == e["units"] and abs(float(r["revenue"]) - float(e["revenue"])) < 1e-3
        assert visit.errors == []
    finally:
        visit.close()
    assert checked >= 15


def test_the_profit_page_agrees_with_kpi_daily(browser, shop):
    """The page sums product_daily; per day it must give kpi_daily's gross margin and margin rate."""
    kpi = {
        d.isoformat(): (gm, rate)
        for d, gm, rate in fetch_rows(
            shop.serving_db, "SELECT date, gross_margin::DOUBLE, margin_rate FROM marts.kpi_daily ORDER BY date"
        )
    }
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "profit.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        series = page.evaluate("""() => ['margin-day', 'margin-rate-day'].map(id => {
            const t = document.getElementById('chart-' + id).data[0]; return [t.x, t.y]; })""")
        assert visit.errors == []
    finally:
        visit.close()
    (days, margins), (rate_days, rates) = series
    assert days == list(kpi) and rate_days == list(kpi)
    assert any(m is not None for m in margins), "the shop sends product costs"
    for day, margin, rate in zip(days, margins, rates, strict=True):
        want_margin, want_rate = kpi[day]
        assert _close(margin, want_margin) and _close(rate, want_rate), (day, margin, want_margin, rate, want_rate)


def test_cards_show_the_months_target_and_pace(browser, shop):
    targets = {
        metric: (target, pace)
        for metric, target, pace in fetch_rows(
            shop.serving_db,
            "SELECT metric, target, pace FROM marts.target_tracking WHERE channel = 'all' "
            "AND month = date_trunc('month', (SELECT max(date) FROM marts.kpi_daily))",
        )
    }
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "index.html").resolve().as_uri())
        shown = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.card')].map(c => {
            const t = c.querySelector('.target');
            return [c.dataset.kpi, t ? {target: Number(t.dataset.target), pace: t.dataset.pace === undefined ? null
                : Number(t.dataset.pace), text: t.innerText} : null]; }))""")
    finally:
        visit.close()
    with_target = {k: v for k, v in shown.items() if v}
    assert set(with_target) == set(targets) & set(shown), (with_target, targets)
    assert with_target, "the simulated shop sets monthly targets"
    for kpi, line in with_target.items():
        target, pace = targets[kpi]
        # the pages carry 4 decimals (dashboards/queries.py)
        assert _close(line["target"], target) and (pace is None or abs(line["pace"] - pace) < 1e-3), kpi
        assert "target" in line["text"] and (pace is None or f"pace {round(pace * 100)} %" in line["text"]), line


def test_service_operations_agree_with_the_marts(browser, shop):
    """Bot containment and pre-sale conversion per day equal service_daily's counts summed by
    SQL; the agents' CSAT over all days equals agent_daily's."""
    con = duckdb.connect(str(shop.serving_db), read_only=True)
    try:
        daily = {
            d.isoformat(): (bot, presale)
            for d, bot, presale in con.execute(
                "SELECT date, sum(bot_contained_tickets) / nullif(sum(solved_tickets), 0), "
                "sum(presale_converted_tickets) / nullif(sum(presale_tickets), 0) FROM marts.service_daily "
                "GROUP BY date ORDER BY date"
            ).fetchall()
        }
        agents = dict(
            con.execute(
                "SELECT agent_id, sum(satisfied_tickets) / nullif(sum(rated_tickets), 0) FROM marts.agent_daily "
                "GROUP BY agent_id"
            ).fetchall()
        )
    finally:
        con.close()
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "service.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        series = page.evaluate("""() => document.getElementById('chart-service-operations').data.map(t =>
            Object.fromEntries(t.x.map((x, i) => [x, t.y[i]])))""")
        csv_link = page.locator(".widget.table", has_text="Agents").locator("a.csv")
        rows = _download_csv(page, csv_link)
    finally:
        visit.close()
    bot, presale = series
    assert any(v is not None for v in bot.values()), "the simulated shop has bot-contained tickets"
    for day, (want_bot, want_presale) in daily.items():
        assert _close(bot.get(day), want_bot) and _close(presale.get(day), want_presale), day
    assert rows and len(rows) == min(20, len(agents))
    for row in rows:
        want = agents[row["agent_id"]]
        assert (row["csat"] == "" and want is None) or abs(float(row["csat"]) - want) < 1e-4, row


def test_a_many_line_chart_keeps_the_top_channels_and_groups_the_others(browser, shop):
    """Conversion by channel: the 5 channels with the most sessions over the range, one line each;
    the rest as one line whose daily value is Σ purchasing sessions / Σ sessions of those channels."""
    rows = read_table(
        shop.serving_db,
        "SELECT strftime(date, '%Y-%m-%d') AS date, channel, sessions, round(conversion_rate * sessions) AS bought "
        "FROM marts.channel_daily",
    )
    totals = (
        rows.group_by("channel").agg(pl.col("sessions").sum()).sort(["sessions", "channel"], descending=[True, False])
    )
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "traffic.html").resolve().as_uri())
        page.click(".range button[data-range='all']")
        traces = page.evaluate("""() => document.getElementById('chart-conversion-channel').data.map(t =>
            [t.name, Object.fromEntries(t.x.map((x, i) => [x, t.y[i]]))])""")
    finally:
        visit.close()
    channels = totals["channel"].to_list()
    if len(channels) <= 6:
        assert [name for name, _ in traces] == sorted(channels)
        return
    top, rest = channels[:5], channels[5:]
    assert [name for name, _ in traces] == [*top, f"others ({len(rest)})"]
    others = (
        rows.filter(pl.col("channel").is_in(rest))
        .group_by("date")
        .agg((pl.col("bought").sum() / pl.col("sessions").sum()).alias("rate"))
    )
    shown = traces[-1][1]
    for day, rate in others.iter_rows():
        assert _close(shown[day], rate), day


def test_the_forecast_line_continues_from_the_last_actual_day(browser, shop):
    con = duckdb.connect(str(shop.serving_db), read_only=True)
    try:
        forecast = con.execute(
            "SELECT strftime(date, '%Y-%m-%d'), forecast::DOUBLE FROM marts.gmv_forecast WHERE forecast IS NOT NULL ORDER BY date"
        ).fetchall()
        last_day, last_gmv = con.execute(
            "SELECT strftime(date, '%Y-%m-%d'), gmv::DOUBLE FROM marts.kpi_daily ORDER BY date DESC LIMIT 1"
        ).fetchone()
    finally:
        con.close()
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "sales.html").resolve().as_uri())
        traces = page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')]
            .flatMap(p => p.data).filter(t => t.name === 'GMV forecast').map(t => [t.name, [t.x, t.y]]))""")
    finally:
        visit.close()
    if not forecast:  # a shop with less than 8 weeks: no forecast (the mart says why)
        assert traces == {}
        return
    x, y = traces["GMV forecast"]
    assert x[0] == last_day and _close(y[0], last_gmv)
    assert list(zip(x[1:], y[1:])) == [(d, pytest.approx(v, rel=1e-6)) for d, v in forecast]


def test_a_custom_date_range_sums_exactly_its_days(browser, shop):
    days = [r[0].isoformat() for r in fetch_rows(shop.serving_db, "SELECT date FROM marts.kpi_daily ORDER BY date")]
    first, last = days[max(0, len(days) - 15)], days[max(0, len(days) - 6)]
    expected = read_table(
        shop.serving_db,
        f"SELECT sum(gmv)::DOUBLE AS gmv, sum(paid_orders)::DOUBLE AS paid_orders FROM marts.kpi_daily "
        f"WHERE date BETWEEN DATE '{first}' AND DATE '{last}'",
    ).to_dicts()[0]
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "index.html").resolve().as_uri())
        page.fill("#range-from", first)
        page.fill("#range-to", last)
        page.dispatch_event("#range-to", "change")
        page.wait_for_function(f"() => location.hash === '#r=c:{first}:{last}'")
        shown = _shown_cards(page)
        assert _close(shown["gmv"]["range"], expected["gmv"]) and _close(
            shown["paid_orders"]["range"], expected["paid_orders"]
        )
        assert page.inner_text("#range-label") == f"{first} – {last}"
        assert page.get_attribute("nav a[href^='sales.html']", "href") == f"sales.html#r=c:{first}:{last}"
        # a table computed per preset range says so instead of showing other days
        page = visit.open((shop.dashboards_dir / "sales.html").resolve().as_uri() + f"#r=c:{first}:{last}")
        notes = page.locator(".widget.table .preset-only")
        assert notes.count() >= 1 and "choose one of them" in notes.first.inner_text()
        assert visit.errors == []
    finally:
        visit.close()


def _choose(page, dim: str, value: str) -> None:
    page.select_option(f"#filters select[data-dim='{dim}']", value)
    page.wait_for_function(f"() => new URLSearchParams(location.hash.slice(1)).get({dim!r}) === {value!r}")


def _table_rows(page, title: str) -> list[list[str]]:
    return page.evaluate(
        """t => [...document.querySelectorAll('.widget.table')].filter(w => w.querySelector('h2').innerText.startsWith(t))
            .flatMap(w => [...w.querySelectorAll('tbody tr')].map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText)))""",
        title,
    )


def _trace(page, chart: str) -> list[dict]:
    return page.evaluate(
        f"() => document.getElementById('chart-{chart}').data.map(t => ({{name: t.name, x: t.x, y: t.y}}))"
    )


def test_page_filters_cut_the_numbers_to_an_independent_sql(browser, shop):
    """Each filter (channel and platform on Traffic, category on Sales and Profit) changes the
    numbers, and they equal SQL over the marts written here; widgets it cannot cut say so; the
    filter travels in the URL and the navigation links."""
    db = shop.serving_db
    channel = fetch_rows(
        db, "SELECT channel FROM marts.channel_daily GROUP BY 1 ORDER BY sum(sessions) DESC, 1 LIMIT 1"
    )[0][0]
    platform = fetch_rows(db, "SELECT platform FROM marts.funnel_daily GROUP BY 1 ORDER BY sum(sessions), 1 LIMIT 1")[
        0
    ][0]
    category = fetch_rows(
        db,
        "SELECT category FROM marts.product_daily WHERE category IS NOT NULL GROUP BY 1 ORDER BY sum(revenue), 1 LIMIT 1",
    )[0][0]
    by_channel = read_table(
        db,
        "SELECT sum(sessions)::DOUBLE AS sessions, sum(conversion_rate * sessions) / sum(sessions) AS conversion_rate, "
        "sum(spend)::DOUBLE AS spend, sum(attributed_revenue)::DOUBLE AS attributed_revenue, "
        "sum(attributed_revenue) / nullif(sum(spend), 0) AS roas, sum(new_customers)::DOUBLE AS new_customers "
        f"FROM marts.channel_daily WHERE channel = '{channel}'",
    ).to_dicts()[0]
    funnel = {
        segment: rates
        for segment, *rates in fetch_rows(
            db,
            "SELECT platform || ' · ' || device_type, sum(reached_product) / sum(sessions), sum(reached_cart) / sum(reached_product), "
            "sum(reached_checkout) / sum(reached_cart), sum(purchased) / sum(reached_checkout) "
            f"FROM marts.funnel_daily WHERE platform = '{platform}' GROUP BY ALL ORDER BY 1",
        )
    }
    products = read_table(
        db,
        "SELECT sum(revenue)::DOUBLE AS revenue, sum(units_sold)::DOUBLE AS units_sold, sum(gross_margin)::DOUBLE AS gross_margin, "
        "sum(refunded_units) / sum(units_sold) AS return_rate "
        f"FROM marts.product_daily WHERE category = '{category}'",
    ).to_dicts()[0]
    best = [
        r[0]
        for r in fetch_rows(
            db,
            "SELECT product_id FROM marts.product_daily WHERE category = ? GROUP BY product_id HAVING sum(units_sold) > 0 "
            "ORDER BY sum(revenue) DESC, product_id LIMIT 10",
            [category],
        )
    ]
    reasons = fetch_rows(
        db,
        "SELECT reason, sum(refunds) FROM marts.returns_daily WHERE category = ? GROUP BY 1 ORDER BY 2 DESC, 1",
        [category],
    )
    margin = dict(
        fetch_rows(
            db,
            "SELECT strftime(date, '%Y-%m-%d'), sum(gross_margin)::DOUBLE FROM marts.product_daily WHERE category = ? "
            "GROUP BY 1 ORDER BY 1",
            [category],
        )
    )
    campaigns = fetch_rows(
        db,
        "SELECT campaign FROM marts.campaign_daily WHERE channel = ? GROUP BY 1 "
        "HAVING sum(spend) > 0 OR sum(attributed_orders) > 0 ORDER BY sum(spend) DESC, sum(attributed_revenue) DESC, 1 LIMIT 15",
        [channel],
    )
    visit = Visit(browser)
    try:
        page = visit.open((shop.dashboards_dir / "traffic.html").resolve().as_uri() + "#r=all")
        whole = _shown_cards(page)
        _choose(page, "channel", channel)
        shown = _shown_cards(page)
        for key, want in by_channel.items():
            assert _close(shown[key]["range"], want), (key, shown[key]["range"], want)
        assert shown["sessions"]["range"] < whole["sessions"]["range"], "the filter changes the numbers"
        assert [t["name"] for t in _trace(page, "sessions-channel")] == [channel]
        assert "not split by channel" in page.inner_text("#w" + str(_widget_index(page, "chart-funnel")))
        _choose(page, "platform", platform)
        bars = _trace(page, "funnel")
        assert bars[0]["x"] == list(funnel)
        for step, trace in enumerate(bars):
            for segment, value in zip(trace["x"], trace["y"], strict=True):
                assert _close(value, float(funnel[segment][step])), (segment, step, value)
        # the state is in the URL and goes with the links; a page opened with it shows it
        href = page.get_attribute("nav a[href^='sales.html']", "href")
        assert href.startswith("sales.html#r=all&") and f"channel={channel}" in href and f"platform={platform}" in href

        page = visit.open(
            (shop.dashboards_dir / "sales.html").resolve().as_uri() + "#r=all&category=" + quote(category)
        )
        assert page.input_value("#filters select[data-dim='category']") == category
        shown = _shown_cards(page)
        for key, want in products.items():
            assert _close(shown[key]["range"], want), (key, shown[key]["range"], want)
        assert [r[1] for r in _table_rows(page, "Best sellers")] == best
        shown_reasons = [(r[0], int(r[1].replace(",", ""))) for r in _table_rows(page, "Refund reasons") if len(r) > 1]
        assert shown_reasons == [(reason, int(n)) for reason, n in reasons]
        assert all(r[2] == category for r in _table_rows(page, "Slow movers") if len(r) > 1)

        page = visit.open((shop.dashboards_dir / "profit.html").resolve().as_uri() + "#r=all")
        _choose(page, "category", category)
        [line] = _trace(page, "margin-day")
        for day, value in zip(line["x"], line["y"], strict=True):
            assert _close(value, margin.get(day)), (day, value, margin.get(day))
        assert [r[0] for r in _table_rows(page, "Margin by category")] == [category]
        _choose(page, "channel", channel)
        rows = _table_rows(page, "Campaigns")
        assert [r[1] for r in rows if len(r) > 1] == [c for (c,) in campaigns] and all(
            r[0] == channel for r in rows if len(r) > 1
        )
        assert visit.errors == []
    finally:
        visit.close()


def _widget_index(page, element_id: str) -> int:
    return page.evaluate(f"() => Number(document.getElementById('{element_id}').closest('.widget').id.slice(1))")
