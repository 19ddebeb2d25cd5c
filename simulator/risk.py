"""Planted fraud-like patterns, each meant to trigger one rule of kpis.md "Risk early warning".

- order_velocity: one device and one IP place 7 orders (fresh accounts) within ~45 minutes at night;
- amount_outlier: two paid orders of ~25 units of the dearest product (far above 10x the median);
- refund_abuse: one customer with 4 paid orders, 3 of them refunded completely;
- payment_failures: a gateway incident day (handled by `sim_orders`, day `plan.spike_day`);
- at_risk (an RFM segment, not a rule): LAPSED_BUYERS known customers with 2 or 3 paid orders in
  the first LAPSED_SHARE of the period and none after: repeat buyers drifting away.

`orders_for_day` returns the planted orders of a day as `OrderSpecs` plus the customers it
registered; `describe` gives the manifest entry (the checks of what was actually written are
added by `sim_truths`).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator.calendar import HOUR_MS, MINUTE_MS
from simulator.orders import FORCE_FAST, FORCE_PAID, FORCE_REFUND, OrderSpecs
from simulator.world import World, device_ids, ip_strings

VELOCITY_ORDERS = 7
OUTLIER_QTY = (24, 30)
LAPSED_BUYERS = 12
LAPSED_SHARE = 0.12


class Plants:
    def __init__(self, world: World, rng: np.random.Generator):
        self.world = world
        people = world.people
        # the fraud device: never browses normally (weight 0), always the same IP
        self.fraud_visitor = people.new_visitors(rng, 1, foreign_share=0.0)
        people.visitors["weight"][self.fraud_visitor] = 0.0
        people.visitors["platform"][self.fraud_visitor] = 0
        # the refund abuser: a known customer who only orders in the planted pattern
        self.abuser = int(world.initial_customers[-1])
        people.visitors["weight"][people.customers["visitor"][self.abuser]] = 0.0
        home_customers = world.initial_customers[people.customers["country"][world.initial_customers] == world.geo.home]
        self.outlier_customers = [int(c) for c in home_customers[:2]]
        # the lapsed repeat buyers: known customers who only order in the planted pattern
        self.lapsed = [int(c) for c in world.initial_customers[-1 - LAPSED_BUYERS : -1]]
        people.visitors["weight"][people.customers["visitor"][self.lapsed]] = 0.0
        span = max(1, round(world.cal.days * LAPSED_SHARE))
        self.lapsed_days: dict[int, list[int]] = {}
        for i, c in enumerate(self.lapsed):
            for d in sorted({(i + 4 * j) % span for j in range(2 + i % 2)}):
                self.lapsed_days.setdefault(d, []).append(c)
        self.lapsed_orders: list[str] = []
        self.velocity_orders: list[str] = []
        self.velocity_customers: list[str] = []
        self.outlier_orders: list[str] = []
        self.abuser_orders: list[str] = []
        self.abuser_refunded: list[str] = []

    def orders_for_day(self, d: int, rng: np.random.Generator) -> tuple[OrderSpecs | None, np.ndarray, list]:
        """Planted orders of day d, the customers registered for them, and a list of
        (kind, position) so the caller can record the order ids once they exist."""
        world, plan = self.world, self.world.plan
        day = world.cal.midnight(d)
        cust, created, products, qty, force, visitor, labels = [], [], [], [], [], [], []
        new_customers = np.zeros(0, np.int64)
        weights = world.catalogue.weights(d)
        sellable = np.flatnonzero(weights > 0)
        if d == plan.velocity_day and len(sellable):
            t = day + 3 * HOUR_MS + 10 * MINUTE_MS + np.cumsum(rng.integers(3, 8, VELOCITY_ORDERS)) * MINUTE_MS
            signup = t - rng.integers(60, 150, VELOCITY_ORDERS) * 1000
            vis = np.repeat(self.fraud_visitor, VELOCITY_ORDERS)
            # fresh accounts, all on the same device
            new_customers = world.people.new_customers(rng, vis, signup)
            world.people.visitors["weight"][self.fraud_visitor] = 0.0
            dear = sellable[np.argsort(-world.catalogue.price_cny[sellable], kind="stable")][:5]
            for i in range(VELOCITY_ORDERS):
                cust.append(int(new_customers[i]))
                created.append(int(t[i]))
                products.append([int(dear[i % len(dear)])])
                qty.append([2])
                force.append(FORCE_PAID)
                visitor.append(int(self.fraud_visitor[0]))
                labels.append("velocity")
        if d in plan.outlier_days and len(sellable):
            dearest = int(sellable[np.argmax(world.catalogue.price_cny[sellable])])
            k = plan.outlier_days.index(d) if plan.outlier_days[0] != plan.outlier_days[1] else None
            which = [k] if k is not None else [0, 1]
            for j in which:
                c = self.outlier_customers[j % len(self.outlier_customers)]
                cust.append(c)
                created.append(day + (14 + 2 * j) * HOUR_MS + int(rng.integers(0, 3600)) * 1000)
                products.append([dearest])
                qty.append([int(rng.integers(*OUTLIER_QTY))])
                force.append(FORCE_PAID)
                visitor.append(int(world.people.customers["visitor"][c]))
                labels.append("outlier")
        for j, ad in enumerate(plan.abuser_days):
            if ad != d or not len(sellable):
                continue
            cust.append(self.abuser)
            created.append(day + 20 * HOUR_MS + j * 7 * MINUTE_MS + int(rng.integers(0, 1800)) * 1000)
            products.append([int(sellable[rng.integers(len(sellable))])])
            qty.append([1])
            force.append(FORCE_REFUND if j < 3 else FORCE_FAST)
            visitor.append(int(world.people.customers["visitor"][self.abuser]))
            labels.append("abuser_refund" if j < 3 else "abuser")
        for i, c in enumerate(self.lapsed_days.get(d, []) if len(sellable) else []):
            cust.append(c)
            created.append(day + 10 * HOUR_MS + i * 11 * MINUTE_MS + int(rng.integers(0, 600)) * 1000)
            products.append([int(sellable[rng.integers(len(sellable))])])
            qty.append([1])
            force.append(FORCE_PAID)
            visitor.append(int(world.people.customers["visitor"][c]))
            labels.append("lapsed")
        if not cust:
            return None, new_customers, []
        n = len(cust)
        visitor_a = np.array(visitor, dtype=np.int64)
        vis = world.people.visitors
        line_order = np.repeat(np.arange(n), [len(p) for p in products])
        spec = OrderSpecs(
            customer=np.array(cust, dtype=np.int64),
            visitor=visitor_a,
            platform=vis["platform"][visitor_a].astype(np.int64),
            created=np.array(created, dtype=np.int64) // 1000 * 1000,
            session_id=pl.Series([None] * n, dtype=pl.String),
            ip=vis["ip"][visitor_a],
            device=device_ids(visitor_a),
            is_new=np.array([label == "velocity" for label in labels]),
            force=np.array(force, dtype=np.int64),
            line_order=line_order,
            line_product=np.concatenate([np.array(p) for p in products]).astype(np.int64),
            line_qty=np.concatenate([np.array(q) for q in qty]).astype(np.int64),
        )
        return spec, new_customers, labels

    def record(self, labels: list[str], order_ids: list[str], customer_ids: list[str]) -> None:
        for label, oid, cid in zip(labels, order_ids, customer_ids):
            if label == "velocity":
                self.velocity_orders.append(oid)
                self.velocity_customers.append(cid)
            elif label == "outlier":
                self.outlier_orders.append(oid)
            elif label == "lapsed":
                self.lapsed_orders.append(oid)
            else:
                self.abuser_orders.append(oid)
                if label == "abuser_refund":
                    self.abuser_refunded.append(oid)

    def describe(self) -> dict:
        world, plan = self.world, self.world.plan
        cal = world.cal
        fraud_ip = ip_strings(world.people.visitors["ip"][self.fraud_visitor]).item()
        return {
            "order_velocity": {
                "rule": "order_velocity",
                "date": cal.date(plan.velocity_day).isoformat(),
                "device_id": device_ids(self.fraud_visitor).item(),
                "ip_address": fraud_ip,
                "orders": self.velocity_orders,
                "customers": self.velocity_customers,
                "note": "one device and IP, fresh accounts, all orders within 60 minutes (expect >= 5 in one window)",
            },
            "amount_outlier": {
                "rule": "amount_outlier",
                "dates": sorted({cal.date(d).isoformat() for d in plan.outlier_days}),
                "orders": self.outlier_orders,
                "note": "paid orders of 24-29 units of the dearest product; far above 10x the trailing median total",
            },
            "refund_abuse": {
                "rule": "refund_abuse",
                "customer_id": world.people.customer_ids(np.array([self.abuser])).item(),
                "orders": self.abuser_orders,
                "refunded_orders": self.abuser_refunded,
                "note": "paid orders whose whole-order refunds complete within about a week of ordering",
            },
            "at_risk": {
                "segment": "at_risk",
                "customers": world.people.customer_ids(np.array(self.lapsed, dtype=np.int64)).to_list(),
                "orders": self.lapsed_orders,
                "last_order_date": cal.date(max(self.lapsed_days, default=0)).isoformat(),
                "note": "repeat buyers (2 or 3 paid orders early in the period) who never order again: "
                "customer_rfm's at_risk segment (R <= 2, F >= 2) as of the last day",
            },
            "payment_failures": {
                "rule": "payment_failures",
                "date": cal.date(plan.spike_day).isoformat(),
                "note": "gateway incident: first payment attempts fail about 40% of the time that day (normally ~4.5%)",
            },
        }
