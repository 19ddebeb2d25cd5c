"""finance/fx_rates: daily market rates to the base currency, from their OWN random stream.

The walk of every currency's USD value depends only on the seed, never on the base currency
or on anything else the simulator draws, so switching the base currency changes the fx files
and nothing else.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import params as P
from simulator.calendar import FX, rng_for
from simulator.world import CURRENCIES

RATE_SCALE = 10**P.FX_DECIMALS  # rates are kept as integers of 1e-6


class FxRates:
    def __init__(self, seed: int, days: int, base_currency: str):
        if base_currency not in P.FX_USD_VALUE:
            raise ValueError(
                f"base_currency {base_currency!r} is not simulated (choose one of {', '.join(P.FX_USD_VALUE)})"
            )
        self.base = base_currency
        rng = rng_for(seed, FX)
        names = sorted(P.FX_USD_VALUE)  # fixed order: the draws do not depend on the base
        steps = rng.normal(0.0, 1.0, (max(days, 1), len(names)))
        vol = np.array([P.FX_DAILY_VOL[c] for c in names])
        walk = np.exp(np.cumsum(steps * vol, axis=0) - steps[0] * vol)  # day 0 = anchor
        self._usd = {c: P.FX_USD_VALUE[c] * walk[:, i] for i, c in enumerate(names)}
        self.currencies = [c for c in CURRENCIES if c != base_currency]  # every non-base currency in use

    def rate(self, currency: str, d: int) -> float:
        return float(self._usd[currency][d] / self._usd[self.base][d])

    def rows(self, d: int, day) -> pl.DataFrame:
        rates = [max(1, round(self.rate(c, d) * RATE_SCALE)) for c in self.currencies]
        return pl.DataFrame(
            {
                "date": [day] * len(rates),
                "currency": self.currencies,
                "rate_to_base": rates,
                "_batch": [d] * len(rates),
            },
            schema_overrides={"rate_to_base": pl.Int64, "_batch": pl.Int32},
        )
