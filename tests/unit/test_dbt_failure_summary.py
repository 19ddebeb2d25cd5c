"""A failed dbt build is reported in one line that names what failed and why."""

from orchestration.assets.transform import dbt_failure_summary


def _result(unique_id: str, status: str, message: str | None) -> dict:
    return {"unique_id": unique_id, "status": status, "message": message}


def test_names_the_failed_nodes_with_the_last_line_of_their_message():
    results = {
        "results": [
            _result("model.shop_warehouse.stg_shop__orders", "success", "OK"),
            _result(
                "model.shop_warehouse.int_orders",
                "error",
                "Runtime Error in model int_orders (models/intermediate/int_orders.sql)\n  Out of Range Error: overflow",
            ),
            _result(
                "test.shop_warehouse.unique_kpi_daily_date.c6ddd0bd6a",
                "fail",
                "Got 2 results, configured to fail if != 0",
            ),
            _result("model.shop_warehouse.kpi_daily", "skipped", None),
        ]
    }
    assert dbt_failure_summary(results) == (
        "dbt build failed: model int_orders (Out of Range Error: overflow); "
        "test unique_kpi_daily_date (Got 2 results, configured to fail if != 0)"
    )


def test_caps_the_list_and_says_how_many_more():
    results = {"results": [_result(f"test.p.t{i}.abc", "fail", None) for i in range(5)]}
    assert dbt_failure_summary(results, limit=2) == "dbt build failed: test t0 (fail); test t1 (fail); and 3 more"


def test_without_failed_nodes_points_to_the_log():
    assert dbt_failure_summary({"results": []}) == "dbt build failed (see the log)"


def test_a_dbt_test_that_did_not_pass_reaches_the_run_report_and_status(tmp_path):
    """The dbt step logs one observation per data test that did not pass (dbt's tests are not
    Dagster asset checks); the run report and `warehouse status` read them back from a real run."""
    from dagster import AssetKey, AssetObservation, DagsterEventType, DagsterInstance, asset, materialize

    from orchestration import dbt_test_failure
    from orchestration.run_events import DBT_TEST_METADATA
    from orchestration.runner import RunReport, _read_events

    @asset
    def kpi_daily(context):
        for name, severity in (("unique_kpi_daily_date", "error"), ("kpi_daily_volume_is_usual", "warn")):
            context.log_event(
                AssetObservation(
                    asset_key=AssetKey(["marts", "kpi_daily"]),
                    metadata={DBT_TEST_METADATA: name, "severity": severity, "detail": f"dbt test fail: {name}"},
                )
            )
        context.log_event(AssetObservation(asset_key=AssetKey(["marts", "kpi_daily"]), metadata={"rows": 3}))

    with DagsterInstance.ephemeral(tempdir=str(tmp_path)) as instance:
        result = materialize([kpi_daily], instance=instance)
        observations = [e for e in result.all_events if e.event_type == DagsterEventType.ASSET_OBSERVATION]
        assert [dbt_test_failure(e) for e in observations] == [
            ("marts/kpi_daily", "unique_kpi_daily_date", "dbt test fail: unique_kpi_daily_date", False),
            ("marts/kpi_daily", "kpi_daily_volume_is_usual", "dbt test fail: kpi_daily_volume_is_usual", True),
            None,
        ]
        report = RunReport(result.run_id, True, None, None)
        _read_events(report, result.all_events)
        assert report.failures == [
            "check marts/kpi_daily:unique_kpi_daily_date failed (dbt test fail: unique_kpi_daily_date)"
        ]
        assert report.warnings == [
            "marts/kpi_daily:kpi_daily_volume_is_usual: dbt test fail: kpi_daily_volume_is_usual"
        ]
        from cli.status import _run_summary

        summary = _run_summary(instance, instance.get_run_by_id(result.run_id))
        assert [c["check_name"] for c in summary["failed_checks"]] == ["unique_kpi_daily_date"]
        assert [c["check_name"] for c in summary["warned_checks"]] == ["kpi_daily_volume_is_usual"]
