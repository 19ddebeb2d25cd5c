"""`warehouse simulate`: landing files of a simulated shop, day by day.

The `sim_*` modules hold the shop (world, traffic, orders, service, marketing, fx, planted
risk patterns, faults); this module drives them one local day at a time and writes each batch
day's files once every day that can still produce rows for it has been simulated. A row lands
in the batch of its own change time (`_batch`), so status changes, refunds and late app events
arrive in later batches, exactly as `sources.md` describes. Rows whose batch falls after the
simulated range have simply "not arrived yet" and are not written.

Determinism: every day and every part of the shop draws from its own random stream
(`sim_calendar.rng_for`), and gzip output carries no timestamp, so the same arguments give
byte-identical files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

from config import private_dir
from ingest import ENTITIES, Entity
from simulator import params as P
from simulator.calendar import (
    AGENTS,
    CUSTOMERS,
    DAY_MS,
    HOUR_MS,
    INVENTORY,
    LOGISTICS,
    MARKETING,
    MINUTE_MS,
    ORDERS,
    PLANTS,
    PRESALE,
    PRODUCTS,
    SERVICE,
    TARGETS,
    TRAFFIC,
    WORLD,
    Calendar,
    Plan,
    rng_for,
)
from simulator.faults import FaultInjector
from simulator.fx import FxRates
from simulator.inventory import Inventory
from simulator.marketing import spend_for_day
from simulator.orders import (
    OrderSpecs,
    build_orders,
    cap_ordinary_baskets,
    scheduled_specs,
    tracked_specs,
    untracked_specs,
)
from simulator.output import LOCAL, LOCAL_MS, UTC, UTC_MS, FileSink, csv_header, csv_lines, jsonl_lines, to_text
from simulator.risk import Plants
from simulator.service import agent_speeds, tickets_for_day
from simulator.targets import target_rows
from simulator.traffic import events_frame, simulate_sessions
from simulator.truths import Truths
from simulator.world import World

SCALES = P.SCALES
MANIFEST = "_simulation.json"

# How each upstream system writes its files: format, timestamp convention, file names.
# The shop's back office stamps local time, the payment gateway and the app SDK stamp UTC.
_OUTPUT = {
    "shop_customers": ("csv", LOCAL),
    "shop_products": ("csv", LOCAL),
    "shop_orders": ("csv", LOCAL),
    "shop_order_items": ("csv", LOCAL),
    "shop_payments": ("csv", UTC),
    "shop_refunds": ("csv", LOCAL),
    "traffic_events": ("jsonl.gz", UTC_MS),
    "service_events": ("jsonl", LOCAL_MS),
    "marketing_spend": ("csv", LOCAL),
    "finance_fx_rates": ("csv", LOCAL),
    "shop_inventory": ("csv", LOCAL),
    "plan_targets": ("csv", LOCAL),
}
# the column a file is ordered by (rows of a batch arrive in the order they happened)
_ORDER_BY = {
    "shop_order_items": "_ts",
    "traffic_events": "event_ts",
    "service_events": "event_ts",
    "marketing_spend": "date",
    "finance_fx_rates": "date",
    "shop_inventory": "date",
}

Progress = Callable[[str, int, int], None]


class _Pending:
    """Rows waiting for their batch day: batch -> entity -> frames."""

    def __init__(self):
        self._rows: dict[int, dict[str, list[pl.DataFrame]]] = defaultdict(lambda: defaultdict(list))

    def add(self, name: str, df: pl.DataFrame | None) -> None:
        if df is None or df.height == 0:
            return
        for (batch,), part in df.partition_by("_batch", as_dict=True, maintain_order=True).items():
            self._rows[int(batch)][name].append(part)

    def pop(self, d: int) -> dict[str, pl.DataFrame]:
        """Every row due by batch d (rows of earlier batches cannot arrive late here: each day's
        rows are stamped with their own or a later batch, but a defensive merge costs nothing)."""
        out: dict[str, list[pl.DataFrame]] = defaultdict(list)
        for batch in sorted(b for b in self._rows if b <= d):
            for name, frames in self._rows.pop(batch).items():
                out[name].extend(frames)
        return {
            name: pl.concat(frames, how="diagonal_relaxed").with_columns(_batch=pl.lit(d, pl.Int32))
            for name, frames in out.items()
        }


class _Writer:
    """Renders one entity's batch as files (with the faults, when asked) and counts what it wrote."""

    def __init__(self, landing: Path, tz: str, seed: int, faults: FaultInjector | None, truths: Truths):
        self.landing, self.tz, self.seed, self.faults, self.truths = landing, tz, seed, faults, truths
        self.sink = FileSink()
        self.rows: dict[str, int] = defaultdict(int)
        self.files = 0

    def write(self, entity: Entity, d: int, day: date, df: pl.DataFrame) -> None:
        fmt, style = _OUTPUT[entity.name]
        order = _ORDER_BY.get(entity.name, "updated_at")
        df = df.sort(order, maintain_order=True)
        self.truths.observe(entity.name, d, df)
        text = to_text(entity, df, self.tz, style, keep=("_part",))
        columns = entity.field_names
        broken_json = broken_csv = np.zeros(text.height, bool)
        if self.faults is not None:
            text, extra = self.faults.extra(entity, d, text, "_part" if "_part" in text.columns else None)
            columns = columns + extra
            text, broken_json, broken_csv = self.faults.inject(entity, d, text, fmt.split(".")[0])
        text = text.with_columns(_bj=pl.Series(broken_json), _bc=pl.Series(broken_csv))
        if "_part" not in text.columns:
            text = text.with_columns(_part=pl.lit(entity.entity))
        folder = self.landing / entity.folder / f"dt={day.isoformat()}"
        for (part,), rows in text.partition_by("_part", as_dict=True, maintain_order=True).items():
            path = folder / f"{entity.entity}-{part}.{fmt}"
            if fmt.startswith("csv"):
                lines, header = csv_lines(rows, columns), csv_header(columns)
            else:
                numeric = {f.name for f in entity.fields if f.type in ("int", "decimal")}
                lines, header = jsonl_lines(rows, columns, numeric), None
            if self.faults is not None:
                lines = FaultInjector.break_lines(lines, rows["_bj"].to_numpy(), rows["_bc"].to_numpy(), self.seed)
                present = [c for c in columns if c not in entity.field_names and rows[c].is_not_null().any()]
                if present:
                    self.faults.record_extra(str(path.relative_to(self.landing)), present)
            self.sink.write(path, lines, header, gz=fmt.endswith(".gz"))
            self.rows[entity.name] += rows.height
            self.files += 1

    def write_empty(self, entity: Entity, day: date) -> None:
        fmt, _ = _OUTPUT[entity.name]
        path = self.landing / entity.folder / f"dt={day.isoformat()}" / f"{entity.entity}-{entity.entity}.{fmt}"
        header = csv_header(entity.field_names) if fmt.startswith("csv") else None
        self.sink.write(path, pl.Series([], dtype=pl.String), header, gz=fmt.endswith(".gz"))
        self.files += 1

    def close(self) -> None:
        self.sink.close()


def _customer_changes(world: World, d: int, first_new: int, rng: np.random.Generator) -> pl.DataFrame:
    """shop/customers rows of day d: everyone who signed up that day, and a few who moved."""
    people, cal = world.people, world.cal
    new = np.arange(first_new, people.customers.n, dtype=np.int64)
    rows = [people.customer_rows(new, people.customers["signup"][new])]
    movers = np.flatnonzero(people.customers["signup"][:first_new] < cal.midnight(d))
    k = int(rng.binomial(len(movers), P.ADDRESS_CHANGE_PER_DAY)) if len(movers) else 0
    if k:
        moved = np.sort(rng.choice(movers, size=k, replace=False))
        people.move(rng, moved)
        when = cal.midnight(d) + 8 * HOUR_MS + rng.integers(0, 14 * 60, size=k) * MINUTE_MS
        rows.append(people.customer_rows(moved, when))
    df = pl.concat(rows)
    return df.with_columns(_batch=pl.Series(cal.day_of(df["updated_at"].to_numpy())))


def _schedule_presale_orders(
    tickets: pl.DataFrame | None, rng: np.random.Generator, scheduled: dict[int, list[tuple[int, int]]], cal
) -> None:
    """Some pre-sale tickets of known customers are followed by an order of theirs a while later
    (within and beyond 7 days): queued by the local day the order is placed on."""
    if tickets is None or tickets.height == 0:
        return
    t = tickets.filter(
        (pl.col("event_type") == "ticket_created") & (pl.col("_category") == "pre_sale") & (pl.col("_customer") >= 0)
    )
    if t.height == 0:
        return
    chosen = rng.random(t.height) < P.P_PRESALE_ORDER
    lo, hi = P.PRESALE_ORDER_DAYS
    when = t["event_ts"].to_numpy() + (rng.uniform(lo, hi, t.height) * DAY_MS).astype(np.int64)
    for customer, ts in zip(t["_customer"].to_numpy()[chosen], when[chosen]):
        scheduled[int(cal.day_of(np.array([ts]))[0])].append((int(customer), int(ts)))


def simulate(
    landing: Path | str,
    start: date,
    days: int,
    scale: str = "small",
    seed: int = 7,
    faults: bool = False,
    base_currency: str = "CNY",
    home_country: str = "CN",
    tz: str = "Asia/Shanghai",
    progress: Progress | None = None,
) -> dict:
    """Write `days` batch days of a simulated shop from `start` into `landing`; returns the
    summary also written to `<landing>/_simulation.json` (rows per entity, the planted truths)."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r} (choose one of {', '.join(SCALES)})")
    if days < 1:
        raise ValueError("days must be at least 1")
    landing = Path(landing)
    private_dir(landing)  # the files hold (simulated) personal data: 0700 (docs/design.md)
    cal, plan = Calendar(start, days, tz), Plan.make(days)
    world = World(SCALES[scale], rng_for(seed, WORLD), cal, plan, home_country)
    # the second edition's plants, each from its own random stream
    world.catalogue.plant_costs(rng_for(seed, PRODUCTS))
    world.catalogue.plant_stockouts(plan.stockout_days)
    world.agent_speed = agent_speeds(world.scale.agents, rng_for(seed, AGENTS))
    inventory = Inventory(world, rng_for(seed, INVENTORY))
    targets, target_truths = target_rows(world, base_currency, rng_for(seed, TARGETS))
    scheduled: dict[int, list[tuple[int, int]]] = defaultdict(list)
    plants = Plants(world, rng_for(seed, PLANTS))
    fx = FxRates(seed, days, base_currency)
    truths = Truths(cal, home_country, plan)
    injector = FaultInjector(seed, cal, tz) if faults else None
    writer = _Writer(landing, tz, seed, injector, truths)
    pending = _Pending()

    # what the shop system exports on the first day: its catalogue and its customer base
    pending.add("shop_products", world.catalogue.rows().with_columns(pl.col("_batch").clip(0, None)))
    base = world.initial_customers
    pending.add(
        "shop_customers",
        world.people.customer_rows(base, np.full(len(base), cal.midnight(0) + HOUR_MS)).with_columns(
            _batch=pl.lit(0, pl.Int32)
        ),
    )
    pending.add("plan_targets", targets)
    try:
        for d in range(days):
            first_new = world.people.customers.n
            sessions = simulate_sessions(world, d, rng_for(seed, TRAFFIC, d))
            planted, _, labels = plants.orders_for_day(d, rng_for(seed, PLANTS, d))
            tracked = tracked_specs(world, sessions, rng_for(seed, ORDERS, d))
            untracked = untracked_specs(world, d, tracked.n, rng_for(seed, ORDERS, d, 1))
            due_orders = sorted(scheduled.pop(d, []), key=lambda x: x[1])
            followed = scheduled_specs(
                world,
                np.array([c for c, _ in due_orders], dtype=np.int64),
                np.array([t for _, t in due_orders], dtype=np.int64),
                rng_for(seed, PRESALE, d, 1),
            )
            spec = OrderSpecs.concat([tracked, untracked, followed, planted])  # the planted last (labels)
            spec = cap_ordinary_baskets(world, d, spec)
            day_orders = build_orders(world, d, spec, rng_for(seed, ORDERS, d, 2), rng_for(seed, LOGISTICS, d))
            if labels:
                tail = np.arange(spec.n - len(labels), spec.n)
                plants.record(
                    labels,
                    day_orders.order_id.gather(tail).to_list(),
                    world.people.customer_ids(spec.customer[tail]).to_list(),
                )
            head = slice(0, tracked.n)
            events = events_frame(
                world,
                sessions,
                day_orders.order_id[head],
                day_orders.total[head],
                day_orders.currency[head],
                rng_for(seed, TRAFFIC, d, 1),
            )
            campaign_sessions = np.bincount(sessions.campaign, minlength=len(P.CAMPAIGNS))
            pending.add("shop_customers", _customer_changes(world, d, first_new, rng_for(seed, CUSTOMERS, d)))
            pending.add("shop_orders", day_orders.orders)
            pending.add("shop_order_items", day_orders.items)
            pending.add("shop_payments", day_orders.payments)
            pending.add("shop_refunds", day_orders.refunds)
            pending.add("traffic_events", events)
            tickets = tickets_for_day(world, d, day_orders.info, sessions, rng_for(seed, SERVICE, d))
            _schedule_presale_orders(tickets, rng_for(seed, PRESALE, d), scheduled, cal)
            pending.add("service_events", tickets)
            pending.add(
                "marketing_spend",
                spend_for_day(world, d, campaign_sessions, rng_for(seed, MARKETING, d), rng_for(seed, MARKETING, d, 7)),
            )
            pending.add("shop_inventory", inventory.day(d, spec.line_product, spec.line_qty))
            pending.add("finance_fx_rates", fx.rows(d, cal.date(d)))
            due = pending.pop(d)
            for entity in ENTITIES:
                if entity.name in due:
                    writer.write(entity, d, cal.date(d), due[entity.name])
                else:  # the export ran and found nothing: an empty file, not a missing folder
                    writer.write_empty(entity, cal.date(d))
            if progress:
                progress("simulate", d + 1, days)
    finally:
        writer.close()

    summary = {
        "start": start.isoformat(),
        "days": days,
        "scale": scale,
        "seed": seed,
        "tz": tz,
        "base_currency": base_currency,
        "home_country": home_country,
        "faults": faults,
        "files": writer.files,
        "rows": dict(sorted(writer.rows.items())),
        "plan": {
            "promotion_days": [cal.date(d).isoformat() for d in plan.promo],
            "payment_incident_day": cal.date(plan.spike_day).isoformat(),
            "outage_day": cal.date(plan.outage_day).isoformat() if plan.outage_day >= 0 else None,
            "late_carrier_days": [cal.date(d).isoformat() for d in plan.late_carrier_days],
        },
        "truths": truths.report(
            plants.describe(),
            costs=world.catalogue.cost_truths(),
            inventory=inventory.truths(),
            targets=target_truths,
            agent_speed=world.agent_speed,
        ),
    }
    if injector is not None:
        summary["fault_summary"] = injector.summary()
    (landing / MANIFEST).write_text(json.dumps(summary, indent=2, default=str) + "\n")
    return summary
