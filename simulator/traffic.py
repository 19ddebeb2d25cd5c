"""Clickstream of one day: sessions, their funnel, and the traffic/events rows they produce.

`simulate_sessions` draws the day's sessions (who, when, from which campaign, how deep into
the funnel) and registers new customers; the order module turns the purchasing sessions into
orders; `events_frame` then renders every event, with the purchase events carrying the order id
and total. Everything is vectorised over sessions and events (no per-row Python).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from ingest import DEVICE_TYPES, PLATFORMS
from simulator import params as P
from simulator.calendar import HOUR_MS, Plan
from simulator.util import idstr, pick, take, within_group_index
from simulator.world import CURRENCIES, World, ip_strings, visitor_ids

SEG = {name: i for i, name in enumerate(P.SEGMENTS)}
_APP = PLATFORMS.index("app")  # a platform's code in the `platform` arrays: its position in the contract
_EVENT_NAME = {
    "landing": "page_view",
    "video": "video_play",
    "claim": "coupon_claim",
    "browse": "page_view",
    "search": "search",
    "product": "product_view",
    "cart": "add_to_cart",
    "remove": "remove_from_cart",
    "checkout": "begin_checkout",
    "purchase": "purchase",
    "share": "share",
}
_FIXED_PAGE = {
    "video": "live",
    "claim": "content",
    "search": "search",
    "product": "product",
    "cart": "product",
    "remove": "cart",
    "checkout": "checkout",
    "purchase": "confirmation",
    "share": "product",
}
_CAMP = P.CAMPAIGNS
_CAMP_BOUNCE = np.array([c.bounce for c in _CAMP])
_CAMP_CONV = np.array([c.conversion for c in _CAMP])
_CAMP_VIDEO = np.array([c.channel in ("live_stream", "short_video") for c in _CAMP])
_CAMP_PROMO = np.array([c.promo_only for c in _CAMP])
_CAMP_W = np.array([c.weights for c in _CAMP], dtype=np.float64)  # (campaigns, audiences)


@dataclass
class Sessions:
    """One day's sessions (per-session arrays) and their events (per-event arrays)."""

    d: int
    ids: np.ndarray  # global session numbers
    visitor: np.ndarray
    platform: np.ndarray
    country: np.ndarray
    ip: np.ndarray
    campaign: np.ndarray
    variant: np.ndarray
    customer: np.ndarray  # customer of the session (after today's sign-ups for purchasers), -1 = anonymous
    logged_in: np.ndarray
    late_days: np.ndarray  # app sessions sent late: days of delay, else 0
    bounced: np.ndarray
    purchase: np.ndarray
    counts: np.ndarray  # (sessions, segments)
    ev_sess: np.ndarray
    ev_seg: np.ndarray
    ev_ts: np.ndarray
    ev_product: np.ndarray  # -1 = none
    ev_qty: np.ndarray
    new_customers: np.ndarray  # customer indices registered today
    order_created: np.ndarray  # per purchasing session (in `purchase` order): order creation time
    line_sess: np.ndarray  # order lines of purchasing sessions: session index, product, quantity
    line_product: np.ndarray
    line_qty: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    def session_ids(self, idx: np.ndarray) -> pl.Series:
        return idstr("s", self.ids[idx], 10)


def _campaign_weights(plan: Plan, d: int) -> np.ndarray:
    w = _CAMP_W.copy()
    if not plan.campaign_active(d):
        w[_CAMP_PROMO] = 0.0
    return w


def simulate_sessions(world: World, d: int, rng: np.random.Generator) -> Sessions:
    cal, plan, people, cat = world.cal, world.plan, world.people, world.catalogue
    promo = plan.is_promo(d)
    mult = P.WEEKDAY[cal.weekday(d)] * (P.PROMO_TRAFFIC if promo else 1.0) * (1 + P.GROWTH_PER_DAY * d)
    mult *= P.OUTAGE_TRAFFIC if d == plan.outage_day else 1.0
    n = int(rng.poisson(world.scale.sessions_per_day * mult * np.exp(rng.normal(0, P.DAY_NOISE))))

    # who: returning devices (weighted: some visit often) and brand-new ones
    n_ret = int(rng.binomial(n, P.RETURNING_SESSION_SHARE))
    visitor = np.concatenate([people.sample_visitors(rng, n_ret), people.new_visitors(rng, n - n_ret)])
    vis = people.visitors
    platform = vis["platform"][visitor].astype(np.int64)
    country = vis["country"][visitor].astype(np.int64)
    cust0 = vis["cust"][visitor].copy()  # customer at session start
    ip = np.where(rng.random(n) < P.NEW_IP_SHARE, world.geo.ips(rng, country), vis["ip"][visitor])

    # when: hourly profile in local time; late-evening sessions may run past midnight
    hour = pick(rng, P.HOURLY, n)
    t0 = cal.midnight(d) + hour * HOUR_MS + rng.integers(0, HOUR_MS, size=n)

    # where from
    audience = np.where(country != world.geo.home, 3, platform)
    weights = _campaign_weights(plan, d)
    campaign = np.zeros(n, dtype=np.int64)
    for a in range(4):
        rows = np.flatnonzero(audience == a)
        campaign[rows] = pick(rng, weights[:, a], len(rows))

    variant = np.where(vis["flip"][visitor], rng.integers(0, 2, size=n), vis["variant"][visitor]).astype(np.int64)

    # funnel
    u = rng.random((n, 12))
    bounced = u[:, 0] < _CAMP_BOUNCE[campaign]
    nb = ~bounced
    counts = np.zeros((n, len(P.SEGMENTS)), dtype=np.int64)
    counts[:, SEG["landing"]] = 1
    counts[:, SEG["video"]] = nb & _CAMP_VIDEO[campaign] & (u[:, 1] < P.P_VIDEO)
    counts[:, SEG["claim"]] = nb & promo & (u[:, 2] < P.P_COUPON_CLAIM)
    counts[:, SEG["browse"]] = nb * rng.poisson(P.BROWSE_MEAN, n)
    counts[:, SEG["search"]] = (nb & (u[:, 3] < P.SEARCH_SHARE)) * (1 + rng.poisson(0.3, n))
    views = (nb & (u[:, 4] < P.P_PRODUCT)) * (1 + rng.poisson(P.PRODUCT_VIEWS_EXTRA_MEAN, n))
    conv = _CAMP_CONV[campaign] * (P.PROMO_CONVERSION if promo else 1.0) * np.where(cust0 >= 0, 1.25, 1.0)
    cart = (views > 0) & (u[:, 5] < np.minimum(0.95, P.P_CART * conv))
    n_cart = cart * (1 + (u[:, 6] < P.P_SECOND_CART))
    counts[:, SEG["product"]] = np.maximum(views, n_cart)
    counts[:, SEG["cart"]] = n_cart
    counts[:, SEG["remove"]] = (n_cart >= 2) & (u[:, 7] < P.P_REMOVE)
    checkout = cart & (u[:, 8] < P.P_CHECKOUT)
    counts[:, SEG["checkout"]] = checkout
    p_buy = np.minimum(0.97, P.P_PURCHASE * np.where(variant == 1, 1 + P.EXPERIMENT_LIFT, 1.0))
    purchase = checkout & (u[:, 9] < p_buy)
    counts[:, SEG["purchase"]] = purchase
    counts[:, SEG["share"]] = nb & (u[:, 10] < P.P_SHARE)

    # events, in session order then segment order
    per_cell = counts.ravel()
    total = counts.sum(axis=1)
    ev_sess = np.repeat(np.arange(n), total)
    ev_seg = np.repeat(np.tile(np.arange(len(P.SEGMENTS)), n), per_cell)
    ev_k = within_group_index(per_cell)
    sess_start = np.cumsum(total) - total
    seg_offset = np.cumsum(counts, axis=1) - counts  # position of each segment inside its session
    m = len(ev_sess)
    gap_min = np.array([P.SEGMENT_GAP[s][0] for s in P.SEGMENTS], dtype=np.float64)
    gap_mean = np.array([P.SEGMENT_GAP[s][1] for s in P.SEGMENTS], dtype=np.float64)
    gaps = ((gap_min[ev_seg] + rng.exponential(1.0, m) * gap_mean[ev_seg]) * 1000).astype(np.int64)
    gaps += rng.integers(0, 1000, size=m)
    gaps[sess_start] = 0
    csum = np.cumsum(gaps)
    ev_ts = t0[ev_sess] + csum - csum[sess_start][ev_sess]

    # products: viewed by popularity, carted from the session's own views
    weights_p = cat.weights(d)
    ev_product = np.full(m, -1, dtype=np.int64)
    is_view = ev_seg == SEG["product"]
    ev_product[is_view] = pick(rng, weights_p, int(is_view.sum()))
    landing_product = (ev_seg == SEG["landing"]) & (
        np.array([c.landing == "product" for c in _CAMP])[campaign][ev_sess]
    )
    ev_product[landing_product] = pick(rng, weights_p, int(landing_product.sum()))
    view_pos = sess_start + seg_offset[:, SEG["product"]]
    is_cart = ev_seg == SEG["cart"]
    ev_product[is_cart] = ev_product[view_pos[ev_sess[is_cart]] + ev_k[is_cart]]
    cart_pos = sess_start + seg_offset[:, SEG["cart"]]
    is_remove = ev_seg == SEG["remove"]
    rs = ev_sess[is_remove]
    ev_product[is_remove] = ev_product[cart_pos[rs] + n_cart[rs] - 1]
    is_share = (ev_seg == SEG["share"]) & (counts[ev_sess, SEG["product"]] > 0)
    ev_product[is_share] = ev_product[view_pos[ev_sess[is_share]]]
    ev_qty = np.where(is_cart | is_remove, 1 + pick(rng, P.QTY_P, m), 0)
    ev_qty[is_remove] = ev_qty[cart_pos[rs] + n_cart[rs] - 1]

    # sign-ups: first-time buyers register at checkout; a few browsers register without buying
    # (only read for sessions that reached checkout; others are clipped to a valid index)
    checkout_ts = ev_ts[np.minimum(sess_start + seg_offset[:, SEG["checkout"]], m - 1)]
    buy = np.flatnonzero(purchase)
    anon_buy = buy[cust0[buy] < 0]
    anon_buy = anon_buy[np.argsort(checkout_ts[anon_buy], kind="stable")]
    vis_new, first = np.unique(visitor[anon_buy], return_index=True)
    first_sess = anon_buy[first]
    signup = np.maximum(t0[first_sess], checkout_ts[first_sess] - 20_000)
    registered = people.new_customers(rng, vis_new, signup - signup % 1000)
    browse_reg = np.flatnonzero(nb & ~purchase & (cust0 < 0) & (u[:, 11] < P.SIGNUP_WITHOUT_ORDER))
    browse_reg = browse_reg[~np.isin(visitor[browse_reg], vis_new)]
    v2, first2 = np.unique(visitor[browse_reg], return_index=True)
    last_ev = ev_ts[sess_start[browse_reg[first2]] + total[browse_reg[first2]] - 1]
    registered2 = people.new_customers(rng, v2, last_ev - last_ev % 1000)
    customer = np.where(purchase, vis["cust"][visitor], cust0)
    logged_in = (cust0 >= 0) & (rng.random(n) < P.LOGGED_IN_SHARE)
    late = np.where(
        (platform == _APP) & (rng.random(n) < P.LATE_APP_SESSION_SHARE), rng.integers(1, P.LATE_MAX_DAYS + 1, size=n), 0
    )

    # orders: created between checkout and the purchase (confirmation) event
    purchase_ts = ev_ts[sess_start[buy] + seg_offset[buy, SEG["purchase"]]]
    created = checkout_ts[buy] + (purchase_ts - checkout_ts[buy]) * 35 // 100
    created -= created % 1000
    # order lines: the session's cart lines except the removed one, one line per product
    line_ev = np.flatnonzero(is_cart & purchase[ev_sess])
    keep = ~(
        (counts[ev_sess[line_ev], SEG["remove"]] > 0)
        & (line_ev == cart_pos[ev_sess[line_ev]] + n_cart[ev_sess[line_ev]] - 1)
    )
    line_ev = line_ev[keep]
    lines = (
        pl.DataFrame({"s": ev_sess[line_ev], "p": ev_product[line_ev], "q": ev_qty[line_ev]})
        .group_by("s", "p", maintain_order=True)
        .agg(pl.col("q").sum())
    )

    return Sessions(
        d=d,
        ids=world.next_ids("session", n),
        visitor=visitor,
        platform=platform,
        country=country,
        ip=ip,
        campaign=campaign,
        variant=variant,
        customer=customer,
        logged_in=logged_in,
        late_days=late,
        bounced=bounced,
        purchase=purchase,
        counts=counts,
        ev_sess=ev_sess,
        ev_seg=ev_seg,
        ev_ts=ev_ts,
        ev_product=ev_product,
        ev_qty=ev_qty,
        new_customers=np.concatenate([registered, registered2]),
        order_created=created,
        line_sess=lines["s"].to_numpy(),
        line_product=lines["p"].to_numpy(),
        line_qty=lines["q"].to_numpy(),
    )


def events_frame(
    world: World,
    s: Sessions,
    order_id: pl.Series,
    order_total: np.ndarray,
    order_currency: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """traffic/events rows of the day's sessions (typed: event_ts in ms, value in cents), with
    `_batch` (arrival batch), `_part` (file: platform), `_late` and `_dup` (0 original,
    1 duplicate in the same batch, 2 duplicate re-sent in the next batch)."""
    cal, cat, geo = world.cal, world.catalogue, world.geo
    m = len(s.ev_sess)
    sess, seg = s.ev_sess, s.ev_seg
    camp = s.campaign[sess]
    platform = s.platform[sess]
    names = np.array([_EVENT_NAME[x] for x in P.SEGMENTS], dtype=object)
    page = np.array([_FIXED_PAGE.get(x, "") for x in P.SEGMENTS], dtype=object)[seg]
    is_landing = seg == SEG["landing"]
    page[is_landing] = np.array([c.landing for c in _CAMP], dtype=object)[camp[is_landing]]
    is_browse = seg == SEG["browse"]
    page[is_browse] = np.array(P.BROWSE_PAGE_TYPES, dtype=object)[
        rng.integers(len(P.BROWSE_PAGE_TYPES), size=int(is_browse.sum()))
    ]
    is_pv = is_landing | is_browse
    is_search = seg == SEG["search"]
    query = np.full(m, -1)
    query[is_search] = rng.integers(len(P.SEARCH_QUERIES), size=int(is_search.sum()))

    customer = s.customer[sess]
    checkout_or_later = seg >= SEG["checkout"]
    uid = np.where(
        (customer >= 0) & (s.logged_in[sess] | (checkout_or_later & (s.counts[sess, SEG["checkout"]] > 0))),
        customer,
        -1,
    )
    currency = world.geo.currency[s.country[sess]]
    has_value = np.isin(seg, [SEG["cart"], SEG["remove"]])
    value = np.zeros(m, dtype=np.int64)
    value[has_value] = s.ev_qty[has_value] * cat.price(s.ev_product[has_value], currency[has_value], s.d)
    is_purchase = seg == SEG["purchase"]
    buy_sess = np.flatnonzero(s.purchase)
    pos_of_sess = np.full(s.n, -1)
    pos_of_sess[buy_sess] = np.arange(len(buy_sess))
    value[is_purchase] = order_total[pos_of_sess[sess[is_purchase]]]
    currency[is_purchase] = order_currency[pos_of_sess[sess[is_purchase]]]
    has_value |= is_purchase
    exposed = np.isin(seg, [SEG[x] for x in P.EXPERIMENT_SEGMENTS])
    load_ms = np.exp(rng.normal(0, P.PAGE_LOAD_SIGMA, m)) * np.array(P.PAGE_LOAD_MEDIAN_MS)[platform]
    load_ms *= P.PROMO_LOAD if world.plan.is_promo(s.d) else 1.0
    ev_day = cal.day_of(s.ev_ts)

    product_id = cat.ids.gather(np.maximum(s.ev_product, 0))
    category = take(cat.category, np.maximum(s.ev_product, 0))
    df = pl.DataFrame(
        {
            "event_id": idstr("e", world.next_ids("event", m), 11),
            "event_ts": s.ev_ts,
            "anonymous_id": visitor_ids(s.visitor[sess]),
            "_uid": uid,
            "session_id": idstr("s", s.ids[sess], 10),
            "event_name": take(list(names), seg),
            "page_type": pl.Series(page.tolist(), dtype=pl.String),
            "_sess": sess,
            "_platform": platform,
            "_camp": camp,
            "_landing": is_landing,
            "_pv": is_pv,
            "_product": s.ev_product,
            "_pid": product_id,
            "_cat": category,
            "_query": query,
            "platform": take(PLATFORMS, platform),
            "device_type": take(DEVICE_TYPES, world.people.visitors["device"][s.visitor[sess]]),
            "country": take(geo.codes, s.country[sess]),
            "_has_value": has_value,
            "value": value,
            "currency": take(CURRENCIES, currency),
            "page_load_ms": np.round(load_ms).astype(np.int64),
            "_exposed": exposed,
            "variant": take(P.EXPERIMENT_VARIANTS, s.variant[sess]),
            "ip_address": ip_strings(s.ip[sess]),
            "_purchase": is_purchase,
            "_order_pos": np.where(is_purchase, pos_of_sess[sess], 0),
            "_late": s.late_days[sess] > 0,
            "_batch": ev_day + s.late_days[sess],
        }
    )
    hosts = take(P.HOSTS, platform)
    camp_src = take([c.utm_source for c in _CAMP], camp)
    camp_med = take([c.utm_medium for c in _CAMP], camp)
    camp_name = take([c.utm_campaign for c in _CAMP], camp)
    camp_ref = take([c.referrer for c in _CAMP], camp)
    queries = take(P.SEARCH_QUERIES, np.maximum(query, 0))
    cust_ids = world.people.customer_ids(np.maximum(uid, 0))
    order_ids = (
        order_id.gather(df["_order_pos"].to_numpy()) if len(order_id) else pl.Series([None] * m, dtype=pl.String)
    )
    df = df.with_columns(
        _host=hosts,
        _src=camp_src,
        _med=camp_med,
        _cmp=camp_name,
        _ref=camp_ref,
        _q=queries,
        _cust=cust_ids,
        _oid=order_ids,
    )
    path = (
        pl.when(pl.col("page_type") == "home")
        .then(pl.lit("/"))
        .when(pl.col("page_type") == "category")
        .then("/c/" + pl.col("_cat"))
        .when(pl.col("page_type") == "product")
        .then("/p/" + pl.col("_pid"))
        .when(pl.col("page_type") == "search")
        .then("/search?q=" + pl.col("_q").str.replace_all(" ", "+"))
        .when(pl.col("page_type") == "cart")
        .then(pl.lit("/cart"))
        .when(pl.col("page_type") == "checkout")
        .then(pl.lit("/checkout"))
        .when(pl.col("page_type") == "confirmation")
        .then(pl.lit("/checkout/done"))
        .when(pl.col("page_type") == "live")
        .then("/live/" + (pl.col("_camp") * 7 + 100).cast(pl.String))
        .otherwise("/content/" + (pl.col("_sess") % 97 + 1).cast(pl.String))
    )
    utm = pl.col("_landing") & pl.col("_src").is_not_null()
    utm_query = pl.concat_str(
        pl.lit("utm_source="), "_src", pl.lit("&utm_medium="), "_med", pl.lit("&utm_campaign="), "_cmp"
    )
    url = pl.col("_host") + pl.col("_path")
    in_app = pl.col("_platform") == _APP
    df = (
        df.with_columns(_path=path)
        .with_columns(
            page_url=pl.when(utm)
            .then(
                pl.concat_str(
                    url,
                    pl.when(pl.col("_path").str.contains("?", literal=True)).then(pl.lit("&")).otherwise(pl.lit("?")),
                    utm_query,
                )
            )
            .otherwise(url),
        )
        .with_columns(
            referrer=pl.when(pl.col("_landing"))
            .then(pl.when(~in_app).then("_ref"))
            .when(~in_app)
            .then(pl.col("page_url").shift(1)),
            utm_source=pl.when("_landing").then("_src"),
            utm_medium=pl.when("_landing").then("_med"),
            utm_campaign=pl.when("_landing").then("_cmp"),
            user_id=pl.when(pl.col("_uid") >= 0).then("_cust"),
            product_id=pl.when(pl.col("_product") >= 0).then("_pid"),
            search_query=pl.when(pl.col("_query") >= 0).then("_q"),
            order_id=pl.when("_purchase").then("_oid"),
            value=pl.when("_has_value").then("value"),
            currency=pl.when("_has_value").then("currency"),
            page_load_ms=pl.when("_pv").then("page_load_ms"),
            experiment_id=pl.when("_exposed").then(pl.lit(P.EXPERIMENT_ID)),
            variant=pl.when("_exposed").then("variant"),
            _part=pl.col("platform"),
        )
    )
    # client retries: exact copies, in the same file or re-sent with the next batch
    dup = np.flatnonzero(rng.random(m) < P.DUPLICATE_SHARE)
    next_batch = rng.random(len(dup)) < P.DUPLICATE_NEXT_BATCH
    df = df.with_columns(_dup=pl.lit(0, pl.Int8))
    copies = df[dup].with_columns(
        _dup=pl.Series(np.where(next_batch, 2, 1).astype(np.int8)),
        _batch=pl.col("_batch") + pl.Series(next_batch.astype(np.int32)),
    )
    return pl.concat([df, copies])
