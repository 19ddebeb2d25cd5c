"""Orders of one day and everything that follows from them: items, payments, status changes,
refunds. One vectorised pass per day; rows carry `_batch` = the local date of their
`updated_at` (order items: of the order's creation), so later changes land in later batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import polars as pl

from ingest import PAYMENT_METHODS, PLATFORMS
from simulator import params as P
from simulator.calendar import DAY_MS, HOUR_MS, MINUTE_MS
from simulator.util import idstr, names_of, pick, pick_named, within_group_index
from simulator.world import CURRENCIES, World, device_ids, ip_strings

FORCE_NONE, FORCE_PAID, FORCE_REFUND, FORCE_FAST = 0, 1, 2, 3  # planted outcomes
COUPON_CODES = tuple(P.COUPONS)
# A payment method's code in the `method` arrays: its position in the contract's PAYMENT_METHODS.
_METHOD = {name: code for code, name in enumerate(PAYMENT_METHODS)}
_FOREIGN_METHODS = np.array([_METHOD[name] for name in names_of(P.FOREIGN_METHODS)])
_DOMESTIC_METHODS = np.array([_METHOD[name] for name in names_of(P.DOMESTIC_METHODS)])
_S = 1000  # one second in ms


@dataclass
class OrderSpecs:
    """Orders to create: one entry per order, lines as parallel arrays referring to `line_order`."""

    customer: np.ndarray
    visitor: np.ndarray
    platform: np.ndarray
    created: np.ndarray  # ms, whole seconds
    session_id: pl.Series  # nullable strings
    ip: np.ndarray
    device: pl.Series
    is_new: np.ndarray
    force: np.ndarray
    line_order: np.ndarray
    line_product: np.ndarray
    line_qty: np.ndarray

    @property
    def n(self) -> int:
        return len(self.customer)

    @staticmethod
    def concat(parts: list[OrderSpecs]) -> OrderSpecs:
        parts = [p for p in parts if p is not None and p.n]
        if not parts:
            return OrderSpecs(
                *([np.zeros(0, np.int64)] * 4),
                pl.Series([], dtype=pl.String),
                np.zeros(0, np.int64),
                pl.Series([], dtype=pl.String),
                np.zeros(0, bool),
                np.zeros(0, np.int64),
                *([np.zeros(0, np.int64)] * 3),
            )
        offsets = np.cumsum([0] + [p.n for p in parts[:-1]])
        cat = np.concatenate
        return OrderSpecs(
            cat([p.customer for p in parts]),
            cat([p.visitor for p in parts]),
            cat([p.platform for p in parts]),
            cat([p.created for p in parts]),
            pl.concat([p.session_id for p in parts]),
            cat([p.ip for p in parts]),
            pl.concat([p.device for p in parts]),
            cat([p.is_new for p in parts]),
            cat([p.force for p in parts]),
            cat([p.line_order + o for p, o in zip(parts, offsets)]),
            cat([p.line_product for p in parts]),
            cat([p.line_qty for p in parts]),
        )


@dataclass
class OrderDay:
    orders: pl.DataFrame
    items: pl.DataFrame
    payments: pl.DataFrame
    refunds: pl.DataFrame
    order_id: pl.Series  # per order (spec order)
    total: np.ndarray
    currency: np.ndarray  # index into CURRENCIES
    info: dict = field(default_factory=dict)  # per-order and per-refund arrays for customer service


def untracked_specs(world: World, d: int, n_tracked: int, rng: np.random.Generator) -> OrderSpecs:
    """Orders without a known session (tracking blocked, orders taken by phone), by existing customers."""
    n = int(rng.poisson(n_tracked * P.UNTRACKED_ORDER_SHARE / (1 - P.UNTRACKED_ORDER_SHARE)))
    people = world.people
    day_start = world.cal.midnight(d)
    known = np.flatnonzero(people.customers["signup"] < day_start)
    if n == 0 or len(known) == 0:
        return None
    w = people.visitors["weight"][people.customers["visitor"][known]]
    cust = known[pick(rng, w, n)]
    visitor = people.customers["visitor"][cust]
    created = day_start + pick(rng, P.HOURLY, n) * HOUR_MS + rng.integers(0, 3600, size=n) * _S
    n_lines = 1 + rng.poisson(P.EXTRA_LINES_MEAN, n)
    line_order = np.repeat(np.arange(n), n_lines)
    lines = (
        pl.DataFrame(
            {
                "o": line_order,
                "p": pick(rng, world.catalogue.weights(d), len(line_order)),
                "q": 1 + pick(rng, P.QTY_P, len(line_order)),
            }
        )
        .group_by("o", "p", maintain_order=True)
        .agg(pl.col("q").sum())
    )
    return OrderSpecs(
        customer=cust,
        visitor=visitor,
        platform=people.visitors["platform"][visitor].astype(np.int64),
        created=created,
        session_id=pl.Series([None] * n, dtype=pl.String),
        ip=people.visitors["ip"][visitor],
        device=device_ids(visitor),
        is_new=np.zeros(n, bool),
        force=np.zeros(n, np.int64),
        line_order=lines["o"].to_numpy(),
        line_product=lines["p"].to_numpy(),
        line_qty=lines["q"].to_numpy(),
    )


def scheduled_specs(world: World, customers: np.ndarray, created: np.ndarray, rng: np.random.Generator) -> OrderSpecs:
    """Orders of known customers at given instants without a tracked session (a customer who
    asked a pre-sale question and came back to buy): one line each, products by popularity."""
    n = len(customers)
    if n == 0:
        return None
    people = world.people
    visitor = people.customers["visitor"][customers]
    d = int(world.cal.day_of(created[:1])[0])
    return OrderSpecs(
        customer=customers.astype(np.int64),
        visitor=visitor,
        platform=people.visitors["platform"][visitor].astype(np.int64),
        created=(created - created % _S).astype(np.int64),
        session_id=pl.Series([None] * n, dtype=pl.String),
        ip=people.visitors["ip"][visitor],
        device=device_ids(visitor),
        is_new=np.zeros(n, bool),
        force=np.zeros(n, np.int64),
        line_order=np.arange(n),
        line_product=pick(rng, world.catalogue.weights(d), n),
        line_qty=1 + pick(rng, P.QTY_P, n),
    )


def _u(rng, n, lo_s: float, hi_s: float) -> np.ndarray:
    """Uniform durations in whole seconds (as ms)."""
    return rng.integers(int(lo_s), int(hi_s) + 1, size=n).astype(np.int64) * _S


_DOMESTIC_CARRIERS = [c[0] for c in P.DOMESTIC_CARRIERS]
_FOREIGN_CARRIERS = [c[0] for c in P.FOREIGN_CARRIERS]
CARRIERS = tuple(_DOMESTIC_CARRIERS + _FOREIGN_CARRIERS)
_TRANSIT = np.array([(lo, hi) for _, lo, hi, _ in P.DOMESTIC_CARRIERS + P.FOREIGN_CARRIERS])
_EPOCH = date(1970, 1, 1)


def _logistics(world: World, spec: OrderSpecs, foreign, ship_ts, deliver_ts, fast, rng):
    """Carrier, delivery and promise of each order: the carrier's own transit time (the late
    carrier's parcels shipped in the planted week take days longer), a promise of a fixed number
    of local days after the order day. Returns (carrier index, delivery instants, promised day
    index, late mask)."""
    cal, n = world.cal, spec.n
    dom = pick(rng, np.array([w for *_, w in P.DOMESTIC_CARRIERS]), n)
    fgn = len(_DOMESTIC_CARRIERS) + pick(rng, np.array([w for *_, w in P.FOREIGN_CARRIERS]), n)
    carrier = np.where(foreign, fgn, dom)
    lo, hi = _TRANSIT[carrier, 0], _TRANSIT[carrier, 1]
    transit = (lo + (hi - lo) * rng.random(n)) * 86400
    late_week = set(world.plan.late_carrier_days)
    slow = (carrier == CARRIERS.index(P.LATE_CARRIER)) & np.isin(cal.day_of(ship_ts), list(late_week))
    a, b = P.LATE_CARRIER_DELAY
    transit += np.where(slow, (a + (b - a) * rng.random(n)) * 86400, 0)
    deliver = np.where(fast, deliver_ts, ship_ts + (transit * _S).astype(np.int64))
    deliver -= deliver % _S
    promised = cal.day_of(spec.created) + np.where(foreign, P.PROMISE_DAYS_FOREIGN, P.PROMISE_DAYS_DOMESTIC)
    return carrier, deliver, promised, cal.day_of(deliver) > promised


def build_orders(
    world: World, d: int, spec: OrderSpecs, rng: np.random.Generator, logistics: np.random.Generator | None = None
) -> OrderDay:
    """The day's orders. With `logistics` (a random stream of its own) orders carry a carrier and a
    promised delivery date, and late deliveries bring refunds for late_delivery."""
    cal, geo, cat, people = world.cal, world.geo, world.catalogue, world.people
    n = spec.n
    cust = spec.customer
    country = people.customers["country"][cust].astype(np.int64)
    city = people.customers["city"][cust].astype(np.int64)
    foreign = country != geo.home
    cur = geo.currency[country]
    factor = np.array([P.PRICE_LIST_FACTOR[c] for c in CURRENCIES])[cur]

    # money, in cents of the order currency
    lo = spec.line_order
    unit = cat.price(spec.line_product, cur[lo], d)
    amount = unit * spec.line_qty
    subtotal = np.bincount(lo, weights=amount, minlength=n).astype(np.int64)
    promo = world.plan.is_promo(d)
    u, u2 = rng.random(n), rng.random(n)
    code = np.full(n, -1)
    free = spec.force == FORCE_NONE
    if promo:
        code[free & (u < P.PROMO_COUPON_SHARE)] = COUPON_CODES.index(P.PROMO_COUPON)
    else:
        code[free & spec.is_new & ~foreign & (u < P.P_WELCOME)] = COUPON_CODES.index("WELCOME10")
        code[free & ~spec.is_new & ~foreign & (u < P.P_VIP)] = COUPON_CODES.index("VIP15")
        save = free & ~foreign & (code < 0) & (subtotal >= P.COUPONS["SAVE20"][2] * 100 * factor) & (u2 < P.P_SAVE20)
        code[save] = COUPON_CODES.index("SAVE20")
        code[free & foreign & (u < P.P_GLOBAL)] = COUPON_CODES.index("GLOBAL10")
    discount = np.zeros(n, dtype=np.int64)
    for i, c in enumerate(COUPON_CODES):
        rows = code == i
        kind, value, _ = P.COUPONS[c]
        if kind == "pct":
            discount[rows] = subtotal[rows] * value // 100
        else:
            discount[rows] = np.round(value * 100 * factor[rows]).astype(np.int64)
        if c == P.PROMO_COUPON:
            discount[rows] = np.minimum(
                discount[rows], np.round(P.PROMO_DISCOUNT_CAP_CNY * 100 * factor[rows]).astype(np.int64)
            )
    discount = np.minimum(discount, subtotal)
    # the order discount spread over its lines (remainder on the last line)
    line_disc = np.where(subtotal[lo] > 0, discount[lo] * amount // np.maximum(subtotal[lo], 1), 0)
    n_lines = np.bincount(lo, minlength=n)
    last_line = np.cumsum(n_lines) - 1
    line_disc[last_line[n_lines > 0]] += (discount - np.bincount(lo, weights=line_disc, minlength=n).astype(np.int64))[
        n_lines > 0
    ]
    net = subtotal - discount
    shipping = np.where(
        foreign,
        np.round(P.FOREIGN_SHIPPING_CNY * 100 * factor),
        np.where(net >= P.FREE_SHIPPING_CNY * 100 * factor, 0, np.round(P.SHIPPING_CNY * 100 * factor)),
    ).astype(np.int64)
    tax = np.where(foreign, np.round(net * P.FOREIGN_TAX), 0).astype(np.int64)
    total = net + shipping + tax

    # payment and fulfilment
    forced = spec.force != FORCE_NONE
    method = np.where(
        foreign,
        _FOREIGN_METHODS[pick_named(rng, P.FOREIGN_METHODS, n)],
        _DOMESTIC_METHODS[pick_named(rng, P.DOMESTIC_METHODS, n)],
    )
    method[forced] = np.where(foreign[forced], _METHOD["card"], _METHOD["alipay"])
    cod = method == _METHOD["cash_on_delivery"]
    spike = d == world.plan.spike_day
    r = rng.random((n, 5))
    abandon = ~cod & ~forced & (r[:, 0] < P.P_ABANDON)
    fail1 = ~cod & ~abandon & ~forced & (r[:, 1] < (P.P_PAYMENT_FAIL_SPIKE if spike else P.P_PAYMENT_FAIL))
    retry = fail1 & (r[:, 2] < P.P_RETRY)
    fail2 = retry & (r[:, 3] < (P.P_RETRY_FAIL_SPIKE if spike else P.P_RETRY_FAIL))
    paid = ~cod & ~abandon & (~fail1 | (retry & ~fail2))
    created = spec.created
    a1_start = created + _u(rng, n, 5, 40)
    a1_end = a1_start + _u(rng, n, 3, 25)
    a2_start = a1_end + _u(rng, n, 20, 240)
    a2_end = a2_start + _u(rng, n, 3, 25)
    paid_ts = np.where(fail1, a2_end, a1_end) + _S
    cancel_after = paid & ~forced & (r[:, 4] < P.P_CANCEL_AFTER_PAID)
    cancel_unpaid = ~cod & ~paid
    cancel_ts = np.where(cancel_unpaid, created + P.UNPAID_TIMEOUT_S * _S, paid_ts + _u(rng, n, 600, 6 * 3600))
    ships = (paid & ~cancel_after) | cod
    fast = np.isin(spec.force, [FORCE_REFUND, FORCE_FAST])
    ship_ts = np.where(cod, created, paid_ts) + np.where(
        foreign, _u(rng, n, 12 * 3600, 72 * 3600), _u(rng, n, 4 * 3600, 48 * 3600)
    )
    ship_ts = np.where(fast, paid_ts + _u(rng, n, 4 * 3600, 20 * 3600), ship_ts)
    deliver_ts = ship_ts + np.where(foreign, _u(rng, n, 4 * 86400, 12 * 86400), _u(rng, n, 20 * 3600, 96 * 3600))
    deliver_ts = np.where(fast, ship_ts + _u(rng, n, 20 * 3600, 40 * 3600), deliver_ts)
    late = None
    if logistics is not None:
        carrier, deliver_ts, promised, late = _logistics(world, spec, foreign, ship_ts, deliver_ts, fast, logistics)
        late &= ships

    ids = idstr("O", world.next_ids("order", n) + 100_000_000, 9)
    base = pl.DataFrame(
        {
            "order_id": ids,
            "customer_id": people.customer_ids(cust),
            "created_at": created,
            "platform": pl.Series(list(PLATFORMS)).gather(spec.platform),
            "session_id": spec.session_id,
            "coupon_code": pl.Series(list(COUPON_CODES) + [None], dtype=pl.String).gather(
                np.where(code < 0, len(COUPON_CODES), code)
            ),
            "currency": pl.Series(list(CURRENCIES)).gather(cur),
            "items_subtotal": subtotal,
            "discount_amount": discount,
            "shipping_fee": shipping,
            "tax_amount": tax,
            "total_amount": total,
            "ship_country": pl.Series(geo.codes).gather(country),
            "ship_region": pl.Series(geo.city_region, dtype=pl.String).gather(city),
            "device_id": spec.device,
            "ip_address": ip_strings(spec.ip),
        }
    )
    if logistics is not None:
        start = (cal.date(0) - _EPOCH).days
        base = base.with_columns(
            promised_delivery_date=pl.Series((start + promised).astype(np.int32)).cast(pl.Date),
            _carrier=pl.Series(CARRIERS).gather(carrier),
        )
    status_rows = []
    for status, mask, ts in (
        ("pending", np.ones(n, bool), created),
        ("paid", paid, paid_ts),
        ("shipped", ships, ship_ts),
        ("delivered", ships, deliver_ts),
        ("cancelled", cancel_unpaid | cancel_after, cancel_ts),
    ):
        idx = np.flatnonzero(mask)
        rows = base[idx].with_columns(status=pl.lit(status), updated_at=pl.Series(ts[idx]))
        if logistics is not None:  # the carrier is known once the parcel is handed over
            known = status in ("shipped", "delivered")
            rows = rows.with_columns(carrier=pl.col("_carrier") if known else pl.lit(None, pl.String)).drop("_carrier")
        status_rows.append(rows)
    orders = pl.concat(status_rows)
    orders = orders.with_columns(_batch=pl.Series(cal.day_of(orders["updated_at"].to_numpy())))

    items = pl.DataFrame(
        {
            "order_id": ids.gather(lo),
            "line_number": within_group_index(n_lines) + 1,
            "product_id": cat.ids.gather(spec.line_product),
            "quantity": spec.line_qty,
            "unit_price": unit,
            "discount_amount": line_disc,
            "_ts": created[lo],
            "_batch": cal.day_of(created[lo]),
        }
    )

    # payment attempts: a pending row, then the outcome
    attempts = []
    att1 = np.flatnonzero(~cod & ~abandon)
    attempts.append((att1, a1_start[att1], a1_end[att1], np.where(fail1[att1], "failed", "succeeded")))
    att2 = np.flatnonzero(retry)
    attempts.append((att2, a2_start[att2], a2_end[att2], np.where(fail2[att2], "failed", "succeeded")))
    c = np.flatnonzero(cod)
    attempts.append((c, created[c] + 2 * _S, deliver_ts[c] + _u(rng, len(c), 60, 600), np.full(len(c), "succeeded")))
    pay_parts = []
    for idx, start, end, outcome in attempts:
        pid = idstr("PAY", world.next_ids("payment", len(idx)) + 5_000_000_000, 10)
        pb = pl.DataFrame(
            {
                "payment_id": pid,
                "order_id": ids.gather(idx),
                "method": pl.Series(list(PAYMENT_METHODS)).gather(method[idx]),
                "amount": total[idx],
                "currency": pl.Series(list(CURRENCIES)).gather(cur[idx]),
                "created_at": start,
            }
        )
        pay_parts.append(pb.with_columns(status=pl.lit("pending"), updated_at=pl.Series(start, dtype=pl.Int64)))
        pay_parts.append(
            pb.with_columns(
                status=pl.Series(outcome.tolist(), dtype=pl.String), updated_at=pl.Series(end, dtype=pl.Int64)
            )
        )
    payments = pl.concat(pay_parts)
    payments = payments.with_columns(_batch=pl.Series(cal.day_of(payments["updated_at"].to_numpy())))

    refunds, refund_info = _refunds(
        world, rng, spec, ids, cur, total, unit, line_disc, n_lines, ships, deliver_ts, late, logistics
    )
    info = {
        "order_id": ids,
        "customer": cust,
        "created": created,
        "paid": paid,
        "failed_payment": fail1,
        "shipped": ships,
        "delivered_ts": deliver_ts,
        "foreign": foreign,
        "late": late if late is not None else np.zeros(n, bool),
        "promised_ts": (
            np.array([cal.midnight(int(p)) for p in promised], dtype=np.int64) if logistics is not None else deliver_ts
        ),
        **refund_info,
    }
    return OrderDay(orders, items, payments, refunds, ids, total, cur, info)


def _not_refunded_lately(world: World, spec: OrderSpecs, want: np.ndarray) -> np.ndarray:
    """False for the wanted refunds of ordinary customers refunded on an order of the last
    P.REFUND_QUIET_DAYS days (by order day); records the others. Planted abusers are exempt."""
    day = world.cal.day_of(spec.created)
    allowed = np.ones(len(want), bool)
    last = world.last_refund_day
    for i in np.flatnonzero(want & (spec.force == FORCE_NONE)):
        customer, order_day = int(spec.customer[i]), int(day[i])
        if customer in last and order_day - last[customer] < P.REFUND_QUIET_DAYS:
            allowed[i] = False
        else:
            last[customer] = order_day
    return allowed


def cap_ordinary_baskets(world: World, d: int, spec: OrderSpecs) -> OrderSpecs:
    """Ordinary orders whose list value in CNY is above P.ORDINARY_BASKET_CAP_CNY: one unit per
    line, and if still above, their first line only (an order's lines are contiguous)."""
    lo = spec.line_order
    unit = world.catalogue.price(spec.line_product, np.full(len(lo), CURRENCIES.index("CNY")), d)
    cap = P.ORDINARY_BASKET_CAP_CNY * 100
    over = (np.bincount(lo, weights=unit * spec.line_qty, minlength=spec.n) > cap) & (spec.force == FORCE_NONE)
    if not over.any():
        return spec
    qty = np.where(over[lo], 1, spec.line_qty)
    still = over & (np.bincount(lo, weights=unit * qty, minlength=spec.n) > cap)
    first = np.r_[True, lo[1:] != lo[:-1]] if len(lo) else np.zeros(0, bool)
    keep = ~still[lo] | first
    return replace(spec, line_order=lo[keep], line_product=spec.line_product[keep], line_qty=qty[keep])


def _refunds(world, rng, spec, ids, cur, total, unit, line_disc, n_lines, ships, deliver_ts, late=None, lrng=None):
    n = spec.n
    cal = world.cal
    r = rng.random((n, 6))
    want = ships & np.where(spec.force == FORCE_REFUND, True, (spec.force == FORCE_NONE) & (r[:, 0] < P.P_REFUND))
    # a late delivery sometimes brings a whole-order refund for late_delivery
    late_refund = np.zeros(n, bool)
    if late is not None and lrng is not None:
        late_refund = late & ~want & (spec.force == FORCE_NONE) & (lrng.random(n) < P.P_LATE_REFUND)
    want |= late_refund
    want &= _not_refunded_lately(world, spec, want)
    idx = np.flatnonzero(want)
    k = len(idx)
    abuse = spec.force[idx] == FORCE_REFUND
    delay = np.minimum(rng.exponential(2.5 * 86400, k), 15 * 86400) + 2 * 3600
    requested = deliver_ts[idx] + np.where(abuse, _u(rng, k, 3 * 3600, 20 * 3600), (delay // 1 * _S).astype(np.int64))
    requested -= requested % _S
    whole = abuse | (r[idx, 1] < P.P_WHOLE_ORDER_REFUND) | late_refund[idx]
    reason = np.where(
        whole,
        np.array(names_of(P.REFUND_REASONS_ORDER), dtype=object)[pick_named(rng, P.REFUND_REASONS_ORDER, k)],
        np.array(names_of(P.REFUND_REASONS_ITEM), dtype=object)[pick_named(rng, P.REFUND_REASONS_ITEM, k)],
    )
    reason = np.where(late_refund[idx], "late_delivery", reason)
    first_line = np.cumsum(n_lines) - n_lines
    line = first_line[idx] + (r[idx, 2] * n_lines[idx]).astype(np.int64)
    qty_line = spec.line_qty[line]
    qty = 1 + (r[idx, 3] * qty_line).astype(np.int64)
    item_amount = qty * unit[line] - (line_disc[line] * qty) // np.maximum(qty_line, 1)
    amount = np.where(whole, total[idx], np.maximum(item_amount, 0))
    rejected = ~abuse & (r[idx, 4] < P.P_REFUND_REJECTED)
    approved = requested + _u(rng, k, 2 * 3600, 36 * 3600)
    completed = approved + np.where(abuse, _u(rng, k, 10 * 3600, 30 * 3600), _u(rng, k, 86400, 5 * 86400))
    rejected_ts = requested + _u(rng, k, 86400, 3 * 86400)
    rid = idstr("R", world.next_ids("refund", k) + 70_000_000, 8)
    base = pl.DataFrame(
        {
            "refund_id": rid,
            "order_id": ids.gather(idx),
            "product_id": pl.Series(world.catalogue.ids.gather(spec.line_product[line])).zip_with(
                pl.Series(~whole), pl.Series([None] * k, dtype=pl.String)
            ),
            "quantity": pl.Series(qty).zip_with(pl.Series(~whole), pl.Series([None] * k, dtype=pl.Int64)),
            "amount": amount,
            "currency": pl.Series(list(CURRENCIES)).gather(cur[idx]),
            "reason": pl.Series(reason.tolist(), dtype=pl.String),
            "requested_at": requested,
        }
    )
    parts = []
    for status, mask, ts in (
        ("requested", np.ones(k, bool), requested),
        ("approved", ~rejected, approved),
        ("completed", ~rejected, completed),
        ("rejected", rejected, rejected_ts),
    ):
        sel = np.flatnonzero(mask)
        parts.append(base[sel].with_columns(status=pl.lit(status), updated_at=pl.Series(ts[sel], dtype=pl.Int64)))
    refunds = pl.concat(parts)
    refunds = refunds.with_columns(_batch=pl.Series(cal.day_of(refunds["updated_at"].to_numpy())))
    info = {"refund_order": idx, "refund_requested": requested}
    return refunds, info


def tracked_specs(world: World, s, rng: np.random.Generator) -> OrderSpecs:
    """Orders of the day's purchasing sessions (`sim_traffic.Sessions`)."""
    buy = np.flatnonzero(s.purchase)
    pos = np.full(s.n, -1)
    pos[buy] = np.arange(len(buy))
    cust = s.customer[buy]
    first_order = np.isin(cust, s.new_customers)
    return OrderSpecs(
        customer=cust,
        visitor=s.visitor[buy],
        platform=s.platform[buy],
        created=s.order_created,
        session_id=s.session_ids(buy),
        ip=s.ip[buy],
        device=device_ids(s.visitor[buy]),
        is_new=first_order,
        force=np.zeros(len(buy), np.int64),
        line_order=pos[s.line_sess],
        line_product=s.line_product,
        line_qty=s.line_qty,
    )


__all__ = [
    "OrderSpecs",
    "OrderDay",
    "build_orders",
    "cap_ordinary_baskets",
    "tracked_specs",
    "untracked_specs",
    "scheduled_specs",
    "FORCE_NONE",
    "FORCE_PAID",
    "FORCE_REFUND",
    "FORCE_FAST",
    "DAY_MS",
    "MINUTE_MS",
]
