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
