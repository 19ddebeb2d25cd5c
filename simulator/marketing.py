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


def spend_only_rows(world: World, d: int, rng: np.random.Generator) -> pl.DataFrame:
    """Spend of the campaigns whose clicks never arrive tagged (no session carries their
    utm_campaign): display ads bought by impressions (own random stream)."""
    k = len(P.SPEND_ONLY_CAMPAIGNS)
    factor = world.scale.factor
    impressions = np.round(rng.uniform(40_000, 60_000, k) * factor).astype(np.int64)
    ctr = np.array([c[3] for c in P.SPEND_ONLY_CAMPAIGNS])
    clicks = np.round(impressions * ctr * rng.uniform(0.8, 1.2, k)).astype(np.int64)
    spend = np.round(clicks * np.array([c[2] for c in P.SPEND_ONLY_CAMPAIGNS]) * 100).astype(np.int64)
    return pl.DataFrame(
        {
            "date": [world.cal.date(d)] * k,
            "channel": [c[0] for c in P.SPEND_ONLY_CAMPAIGNS],
            "campaign": [c[1] for c in P.SPEND_ONLY_CAMPAIGNS],
            "impressions": impressions,
            "clicks": clicks,
            "spend": spend,
            "currency": [world.geo.domestic_currency] * k,
            "_batch": np.full(k, d, dtype=np.int32),
            "_final": np.ones(k, bool),
        }
    )


def spend_for_day(
    world: World,
    d: int,
    campaign_sessions: np.ndarray,
    rng: np.random.Generator,
    spend_only_rng: np.random.Generator | None = None,
) -> pl.DataFrame:
    """Rows for date d (typed: spend in cents, with `_batch`); `campaign_sessions` = sessions per
    campaign index that day; with `spend_only_rng`, also the spend-only campaigns."""
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
    if spend_only_rng is not None:
        df = pl.concat([df, spend_only_rows(world, d, spend_only_rng)], how="diagonal_relaxed")
    return df
