"""Alerts reach people (architecture.md, "Alert delivery"): the real pipeline on the analytics
fixture shop with the webhook at a local HTTP server and the mail at a local SMTP server.

Three runs of one warehouse: the first sends its new alerts at or above `medium` (one POST, one
mail); the same range again has nothing new (nothing sent); then, with `low` as the minimum and the
webhook at a port where nobody listens, the run stays green, the mail carries the low alerts, and
`warehouse status` shows the failed delivery."""

from __future__ import annotations

from datetime import date

import pytest

from cli.status import collect_status, render_status
from tests.support.paths import FIXTURES
from tests.support.receivers import closed_port, smtp_receiver, webhook_receiver
from tests.support.warehouse import new_settings, read_table, run_ok

SHOP = FIXTURES / "analytics_shop"
FIRST, LAST = date(2026, 1, 5), date(2026, 3, 8)
MAIL = {"WAREHOUSE_ALERT_EMAIL_TO": "ops@shop.cn, ceo@shop.cn", "WAREHOUSE_ALERT_EMAIL_FROM": "warehouse@shop.cn"}


def _served_alerts(settings, severities: tuple[str, ...]) -> list[dict]:
    """The mart's alerts of these severities, by plain SQL over the serving database."""
    listed = ", ".join(f"'{s}'" for s in severities)
    rows = read_table(
        settings.serving_db,
        f"SELECT alert_id, strftime(alert_date, '%Y-%m-%d') AS alert_date, alert_type, severity, entity, "
        f"metric_value, threshold, explanation FROM marts.risk_alerts WHERE severity IN ({listed})",
    )
    return sorted(rows.to_dicts(), key=lambda a: a["alert_id"])


def _run_checks_not_passed(settings, run_id: str) -> list[dict]:
    rows = read_table(
        settings.serving_db,
        f"SELECT check_name, asset, coalesce(detail, '') AS detail FROM marts.data_health "
        f"WHERE run_id = '{run_id}' AND NOT passed",
    )
    return sorted(rows.to_dicts(), key=lambda c: c["check_name"])


@pytest.fixture(scope="module")
def delivered(tmp_path_factory, module_monkeypatch):
    home = tmp_path_factory.mktemp("alerts_home")
    with webhook_receiver() as (url, posts), smtp_receiver() as (smtp_url, mails):
        # the two addresses are secrets: read from the environment where alerts are sent
        module_monkeypatch.setenv("WAREHOUSE_ALERT_WEBHOOK", url)
        module_monkeypatch.setenv("WAREHOUSE_SMTP_URL", smtp_url)
        settings = new_settings(home, SHOP, WAREHOUSE_NAME="analytics shop", **MAIL)
        first = run_ok(settings, FIRST, LAST)
        after_first = (list(posts), list(mails), _run_checks_not_passed(settings, first.run_id))
        again = run_ok(settings, FIRST, LAST)
        after_again = (list(posts), list(mails), _run_checks_not_passed(settings, again.run_id))
        module_monkeypatch.setenv("WAREHOUSE_ALERT_WEBHOOK", f"http://127.0.0.1:{closed_port()}/hook?token=s3cret")
        low = new_settings(home, SHOP, WAREHOUSE_NAME="analytics shop", WAREHOUSE_ALERT_MIN_SEVERITY="low", **MAIL)
        third = run_ok(low, FIRST, LAST)
        status = collect_status(low)
    return {
        "settings": settings,
        "runs": (first, again, third),
        "after_first": after_first,
        "after_again": after_again,
        "final": (list(posts), list(mails)),
        "status": status,
    }


def test_the_first_publish_posts_its_new_alerts_and_failed_checks_once(delivered):
    posts, _, checks = delivered["after_first"]
    first = delivered["runs"][0]
    assert len(posts) == 1 and posts[0]["content_type"] == "application/json"
    body = posts[0]["body"]
    assert set(body) == {"warehouse", "run_id", "published_at", "data_through", "alerts", "failed_checks"}
    assert (body["warehouse"], body["run_id"], body["data_through"]) == ("analytics shop", first.run_id, "2026-03-08")
    expected = _served_alerts(delivered["settings"], ("medium", "high"))
    assert expected, "the fixture shop plants a medium alert (payment failures on day 31)"
    assert sorted(body["alerts"], key=lambda a: a["alert_id"]) == expected
    assert sorted(body["failed_checks"], key=lambda c: c["check_name"]) == checks


def test_the_mail_says_the_same_in_plain_text(delivered):
    _, mails, _ = delivered["after_first"]
    assert len(mails) == 1
    mail = mails[0]
    assert mail["from"] == "warehouse@shop.cn" and mail["to"] == ["ops@shop.cn", "ceo@shop.cn"]
    assert mail["message"].get_content_type() == "text/plain"
    assert mail["message"]["Subject"].startswith("analytics shop: 1 new alert")
    text = mail["message"].get_content()
    for alert in _served_alerts(delivered["settings"], ("medium", "high")):
        assert alert["explanation"] in text


def test_nothing_new_sends_nothing(delivered):
    posts, mails, checks = delivered["after_again"]
    assert checks == [], "the clean fixture shop's run has no failed or warned check"
    assert (len(posts), len(mails)) == (1, 1)
    assert delivered["runs"][1].alert_delivery == "webhook: nothing new; email: nothing new"


def test_an_unreachable_webhook_leaves_the_run_green_and_status_shows_it(delivered):
    posts, mails = delivered["final"]
    third = delivered["runs"][2]
    assert third.success and len(posts) == 1  # nothing reached the closed port
    # the mail channel still delivers: the low alerts it has not had
    assert len(mails) == 2
    low = _served_alerts(delivered["settings"], ("low",))
    assert low and all(a["explanation"] in mails[1]["message"].get_content() for a in low)
    delivery = delivered["status"]["alert_delivery"]
    assert delivery["run_id"] == third.run_id and delivery["failed"]
    assert "webhook: FAILED" in delivery["outcome"] and "could not be reached" in delivery["outcome"]
    text = render_status(delivered["status"])
    assert "last alert delivery: FAILED" in text and "s3cret" not in text and "s3cret" not in third.alert_delivery
