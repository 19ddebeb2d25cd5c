"""shop/inventory: an end-of-day stock snapshot per product and warehouse, driven by the units
the day's orders took. Warehouses reorder when their stock covers too few days; the planted
stock-outs of top sellers show 0 on hand in every warehouse (and nobody can buy them then,
`Catalogue.plant_stockouts`). A few snapshots are re-sent in the next batch with a corrected
count (the later row replaces the earlier one). Own random stream: the rest of the shop is the
same with or without it."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from simulator import params as P
from simulator.world import World

_EPOCH = date(1970, 1, 1)
WAREHOUSE_IDS = tuple(w for w, _ in P.WAREHOUSES)
_SHARE = np.array([s for _, s in P.WAREHOUSES])
_LINES_PER_ORDER = 1.6  # units per order, about (lines x quantity), for the expected demand


class Inventory:
    def __init__(self, world: World, rng: np.random.Generator):
        self.world, self.rng = world, rng
        cat = world.catalogue
        n, k = cat.n, len(WAREHOUSE_IDS)
        pop = cat.popularity
        self.demand = pop / max(pop.sum(), 1e-9) * world.scale.orders_per_day * _LINES_PER_ORDER  # units/day
        self.avg = self.demand.copy()  # trailing daily units sold
        self.on_hand = np.zeros((n, k), np.int64)
        self.inbound = np.zeros((n, k), np.int64)
        self.arrival = np.full((n, k), -1)
        self.started = np.zeros(n, bool)
        self.resent: list[dict] = []
        self.rows_written = 0

    def _stock_for(self, products: np.ndarray, cover: np.ndarray) -> np.ndarray:
        """Units per (product, warehouse) covering `cover` days of expected demand (at least a few)."""
        units = self.avg[products, None] * _SHARE[None, :] * cover[:, None]
        return np.maximum(np.ceil(units), 3).astype(np.int64)

    def day(self, d: int, line_product: np.ndarray, line_qty: np.ndarray) -> pl.DataFrame:
        """Snapshot rows of day d (typed; with `_batch`), after the day's orders took their units."""
        cat, rng, cal = self.world.catalogue, self.rng, self.world.cal
        n = cat.n
        live = (cat.launch_day <= d) & (cat.retire_day > d) & ~cat.retired
        new = live & ~self.started
        if new.any():
            idx = np.flatnonzero(new)
            lo, hi = P.STOCK_COVER_DAYS
            self.on_hand[idx] = self._stock_for(idx, rng.uniform(lo, hi, len(idx)))
            self.started[idx] = True
        arrived = self.arrival == d
        self.on_hand[arrived] += self.inbound[arrived]
        self.inbound[arrived] = 0
        self.arrival[arrived] = -1
        sold = np.bincount(line_product, weights=line_qty, minlength=n)
        self.avg = 0.9 * self.avg + 0.1 * sold
        # units leave the warehouses by their share (the rest from the first); stock never goes below 0
        take = np.floor(sold[:, None] * _SHARE[None, :]).astype(np.int64)
        take[:, 0] += sold.astype(np.int64) - take.sum(axis=1)
        self.on_hand = np.maximum(self.on_hand - take, 0)
        # reorder: stock below the cover, nothing on the way
        low = (self.on_hand < self.avg[:, None] * _SHARE[None, :] * P.REORDER_COVER_DAYS) & (self.inbound == 0)
        low &= live[:, None] & (self.avg[:, None] > 0.05)
        if low.any():
            pi, wi = np.nonzero(low)
            units = np.ceil(self.avg[pi] * _SHARE[wi] * rng.uniform(20, 35, len(pi))).astype(np.int64) + 5
            self.inbound[pi, wi] = units
            self.arrival[pi, wi] = d + rng.integers(P.REORDER_LEAD_DAYS[0], P.REORDER_LEAD_DAYS[1] + 1, len(pi))
        # planted stock-outs: nothing left anywhere, a large delivery due the day after
        planted = np.zeros(n, bool)
        for p, first, last in cat.stockouts:
            if first <= d <= last:
                planted[p] = True
                self.on_hand[p] = 0
                self.inbound[p] = self._stock_for(np.array([p]), np.array([30.0]))[0]
                self.arrival[p] = last + 1
        pi, wi = np.nonzero(live[:, None] & np.ones((1, len(WAREHOUSE_IDS)), bool))
        m = len(pi)
        day = (cal.date(d) - _EPOCH).days
        on_hand = self.on_hand[pi, wi].copy()
        df = pl.DataFrame(
            {
                "date": pl.Series(np.full(m, day, np.int32)).cast(pl.Date),
                "product_id": cat.ids.gather(pi),
                "warehouse_id": pl.Series(WAREHOUSE_IDS).gather(wi),
                "on_hand": on_hand,
                "inbound": self.inbound[pi, wi],
                "_batch": np.full(m, d, np.int32),
            }
        )
        # a recount: some rows re-sent in the next batch with a slightly lower count
        pick = np.flatnonzero((rng.random(m) < P.INVENTORY_RESEND_SHARE) & (on_hand > 3) & ~planted[pi])
        if len(pick):
            fixed = on_hand[pick] - rng.integers(1, 4, len(pick))
            self.on_hand[pi[pick], wi[pick]] = fixed
            again = df[pick].with_columns(on_hand=pl.Series(fixed), _batch=pl.lit(d + 1, pl.Int32))
            if d + 1 < cal.days:
                for row, before in zip(again.iter_rows(named=True), on_hand[pick]):
                    self.resent.append(
                        {
                            "date": row["date"].isoformat(),
                            "product_id": row["product_id"],
                            "warehouse_id": row["warehouse_id"],
                            "first_on_hand": int(before),
                            "final_on_hand": int(row["on_hand"]),
                        }
                    )
            df = pl.concat([df, again])
        return df

    def truths(self) -> dict:
        cat, cal = self.world.catalogue, self.world.cal
        revenue = cat.popularity * cat.price_cny
        return {
            "warehouses": list(WAREHOUSE_IDS),
            "planted_stockouts": [
                {
                    "product_id": cat.ids[p],
                    "first_day": cal.date(first).isoformat(),
                    "last_day": cal.date(last).isoformat(),
                    # rank by expected revenue (units x price), what the stockout alert ranks by
                    "revenue_rank": int((revenue > revenue[p]).sum()) + 1,
                }
                for p, first, last in cat.stockouts
            ],
            "resent_rows": len(self.resent),
            "resent_sample": self.resent[:20],
        }
