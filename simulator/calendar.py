"""Time for the simulator: local days of the reporting zone, and the plan of planted days.

All instants inside the simulator are int64 epoch milliseconds (UTC). A "day index" `d` counts
local calendar days in the reporting zone from the first batch day (d = 0). Batch `d` is the
`dt=` partition of that local date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from simulator import params as P

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
_BEFORE = 2  # day indices kept before the first batch day
_AFTER = 120  # ... and after the last one (rows that far ahead are simply not written)


class Calendar:
    """Local midnights of the reporting zone around the simulated range (DST-correct)."""

    def __init__(self, start: date, days: int, tz: str):
        self.start, self.days, self.tz = start, days, tz
        zone = ZoneInfo(tz)
        self._mid = np.array(
            [
                int(datetime.combine(start + timedelta(days=i), time(0), zone).timestamp()) * 1000
                for i in range(-_BEFORE, days + _AFTER)
            ],
            dtype=np.int64,
        )

    def midnight(self, d: int) -> int:
        """Epoch ms of local midnight starting day index `d`."""
        return int(self._mid[d + _BEFORE])

    def day_of(self, ts: np.ndarray) -> np.ndarray:
        """Local day index of each instant (clipped to the kept range)."""
        idx = np.searchsorted(self._mid, ts, side="right") - 1 - _BEFORE
        return np.clip(idx, -_BEFORE, self.days + _AFTER - _BEFORE - 1).astype(np.int32)

    def hour_of(self, ts: np.ndarray) -> np.ndarray:
        """Local hour (0..23) of each instant."""
        d = self.day_of(ts)
        return np.clip((ts - self._mid[d + _BEFORE]) // HOUR_MS, 0, 23).astype(np.int32)

    def date(self, d: int) -> date:
        return self.start + timedelta(days=d)

    def weekday(self, d: int) -> int:
        return (self.start + timedelta(days=d)).weekday()


@dataclass(frozen=True)
class Plan:
    """Day indices of the planted patterns (all within 0..days-1)."""

    promo: tuple[int, ...]
    velocity_day: int
    outlier_days: tuple[int, int]
    spike_day: int
    abuser_days: tuple[int, ...]
    outage_day: int = -1  # sessions about halved (the site down half the day)
    late_carrier_days: tuple[int, ...] = ()  # the week one carrier's parcels run late
    stockout_days: tuple[int, ...] = ()  # first day of each planted stock-out of a top seller

    @staticmethod
    def make(days: int) -> Plan:
        last = max(days - 1, 0)

        def at(share: float) -> int:
            return min(last, max(0, round(days * share)))

        p0 = min(max(1, round(days * 0.6)), max(0, days - P.PROMO_DAYS)) if days > 1 else 0
        promo = tuple(d for d in range(p0, p0 + P.PROMO_DAYS) if d < days)
        # the gateway incident: late enough for a 28-day baseline when the range allows it
        spike = at(0.75) if days < 40 else min(last, max(30, at(0.75)))
        while spike in promo and spike < last:
            spike += 1
        # the outage: an ordinary day (no promotion, no gateway incident) late in the range
        ordinary = [d for d in range(days) if d not in promo and d != spike]
        outage = min(ordinary, key=lambda d: (abs(d - at(0.85)), d)) if ordinary else -1
        late_start = at(0.45)
        late = tuple(d for d in range(late_start, late_start + P.LATE_CARRIER_DAYS) if d < days)
        stockouts = tuple(at(s) for s in (0.25, 0.55))
        return Plan(
            promo,
            at(0.4),
            (at(0.3), at(0.7)),
            spike,
            tuple(at(s) for s in (0.05, 0.2, 0.35, 0.5)),
            outage if days > 1 else -1,
            late,
            stockouts,
        )

    def is_promo(self, d: int) -> bool:
        return d in self.promo

    def campaign_active(self, d: int) -> bool:
        """Promotion-only campaigns run from a few days before the promotion to its last day."""
        return bool(self.promo) and self.promo[0] - P.PROMO_LEAD_DAYS <= d <= self.promo[-1]


def rng_for(seed: int, stream: int, *parts: int) -> np.random.Generator:
    """An independent random stream per (seed, stream, parts...): streams never share draws, so
    changing one part of the shop (e.g. the fx stream) leaves every other file byte-identical."""
    return np.random.default_rng(np.random.SeedSequence([seed % (1 << 63), stream, *(p + (1 << 20) for p in parts)]))


# stream ids
WORLD, TRAFFIC, ORDERS, CUSTOMERS, SERVICE, MARKETING, FX, FAULTS, PLANTS, PRODUCTS = range(1, 11)
LOGISTICS, INVENTORY, TARGETS, AGENTS, PRESALE = range(11, 16)
