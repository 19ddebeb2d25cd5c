"""The planted truths of a simulation, measured on the rows actually written (before faults).

`Truths.observe` gets every written partition in the simulator's internal types; `report`
computes the numbers a test can assert against the marts (order counts by date, experiment
conversion by variant, risk patterns, late and duplicate events, ...).
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import polars as pl

from ingest import KNOWN_EVENT_NAMES
from simulator import params as P
from simulator.calendar import HOUR_MS, Calendar, Plan


class Truths:
    def __init__(self, cal: Calendar, home_country: str, plan: Plan | None = None):
        self.cal, self.home = cal, home_country
        self.plan_late_carrier_days = plan.late_carrier_days if plan else ()
        self.plan_outage_day = plan.outage_day if plan else -1
        self._frames: dict[str, list[pl.DataFrame]] = {
            k: []
            for k in (
                "orders",
                "payments",
                "refunds",
                "exposures",
                "purchases",
                "sessions",
                "tickets",
                "spend",
                "items",
                "inventory",
                "refund_reasons",
            )
        }
        self.utm_campaigns: set[str] = set()
        self.events = Counter()
        self.unknown_names = Counter()
        self.customers_rows = 0
        self.customer_ids: set[str] = set()
        self.products: pl.DataFrame | None = None

    # ------------------------------------------------------------------ collection

    def observe(self, name: str, d: int, df: pl.DataFrame) -> None:
        if df is None or df.height == 0:
            return
        f = self._frames
        if name == "shop_orders":
            f["orders"].append(
                df.select(
                    "order_id",
                    "customer_id",
                    "created_at",
                    "updated_at",
                    "status",
                    "total_amount",
                    "items_subtotal",
                    "currency",
                    "ship_country",
                    "device_id",
                    "ip_address",
                    "coupon_code",
                    "session_id",
                    "_batch",
                    *[c for c in ("carrier", "promised_delivery_date") if c in df.columns],
                )
            )
        elif name == "shop_order_items":
            f["items"].append(df.select("order_id", "product_id", "quantity"))
        elif name == "shop_payments":
            f["payments"].append(df.select("payment_id", "order_id", "status", "created_at", "updated_at", "_batch"))
        elif name == "shop_refunds":
            f["refunds"].append(
                df.select("refund_id", "order_id", "product_id", "status", "amount", "currency", "updated_at", "_batch")
            )
            f["refund_reasons"].append(df.select("refund_id", "order_id", "reason", "requested_at"))
        elif name == "traffic_events":
            orig = df.filter(pl.col("_dup") == 0)
            self.events["rows"] += df.height
            self.events["events"] += orig.height
            self.events["late"] += int(orig["_late"].sum())
            self.events["duplicate_same_file"] += int((df["_dup"] == 1).sum())
            self.events["duplicate_next_batch"] += int((df["_dup"] == 2).sum())
            known = set(KNOWN_EVENT_NAMES)
            for row in orig.group_by("event_name").len().iter_rows():
                if row[0] not in known:
                    self.unknown_names[row[0]] += row[1]
            f["exposures"].append(
                orig.filter(pl.col("experiment_id").is_not_null()).select("anonymous_id", "variant", "event_ts")
            )
            f["purchases"].append(orig.filter(pl.col("event_name") == "purchase").select("anonymous_id", "event_ts"))
            self.utm_campaigns.update(v for v in orig["utm_campaign"].unique().to_list() if v is not None)
            f["sessions"].append(
                orig.group_by("session_id").agg(
                    first=pl.col("event_ts").min(),
                    last=pl.col("event_ts").max(),
                    n=pl.len(),
                    late=pl.col("_late").any(),
                )
            )
        elif name == "service_events":
            f["tickets"].append(
                df.select(
                    "ticket_id",
                    "event_type",
                    "event_ts",
                    "_never_answered",
                    "customer_id",
                    "category",
                    "agent_id",
                    *[c for c in ("_contained",) if c in df.columns],
                )
            )
        elif name == "marketing_spend":
            f["spend"].append(df.select("date", "channel", "campaign", "spend", "currency", "clicks", "_batch"))
        elif name == "shop_inventory":
            f["inventory"].append(df.select("date", "product_id", "warehouse_id", "on_hand", "_batch"))
        elif name == "shop_customers":
            self.customers_rows += df.height
            self.customer_ids.update(df["customer_id"].to_list())
        elif name == "shop_products":
            self.products = df if self.products is None else pl.concat([self.products, df], how="diagonal_relaxed")

    def _all(self, key: str) -> pl.DataFrame | None:
        frames = [f for f in self._frames[key] if f.height]
        return pl.concat(frames, how="diagonal_relaxed") if frames else None

    def _date(self, ts: pl.Series) -> pl.Series:
        return pl.Series([self.cal.date(int(d)).isoformat() for d in range(-2, self.cal.days + 1)]).gather(
            self.cal.day_of(ts.to_numpy()) + 2
        )

    # ------------------------------------------------------------------ report

    def report(
        self,
        plants: dict,
        costs: dict | None = None,
        inventory: dict | None = None,
        targets: dict | None = None,
        agent_speed=None,
    ) -> dict:
        out: dict = {}
        orders = self._all("orders")
        latest = None
        if orders is not None:
            latest = orders.sort("updated_at", "_batch").group_by("order_id", maintain_order=True).last()
            latest = latest.with_columns(date=self._date(latest["created_at"]))
            paid = latest.filter(pl.col("status").is_in(["paid", "shipped", "delivered"]))
            per_cust = paid.group_by("customer_id").len()
            by_date = (
                latest.group_by("date")
                .agg(
                    placed=pl.len(),
                    paid=pl.col("status").is_in(["paid", "shipped", "delivered"]).sum(),
                    cancelled=(pl.col("status") == "cancelled").sum(),
                )
                .sort("date")
            )
            out["orders"] = {
                "placed": latest.height,
                "paid": paid.height,
                "cancelled": int((latest["status"] == "cancelled").sum()),
                "latest_status_counts": dict(sorted(latest.group_by("status").len().iter_rows())),
                "cross_border_share_of_paid": round(float((paid["ship_country"] != self.home).mean() or 0), 4),
                "with_session_share": round(float(latest["session_id"].is_not_null().mean()), 4),
                "currencies": sorted(latest["currency"].unique().to_list()),
                "coupon_orders": dict(
                    sorted(latest.drop_nulls("coupon_code").group_by("coupon_code").len().iter_rows())
                ),
                "by_date": {r[0]: {"placed": r[1], "paid": r[2], "cancelled": r[3]} for r in by_date.iter_rows()},
            }
            out["customers"] = {
                "rows_written": self.customers_rows,
                "distinct": len(self.customer_ids),
                "with_paid_orders": per_cust.height,
                "with_2plus_paid_orders": int((per_cust["len"] >= 2).sum()),
                "with_5plus_paid_orders": int((per_cust["len"] >= 5).sum()),
                "max_paid_orders": int(per_cust["len"].max() or 0),
            }
        out["traffic"] = self._traffic()
        out["experiment"] = self._experiment()
        out["service"] = self._service()
        out["marketing"] = self._spend()
        out["products"] = self._products()
        out["risk"] = self._risk(plants, latest)
        if costs is not None:
            out["costs"] = costs
        out["logistics"] = self._logistics(latest)
        if inventory is not None:
            out["inventory"] = self._inventory(inventory)
        if targets is not None:
            out["targets"] = targets
        out["service"].update(self._service_operations(latest, agent_speed))
        out["marketing"]["campaigns_in_sessions"] = sorted(self.utm_campaigns)
        out["marketing"]["spend_only_campaigns"] = sorted(
            set(out["marketing"].get("campaigns", [])) - self.utm_campaigns
        )
        out["outage"] = self._outage()
        return out

    # ------------------------------------------------------------------ second edition

    def _logistics(self, latest: pl.DataFrame | None) -> dict:
        """Carriers' delivery times (shipped -> delivered, days) and on-time share against the
        promise, overall and for parcels shipped in the late carrier's week; late_delivery refunds."""
        res: dict = {
            "carriers": {c[0]: {"transit_days": [c[1], c[2]]} for c in P.DOMESTIC_CARRIERS + P.FOREIGN_CARRIERS},
            "late_carrier": P.LATE_CARRIER,
            "late_week": [self.cal.date(d).isoformat() for d in self._plan_days("late_carrier_days")],
            "promise_days": {"domestic": P.PROMISE_DAYS_DOMESTIC, "foreign": P.PROMISE_DAYS_FOREIGN},
        }
        orders = self._all("orders")
        if orders is None or "carrier" not in orders.columns:
            return res
        shipped = orders.filter(pl.col("status") == "shipped").select("order_id", ship="updated_at", carrier="carrier")
        delivered = orders.filter(pl.col("status") == "delivered").select(
            "order_id", "promised_delivery_date", delivered="updated_at"
        )
        both = shipped.join(delivered, on="order_id")
        if both.height == 0:
            return res
        week = set(res["late_week"])
        both = both.with_columns(
            days=(pl.col("delivered") - pl.col("ship")) / 86_400_000,
            ship_date=self._date(both["ship"]),
            delivered_date=self._date(both["delivered"]),
        ).with_columns(
            on_time=pl.col("delivered_date") <= pl.col("promised_delivery_date").cast(pl.String),
            in_week=pl.col("ship_date").is_in(list(week)),
        )
        for (carrier, in_week), g in both.group_by("carrier", "in_week"):
            key = "late_week" if in_week else "other_days"
            res["carriers"][carrier][key] = {
                "parcels": g.height,
                "mean_days": round(float(g["days"].mean()), 2),
                "on_time_share": round(float(g["on_time"].mean()), 4),
            }
        reasons = self._all("refund_reasons")
        if reasons is not None:
            late = reasons.filter(pl.col("reason") == "late_delivery").unique("refund_id")
            res["late_delivery_refunds"] = late.height
            res["late_delivery_refunds_of_late_carrier_week_parcels"] = late.join(
                both.filter(pl.col("in_week") & (pl.col("carrier") == P.LATE_CARRIER)), on="order_id"
            ).height
        return res

    def _plan_days(self, name: str) -> tuple[int, ...]:
        return getattr(self, "plan_" + name, ())

    def _inventory(self, planted: dict) -> dict:
        res = dict(planted)
        inv = self._all("inventory")
        if inv is None:
            return res
        final = inv.sort("_batch").group_by("date", "product_id", "warehouse_id", maintain_order=True).last()
        per = final.group_by("date", "product_id").agg(pl.col("on_hand").sum())
        res["snapshot_rows"] = final.height
        res["rows_written"] = inv.height
        for s in res["planted_stockouts"]:
            days = per.filter(
                (pl.col("product_id") == s["product_id"])
                & (pl.col("date").cast(pl.String) >= s["first_day"])
                & (pl.col("date").cast(pl.String) <= s["last_day"])
            )
            s["on_hand_on_planted_days"] = int(days["on_hand"].sum())
            s["planted_days_with_snapshots"] = days.height
        planted = {(s["product_id"]) for s in res["planted_stockouts"]}
        zero = per.filter((pl.col("on_hand") == 0) & ~pl.col("product_id").is_in(list(planted)))
        res["other_product_days_out_of_stock"] = zero.height
        return res

    def _service_operations(self, latest: pl.DataFrame | None, agent_speed) -> dict:
        res: dict = {}
        t = self._all("tickets")
        if t is None:
            return res
        created = t.filter(pl.col("event_type") == "ticket_created").select(
            "ticket_id", "customer_id", "category", opened="event_ts"
        )
        if "_contained" in t.columns:
            contained = t.filter(pl.col("_contained")).select("ticket_id").unique()
            agents_seen = t.filter(pl.col("agent_id").is_not_null()).select("ticket_id").unique()
            res["bot_contained"] = contained.height
            res["bot_contained_with_agent_events"] = contained.join(agents_seen, on="ticket_id").height
        first = (
            t.filter(pl.col("event_type") == "agent_message")
            .group_by("ticket_id")
            .agg(pl.col("event_ts").min().alias("answered"), pl.col("agent_id").first())
            .join(created, on="ticket_id")
            .with_columns(minutes=(pl.col("answered") - pl.col("opened")) / 60_000)
        )
        if agent_speed is not None and first.height:
            from simulator.service import agent_id

            med = {a: float(m) for a, m in first.group_by("agent_id").agg(pl.col("minutes").median()).iter_rows()}
            res["agents"] = {
                "count": len(agent_speed) - 1,
                "slow_agent": agent_id(1),
                "fast_agent": agent_id(2),
                "speed_factor": {agent_id(i): round(float(v), 3) for i, v in enumerate(agent_speed) if i},
                "median_first_response_minutes": {a: round(m, 1) for a, m in sorted(med.items())},
                "median_first_response_minutes_all": round(float(first["minutes"].median()), 1),
            }
        # pre-sale questions and the same customer's next order
        pre = created.filter((pl.col("category") == "pre_sale") & pl.col("customer_id").is_not_null())
        res["presale_tickets"] = created.filter(pl.col("category") == "pre_sale").height
        res["presale_tickets_of_known_customers"] = pre.height
        if latest is not None and pre.height:
            orders = latest.select("customer_id", placed="created_at")
            gap = (
                pre.join(orders, on="customer_id")
                .filter(pl.col("placed") > pl.col("opened"))
                .group_by("ticket_id")
                .agg(((pl.col("placed") - pl.col("opened")).min() / 86_400_000).alias("days"))
            )
            res["presale_followed_by_order_within_7_days"] = int((gap["days"] <= 7).sum())
            res["presale_followed_by_order_after_7_days_only"] = int((gap["days"] > 7).sum())
        return res

    def _outage(self) -> dict:
        day = getattr(self, "plan_outage_day", -1)
        res: dict = {"date": self.cal.date(day).isoformat() if day >= 0 else None, "traffic_factor": P.OUTAGE_TRAFFIC}
        sessions = self._all("sessions")
        if sessions is None or day < 0:
            return res
        s = sessions.group_by("session_id").agg(pl.col("first").min())
        per_day = np.bincount(self.cal.day_of(s["first"].to_numpy()) + 2, minlength=self.cal.days + 3)
        same = [per_day[day - 7 * k + 2] for k in (1, 2, 3, 4) if day - 7 * k >= 0]
        res["sessions"] = int(per_day[day + 2])
        if same:
            res["same_weekday_mean_before"] = round(float(np.mean(same)), 1)
            res["ratio"] = round(res["sessions"] / res["same_weekday_mean_before"], 3)
        return res

    def _traffic(self) -> dict:
        sessions = self._all("sessions")
        res = {k: int(v) for k, v in self.events.items()}
        res["unknown_event_names"] = dict(sorted(self.unknown_names.items()))
        if sessions is not None:
            s = sessions.group_by("session_id").agg(pl.col("first").min(), pl.col("last").max(), pl.col("n").sum())
            first_day = self.cal.day_of(s["first"].to_numpy())
            last_day = self.cal.day_of(s["last"].to_numpy())
            res["sessions"] = s.height
            res["sessions_crossing_midnight"] = int((last_day > first_day).sum())
            res["bounce_like_sessions"] = int((s["n"] == 1).sum())
        res["max_late_days"] = P.LATE_MAX_DAYS
        return res

    def _experiment(self) -> dict:
        exp = self._all("exposures")
        res = {
            "experiment_id": P.EXPERIMENT_ID,
            "variants": list(P.EXPERIMENT_VARIANTS),
            "planted_relative_lift": P.EXPERIMENT_LIFT,
            "planted_on": "probability of purchase after begin_checkout, treatment vs control",
            "assignment": "50/50 by anonymous_id; events from add_to_cart on carry experiment_id/variant",
        }
        if exp is None:
            return res
        first = exp.group_by("anonymous_id", "variant").agg(pl.col("event_ts").min().alias("first"))
        nvar = first.group_by("anonymous_id").len()
        both = nvar.filter(pl.col("len") > 1)["anonymous_id"]
        first = first.filter(~pl.col("anonymous_id").is_in(both.implode()))
        buys = self._all("purchases")
        if buys is None:
            buys = pl.DataFrame(
                {"anonymous_id": [], "event_ts": []}, schema={"anonymous_id": pl.String, "event_ts": pl.Int64}
            )
        conv = (
            first.join(buys, on="anonymous_id", how="left")
            .with_columns(hit=(pl.col("event_ts") >= pl.col("first")).fill_null(False))
            .group_by("anonymous_id", "variant")
            .agg(pl.col("hit").any())
        )
        stats = conv.group_by("variant").agg(exposed=pl.len(), converted=pl.col("hit").sum()).sort("variant")
        by = {
            r[0]: {"exposed": r[1], "converted": r[2], "conversion": round(r[2] / r[1], 5) if r[1] else None}
            for r in stats.iter_rows()
        }
        res["users_in_both_variants"] = both.len()
        res["by_variant"] = by
        c, t = by.get("control"), by.get("treatment")
        if c and t and c["conversion"]:
            res["measured_relative_lift"] = round(t["conversion"] / c["conversion"] - 1, 4)
        return res

    def _service(self) -> dict:
        t = self._all("tickets")
        if t is None:
            return {}
        per = t.group_by("ticket_id").agg(
            created=(pl.col("event_type") == "ticket_created").any(),
            reopened=(pl.col("event_type") == "ticket_reopened").any(),
            rated=(pl.col("event_type") == "csat_rated").any(),
            solved=(pl.col("event_type") == "ticket_solved").any(),
            never=pl.col("_never_answered").first(),
        )
        created = per.filter("created")
        return {
            "tickets": created.height,
            "events": t.height,
            "never_answered": int(created["never"].sum()),
            "reopened": int(created["reopened"].sum()),
            "rated": int(created["rated"].sum()),
            "solved": int(created["solved"].sum()),
            "event_types": dict(sorted(t.group_by("event_type").len().iter_rows())),
        }

    def _spend(self) -> dict:
        s = self._all("spend")
        if s is None:
            return {}
        final = s.sort("_batch").group_by("date", "channel", "campaign", maintain_order=True).last()
        by = final.group_by("channel", "currency").agg(pl.col("spend").sum()).sort("channel", "currency")
        return {
            "rows_written": s.height,
            "revised_rows": s.height - final.height,
            "campaigns": sorted(final["campaign"].unique().to_list()),
            "final_spend_by_channel": {f"{r[0]}/{r[1]}": round(r[2] / 100, 2) for r in by.iter_rows()},
            "channels_expected_in_traffic": list(P.CHANNELS),
        }

    def _products(self) -> dict:
        if self.products is None:
            return {}
        p = self.products.sort("updated_at").group_by("product_id", maintain_order=True).last()
        items = self._all("items")
        sold = set(items["product_id"].unique().to_list()) if items is not None else set()
        active = p.filter("is_active")
        old = active.filter(pl.col("launched_at") < self.cal.midnight(0) - 30 * 24 * HOUR_MS)
        return {
            "count": p.height,
            "inactive": sorted(p.filter(~pl.col("is_active"))["product_id"].to_list()),
            "launched_during_run": sorted(
                p.filter(pl.col("launched_at") >= self.cal.midnight(0))["product_id"].to_list()
            ),
            "never_sold_active": sorted(set(old["product_id"].to_list()) - sold),
        }

    def _risk(self, plants: dict, latest: pl.DataFrame | None) -> dict:
        res = {k: dict(v) for k, v in plants.items()}
        if latest is None:
            return res
        # order_velocity: orders per device / ip within any 60-minute window
        firsts = latest.select("order_id", "created_at", "device_id", "ip_address")
        for key in ("device_id", "ip_address"):
            w = firsts.drop_nulls(key).sort(key, "created_at")
            codes = w[key].rank("dense").cast(pl.Int64).to_numpy()
            t = w["created_at"].to_numpy()
            combo = codes * (1 << 42) + t
            start = np.searchsorted(combo, codes * (1 << 42) + t - 60 * 60_000, side="left")
            count = np.arange(len(t)) - start + 1
            flagged = w.with_columns(n=pl.Series(count)).filter(pl.col("n") >= 5)
            planted = res["order_velocity"][key]
            res["order_velocity"][f"max_orders_in_60_min_by_{key}"] = int(
                flagged.filter(pl.col(key) == planted)["n"].max() or 0
            )
            res["order_velocity"][f"other_{key}s_flagged"] = flagged.filter(pl.col(key) != planted)[key].n_unique()
        # amount_outlier (domestic-currency orders as the yardstick)
        paid = latest.filter(pl.col("status").is_in(["paid", "shipped", "delivered"]))
        dom = paid.filter(pl.col("ship_country") == self.home)
        median = float(dom["total_amount"].median() or 0) / 100
        out_rows = paid.filter(pl.col("order_id").is_in(res["amount_outlier"]["orders"]))
        res["amount_outlier"]["totals"] = {
            r[0]: round(r[1] / 100, 2) for r in out_rows.select("order_id", "total_amount").iter_rows()
        }
        res["amount_outlier"]["median_domestic_paid_total"] = round(median, 2)
        res["amount_outlier"]["domestic_paid_orders_above_10x_median_excluding_planted"] = int(
            dom.filter(
                ~pl.col("order_id").is_in(res["amount_outlier"]["orders"]) & (pl.col("total_amount") > median * 1000)
            ).height
        )
        # refund_abuse
        refunds = self._all("refunds")
        done = set()
        if refunds is not None:
            rl = refunds.sort("updated_at", "_batch").group_by("refund_id", maintain_order=True).last()
            done = set(rl.filter(pl.col("status") == "completed")["order_id"].to_list())
        cid = res["refund_abuse"]["customer_id"]
        mine = paid.filter(pl.col("customer_id") == cid)
        res["refund_abuse"]["paid_orders_written"] = mine.height
        res["refund_abuse"]["orders_with_completed_refund"] = int(mine["order_id"].is_in(list(done)).sum())
        res["refund_abuse"]["rule_met_at_end"] = bool(
            mine.height >= 3 and res["refund_abuse"]["orders_with_completed_refund"] > mine.height / 2
        )
        last_day = self.cal.midnight(self.cal.days)
        window = paid.filter(pl.col("created_at") >= last_day - 90 * 24 * HOUR_MS).with_columns(
            refunded=pl.col("order_id").is_in(list(done))
        )
        per = window.group_by("customer_id").agg(n=pl.len(), r=pl.col("refunded").sum())
        res["refund_abuse"]["other_customers_meeting_rule_at_end"] = per.filter(
            (pl.col("n") >= 3) & (pl.col("r") > pl.col("n") / 2) & (pl.col("customer_id") != cid)
        ).height
        # payment_failures: share of payments (latest status) failed, by local date of created_at
        pays = self._all("payments")
        if pays is not None:
            pl_latest = pays.sort("updated_at", "_batch").group_by("payment_id", maintain_order=True).last()
            pl_latest = pl_latest.with_columns(date=self._date(pl_latest["created_at"]))
            daily = pl_latest.group_by("date").agg(share=(pl.col("status") == "failed").mean(), n=pl.len()).sort("date")
            spike = res["payment_failures"]["date"]
            dates, shares = daily["date"].to_list(), daily["share"].to_numpy()
            if spike in dates:
                i = dates.index(spike)
                base = shares[max(0, i - 28) : i]
                res["payment_failures"]["failed_share"] = round(float(shares[i]), 4)
                if len(base):
                    res["payment_failures"]["trailing_28d_mean"] = round(float(base.mean()), 4)
                    res["payment_failures"]["trailing_28d_std"] = round(float(base.std()), 4)
                    res["payment_failures"]["trailing_days"] = int(len(base))
        return res
