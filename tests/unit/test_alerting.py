"""Alert delivery without a pipeline: the settings, the two channels against real receivers on
127.0.0.1, and the ledger that sends each alert once per channel (a hand-made working database)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb
import pytest

from alerting import deliver_alerts
from alerting.channels import DeliveryFailed, post_json, send_mail
from alerting.content import Delivery, mail_text, payload, subject
from config import SettingsError, alert_targets
from ingest.load import INGEST_LOG_DDL
from quality.results import ensure_check_results
from tests.support.receivers import closed_port, smtp_receiver, webhook_receiver
from tests.support.warehouse import new_settings

PUBLISHED = datetime(2026, 3, 9, 2, 30, tzinfo=UTC)


def _settings(tmp_path, **env):
    return new_settings(tmp_path / "home", tmp_path, **env)


def test_delivery_is_off_unless_set(tmp_path):
    targets = alert_targets(_settings(tmp_path), environ={})
    assert not targets.any and targets.webhook is None and targets.smtp is None


def test_an_smtp_url_names_server_user_and_password(tmp_path):
    settings = _settings(tmp_path, WAREHOUSE_ALERT_EMAIL_TO="a@x.cn, b@x.cn", WAREHOUSE_ALERT_EMAIL_FROM="w@x.cn")
    targets = alert_targets(settings, environ={"WAREHOUSE_SMTP_URL": "smtps://ops%40x.cn:p%2Fw@mail.x.cn"})
    smtp = targets.smtp
    assert (smtp.host, smtp.port, smtp.tls, smtp.user, smtp.password) == ("mail.x.cn", 465, True, "ops@x.cn", "p/w")
    assert targets.email_to == ("a@x.cn", "b@x.cn") and smtp.describe() == "smtps://mail.x.cn:465"
    plain = alert_targets(settings, environ={"WAREHOUSE_SMTP_URL": "smtp://mail.x.cn"}).smtp
    assert (plain.port, plain.tls, plain.user) == (25, False, None)


@pytest.mark.parametrize(
    "environ, settings_env, names",
    [
        ({"WAREHOUSE_ALERT_WEBHOOK": "ftp://hooks.x.cn/t0k3n"}, {}, "WAREHOUSE_ALERT_WEBHOOK"),
        ({"WAREHOUSE_SMTP_URL": "mail.x.cn:25"}, {}, "WAREHOUSE_SMTP_URL"),
        ({"WAREHOUSE_SMTP_URL": "smtp://u:t0k3n@mail.x.cn:port"}, {}, "WAREHOUSE_SMTP_URL"),
        ({"WAREHOUSE_SMTP_URL": "smtp://u:t0k3n@mail.x.cn"}, {}, "WAREHOUSE_ALERT_EMAIL_TO"),
        (
            {"WAREHOUSE_SMTP_URL": "smtp://u:t0k3n@mail.x.cn"},
            {"WAREHOUSE_ALERT_EMAIL_TO": "a@x.cn"},
            "WAREHOUSE_ALERT_EMAIL_FROM",
        ),
        ({}, {"WAREHOUSE_ALERT_EMAIL_TO": "not an address"}, "WAREHOUSE_ALERT_EMAIL_TO"),
    ],
)
def test_unusable_targets_are_one_line_without_the_secret(tmp_path, environ, settings_env, names):
    with pytest.raises(SettingsError) as raised:
        alert_targets(_settings(tmp_path, **settings_env), environ=environ)
    message = str(raised.value)
    assert names in message and "\n" not in message and "t0k3n" not in message


def test_the_minimum_severity_is_checked_when_settings_are_read(tmp_path):
    with pytest.raises(SettingsError, match="WAREHOUSE_ALERT_MIN_SEVERITY"):
        _settings(tmp_path, WAREHOUSE_ALERT_MIN_SEVERITY="urgent")
    assert _settings(tmp_path, WAREHOUSE_ALERT_MIN_SEVERITY="HIGH").alert_min_severity == "high"


def test_a_webhook_gets_json_and_a_failure_says_why_without_the_token():
    with webhook_receiver() as (url, posts):
        assert post_json(url, {"alerts": [], "note": "客單價"}) == "HTTP 200"
    assert posts == [
        {"path": "/hooks/robot?access_token=secret-token", "content_type": "application/json",
         "body": {"alerts": [], "note": "客單價"}}
    ]  # fmt: skip
    with webhook_receiver(status=500) as (url, _), pytest.raises(DeliveryFailed, match="HTTP 500") as raised:
        post_json(url, {})
    assert "secret-token" not in str(raised.value)
    with pytest.raises(DeliveryFailed, match="could not be reached") as raised:
        post_json(f"http://127.0.0.1:{closed_port()}/hook?access_token=secret-token", {})
    assert "secret-token" not in str(raised.value)


def test_a_mail_reaches_the_smtp_server(tmp_path):
    settings = _settings(tmp_path, WAREHOUSE_ALERT_EMAIL_TO="ceo@x.cn", WAREHOUSE_ALERT_EMAIL_FROM="w@x.cn")
    with smtp_receiver() as (url, mails):
        server = alert_targets(settings, environ={"WAREHOUSE_SMTP_URL": url}).smtp
        assert "accepted" in send_mail(server, "w@x.cn", ("ceo@x.cn",), "Subject line", "Body text.\n")
    assert len(mails) == 1
    mail = mails[0]
    assert (mail["from"], mail["to"], mail["message"]["Subject"]) == ("w@x.cn", ["ceo@x.cn"], "Subject line")
    assert mail["message"].get_content().replace("\r\n", "\n") == "Body text.\n"
    with pytest.raises(DeliveryFailed, match="could not be reached"):
        send_mail(server.__class__("127.0.0.1", closed_port(), False, None, None), "w@x.cn", ("a@x.cn",), "s", "b")


def _alert(alert_id: str, day: int, severity: str, alert_type: str = "payment_failures") -> tuple:
    return (alert_id, date(2026, 3, day), alert_type, severity, "kpi", "failed_payment_share", 0.6, 0.5,
            f"Alert {alert_id} in plain words.")  # fmt: skip


def _working_db(tmp_path, alerts: list[tuple]):
    con = duckdb.connect(str(tmp_path / "work.duckdb"))
    con.execute("CREATE SCHEMA marts; CREATE SCHEMA ops")
    con.execute(
        "CREATE TABLE marts.risk_alerts (alert_id VARCHAR, alert_date DATE, alert_type VARCHAR, severity VARCHAR, "
        "entity_type VARCHAR, entity VARCHAR, metric_value DOUBLE, threshold DOUBLE, explanation VARCHAR)"
    )
    con.executemany("INSERT INTO marts.risk_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", alerts)
    ensure_check_results(con)
    con.execute(INGEST_LOG_DDL)
    con.execute(
        "INSERT INTO ops.ingest_log VALUES ('shop_orders', '2026-03-08', 'f', 5, 5, 0, 0, [], 'loaded', NULL, now()),"
        " ('shop_orders', '2026-03-09', 'g', 1, 0, 1, 0, [], 'loaded', NULL, now())"
    )
    return con


def test_each_alert_reaches_each_channel_once_and_a_failed_delivery_is_sent_again(tmp_path):
    con = _working_db(tmp_path, [_alert("a1", 2, "low"), _alert("a2", 3, "medium"), _alert("a3", 3, "high")])
    settings = _settings(tmp_path, WAREHOUSE_NAME="demo shop")
    with webhook_receiver() as (url, posts):
        targets = alert_targets(settings, environ={"WAREHOUSE_ALERT_WEBHOOK": url})
        first = deliver_alerts(con, settings, targets, "run-1", PUBLISHED)
        again = deliver_alerts(con, settings, targets, "run-2", PUBLISHED)
    assert [(o.channel, o.delivered, o.alerts, o.failed_checks) for o in first] == [("webhook", True, 2, 0)]
    assert [o.delivered for o in again] == [None] and len(posts) == 1  # nothing new: nothing sent
    body = posts[0]["body"]
    assert body == {
        "warehouse": "demo shop",
        "run_id": "run-1",
        "published_at": "2026-03-09T02:30:00+00:00",
        "data_through": "2026-03-08",  # 03-09 loaded no row
        "alerts": [
            {"alert_id": "a3", "alert_date": "2026-03-03", "alert_type": "payment_failures", "severity": "high",
             "entity": "failed_payment_share", "metric_value": 0.6, "threshold": 0.5,
             "explanation": "Alert a3 in plain words."},
            {"alert_id": "a2", "alert_date": "2026-03-03", "alert_type": "payment_failures", "severity": "medium",
             "entity": "failed_payment_share", "metric_value": 0.6, "threshold": 0.5,
             "explanation": "Alert a2 in plain words."},
        ],
        "failed_checks": [],
    }  # fmt: skip
    # a new alert and a warned check; the webhook is down: recorded, not raised, sent next time
    con.execute("INSERT INTO marts.risk_alerts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", _alert("a4", 4, "medium"))
    con.execute(
        "INSERT INTO ops.check_results VALUES ('run-3', 'raw.shop_orders:row_count_bounds', now(), 'raw.shop_orders',"
        " '2026-03-04', false, 3, 'Orders: 3 rows, usually 40-60.', 'warn')"
    )
    down = alert_targets(settings, environ={"WAREHOUSE_ALERT_WEBHOOK": f"http://127.0.0.1:{closed_port()}/h"})
    [failed] = deliver_alerts(con, settings, down, "run-3", PUBLISHED)
    assert (failed.delivered, failed.alerts, failed.failed_checks) == (False, 1, 1)
    assert "could not be reached" in failed.detail and "FAILED" in failed.sentence()
    with webhook_receiver() as (url, posts):
        targets = alert_targets(settings, environ={"WAREHOUSE_ALERT_WEBHOOK": url})
        [sent] = deliver_alerts(con, settings, targets, "run-4", PUBLISHED)
    assert sent.delivered and [a["alert_id"] for a in posts[0]["body"]["alerts"]] == ["a4"]
    assert posts[0]["body"]["failed_checks"] == []  # run-4's own checks: none
    attempts = con.execute(
        "SELECT run_id, delivered, alerts FROM ops.alert_deliveries ORDER BY attempted_at"
    ).fetchall()
    assert attempts == [("run-1", True, 2), ("run-3", False, 1), ("run-4", True, 1)]


def test_the_mail_says_it_in_sentences(tmp_path):
    con = _working_db(tmp_path, [_alert("a1", 2, "high", "stockout")])
    con.execute(
        "INSERT INTO ops.check_results VALUES ('run-1', 'dbt test product_health_return_rate_at_most_one', now(),"
        " 'marts.product_health', NULL, false, 2, 'dbt test warned: 2 rows', 'warn')"
    )
    settings = _settings(
        tmp_path, WAREHOUSE_NAME="demo", WAREHOUSE_ALERT_EMAIL_TO="ceo@x.cn", WAREHOUSE_ALERT_EMAIL_FROM="w@x.cn"
    )
    with smtp_receiver() as (url, mails):
        targets = alert_targets(settings, environ={"WAREHOUSE_SMTP_URL": url})
        [outcome] = deliver_alerts(con, settings, targets, "run-1", PUBLISHED)
    assert outcome.delivered and outcome.channel == "email" and len(mails) == 1
    message = mails[0]["message"]
    assert message["Subject"] == "demo: 1 new alert and 1 check did not pass (data through 08 Mar 2026)"
    text = message.get_content()
    assert "data through Sunday 08 March 2026" in text
    assert "- 2026-03-02, HIGH: A top seller out of stock. Alert a1 in plain words." in text
    assert "product_health_return_rate_at_most_one on marts.product_health: dbt test warned: 2 rows" in text


def test_payload_and_mail_of_a_delivery_agree():
    delivery = Delivery("shop", "r", PUBLISHED, None, [], [{"check_name": "c", "asset": "a", "detail": "d"}])
    assert payload(delivery)["data_through"] is None and payload(delivery)["failed_checks"][0]["check_name"] == "c"
    assert subject(delivery) == "shop: 1 check did not pass"
    assert "- c on a: d" in mail_text(delivery, "medium")
