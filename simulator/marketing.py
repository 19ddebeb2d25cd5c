"""marketing/spend: one row per (date, channel, campaign) of every paid campaign running that
day, tied to the sessions the campaign brought (clicks >= sessions, impressions from the CTR,
spend from the CPC). Some rows are re-sent in the next batch with final numbers (the later row
replaces the earlier one)."""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import params as P
from simulator.world import World

_PAID = [i for i, c in enumerate(P.CAMPAIGNS) if c.cpc is not None]


def spend_for_day(world: World, d: int, campaign_sessions: np.ndarray, rng: np.random.Generator) -> pl.DataFrame:
    """Rows for date d (typed: spend in cents, with `_batch`); `campaign_sessions` = sessions per
    campaign index that day."""
    plan, domestic = world.plan, world.geo.domestic_currency
    idx = [i for i in _PAID if not P.CAMPAIGNS[i].promo_only or plan.campaign_active(d)]
    camps = [P.CAMPAIGNS[i] for i in idx]
    k = len(idx)
    sessions = campaign_sessions[idx]
    # campaigns keep buying media even on a day that brought no tracked session
    floor = np.maximum(1, np.round(world.scale.factor * 20)).astype(np.int64)
    clicks = np.maximum(np.round(sessions * rng.uniform(1.05, 1.35, k)), rng.integers(0, floor + 1, k)).astype(np.int64)
    ctr = np.array([c.ctr for c in camps]) * np.exp(rng.normal(0, 0.1, k))
    impressions = np.round(clicks / ctr + rng.integers(0, 50, k)).astype(np.int64)
    cpc = np.array([c.cpc for c in camps]) * np.exp(rng.normal(0, 0.15, k))
    spend = np.round(clicks * cpc * 100).astype(np.int64)
    day = world.cal.date(d)
    df = pl.DataFrame(
        {
            "date": [day] * k,
            "channel": [c.channel for c in camps],
            "campaign": [c.utm_campaign for c in camps],
            "impressions": impressions,
            "clicks": clicks,
            "spend": spend,
            "currency": [c.currency or domestic for c in camps],
            "_batch": np.full(k, d, dtype=np.int32),
            "_final": np.ones(k, bool),
        }
    )
    # preliminary numbers, corrected in the next batch
    rev = np.flatnonzero(rng.random(k) < P.SPEND_REVISION_SHARE)
    if len(rev):
        bump = rng.uniform(1.01, 1.08, len(rev))
        final = df[rev].with_columns(
            clicks=pl.Series(np.round(clicks[rev] * bump).astype(np.int64)),
            impressions=pl.Series(np.round(impressions[rev] * bump).astype(np.int64)),
            spend=pl.Series(np.round(spend[rev] * bump).astype(np.int64)),
            _batch=pl.lit(d + 1, pl.Int32),
        )
        df = pl.concat([df.with_columns(_final=pl.Series(~np.isin(np.arange(k), rev))), final])
    return df
