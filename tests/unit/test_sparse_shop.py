"""The sparse shop of tests/fixtures/make_sparse_shop.py is what it claims to be (13 months from
2009, sparse days, gaps, a quiet week, one day of 60 orders) and keeps the landing contract. Its
run through the pipeline: tests/integration/test_sparse_history.py."""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from tests.fixtures.make_sparse_shop import write_sparse_shop

BASE_CURRENCY = "GBP"


def test_the_shop_has_the_shape_it_claims(tmp_path):
    shop = write_sparse_shop(tmp_path / "landing")
    assert shop.first_day == date(2009, 11, 2)
    assert (shop.last_day - shop.first_day).days + 1 >= 390  # 13 months
    # the batch days are exactly the dt= folders that exist, for whichever entity
    folders = {date.fromisoformat(p.name[3:]) for p in shop.landing.glob("*/*/dt=*") if p.is_dir()}
    assert sorted(folders) == list(shop.batch_days)
    assert min(folders) == shop.first_day and max(folders) == shop.last_day
    assert {p.parent.parent.name for p in shop.landing.glob("*/*/dt=*")} == {"shop"}  # only the shop system
    # gaps of 3-6 days without any folder, nothing on the days around them missing too
    for first, last in shop.gaps:
        assert 3 <= (last - first).days + 1 <= 6
        days = {first + timedelta(days=i) for i in range((last - first).days + 1)}
        assert not days & folders
        assert first - timedelta(days=1) in folders and last + timedelta(days=1) in folders
    # the quiet week: folders every day, 0 or 1 order a day, empty days hold header-only files
    week = [shop.quiet_week[0] + timedelta(days=i) for i in range(7)]
    assert shop.quiet_week[1] == week[-1] and week[0].weekday() == 0
    for day in week:
        orders = shop.orders_per_batch.get(day, 0)
        assert orders <= 1 and day in folders, day
        assert (orders == 0) == (day in shop.quiet_empty_days)
    for day in shop.quiet_empty_days:
        files = list((shop.landing / "shop" / "orders" / f"dt={day}").iterdir())
        assert [f.read_text().count("\n") for f in files] == [1]  # the header only
    # one day of exactly 60 order rows, after at least 28 earlier batch days; every other day is small
    assert shop.orders_per_batch[shop.big_day] == shop.big_day_orders == 60
    assert sum(1 for d in shop.batch_days if d < shop.big_day) >= 28
    assert max(n for d, n in shop.orders_per_batch.items() if d != shop.big_day) <= 10
    # a few hundred orders, most days 1-5 of them
    assert 300 <= shop.orders <= 1000 and shop.refunds >= 5
    placed = [v["placed_orders"] for d, v in shop.truth.items() if d != shop.big_day and v["placed_orders"]]
    assert sum(1 <= n <= 5 for n in placed) / len(placed) > 0.95
    # deterministic
    again = write_sparse_shop(tmp_path / "again")
    assert again.rows == shop.rows and again.truth == shop.truth


def test_the_shop_keeps_the_contract(tmp_path):
    shop = write_sparse_shop(tmp_path / "landing")
    orders = pl.concat(
        [
            pl.read_csv(f, infer_schema=False)
            for f in shop.landing.glob("shop/orders/dt=*/*.csv")
            if f.stat().st_size and f.read_text().count("\n") > 1
        ]
    )
    assert orders.height == shop.order_rows
    cents = orders.select(
        (pl.col(c).str.replace(".", "", literal=True).cast(pl.Int64)).alias(c)
        for c in ("items_subtotal", "discount_amount", "shipping_fee", "tax_amount", "total_amount")
    )
    off = cents.filter(
        pl.col("total_amount")
        != pl.col("items_subtotal") - pl.col("discount_amount") + pl.col("shipping_fee") + pl.col("tax_amount")
    )
    assert off.height == 0
    assert set(orders["status"]) == {"paid", "shipped", "delivered", "cancelled"}
    assert orders["order_id"].n_unique() < orders.height  # change capture
    stamps = pl.concat([orders["created_at"], orders["updated_at"]])
    assert stamps.str.contains(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[01]:00$").all()
    winter = orders.filter(pl.col("created_at").str.starts_with("2010-01"))["created_at"]
    summer = orders.filter(pl.col("created_at").str.starts_with("2010-07"))["created_at"]
    assert winter.str.ends_with("+00:00").all() and summer.str.ends_with("+01:00").all()
    assert set(orders["currency"]) == {BASE_CURRENCY}
    assert not list(shop.landing.glob("finance")) and not list(shop.landing.glob("traffic"))
