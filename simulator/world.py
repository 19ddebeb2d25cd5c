"""The simulated shop's long-lived state: geography, the product catalogue, visitors, customers.

Everything here is columnar numpy; rows for the landing files are rendered as polars frames in
the simulator's internal types (timestamps as epoch ms, money as integer cents).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from simulator import params as P
from simulator.calendar import DAY_MS, HOUR_MS, MINUTE_MS, Calendar, Plan
from simulator.util import Columns, idstr, pick, scramble, take

CURRENCIES = ("CNY", "USD", "EUR", "GBP", "JPY", "HKD")  # currencies orders and prices use


def ip_strings(ip: np.ndarray) -> pl.Series:
    ip = np.asarray(ip, dtype=np.int64)
    parts = [pl.Series((ip >> s) & 255).cast(pl.String) for s in (24, 16, 8, 0)]
    return pl.select(pl.concat_str([pl.lit(p) for p in parts], separator=".")).to_series()


# --------------------------------------------------------------------------- geography


class Geography:
    def __init__(self, home_country: str):
        codes = [c.code for c in P.COUNTRIES]
        if home_country not in codes:
            raise ValueError(f"home_country {home_country!r} is not simulated (choose one of {', '.join(codes)})")
        self.codes = codes
        self.home = codes.index(home_country)
        self.currency = np.array([CURRENCIES.index(c.currency) for c in P.COUNTRIES], dtype=np.int64)
        self.domestic_currency = P.COUNTRIES[self.home].currency
        fw = [0.0 if i == self.home else (c.foreign_weight or 0.15) for i, c in enumerate(P.COUNTRIES)]
        self.foreign_weights = np.array(fw)
        regions, cities, country, weight = [], [], [], []
        for i, c in enumerate(P.COUNTRIES):
            for region, city, w in c.cities:
                regions.append(region)
                cities.append(city)
                country.append(i)
                weight.append(w)
        self.city_region, self.city_name = regions, cities
        self.city_country = np.array(country, dtype=np.int64)
        self.city_weight = np.array(weight, dtype=np.float64)

    def sample_countries(self, rng: np.random.Generator, foreign: np.ndarray) -> np.ndarray:
        out = np.full(len(foreign), self.home, dtype=np.int64)
        k = int(foreign.sum())
        out[foreign] = pick(rng, self.foreign_weights, k)
        return out

    def sample_cities(self, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        out = np.zeros(len(country), dtype=np.int64)
        for c in np.unique(country):
            rows = np.flatnonzero(country == c)
            cand = np.flatnonzero(self.city_country == c)
            out[rows] = cand[pick(rng, self.city_weight[cand], len(rows))]
        return out

    def ips(self, rng: np.random.Generator, country: np.ndarray) -> np.ndarray:
        out = np.zeros(len(country), dtype=np.int64)
        for c in np.unique(country):
            rows = np.flatnonzero(country == c)
            octets = np.array(P.COUNTRIES[c].ip_octets, dtype=np.int64)
            out[rows] = (octets[rng.integers(len(octets), size=len(rows))] << 24) | rng.integers(
                1, 1 << 24, size=len(rows)
            )
        return out


# --------------------------------------------------------------------------- catalogue


def _charm(cents: np.ndarray, currency: str) -> np.ndarray:
    """Shop-style price points: CNY whole yuan, JPY tens of yen, HKD whole dollars, else x.99."""
    c = np.asarray(cents, dtype=np.float64)
    if currency in ("CNY", "HKD"):
        return np.maximum(100, np.round(c / 100) * 100).astype(np.int64)
    if currency == "JPY":
        return np.maximum(1000, np.round(c / 1000) * 1000).astype(np.int64)
    return np.maximum(99, np.round(c / 100) * 100 - 1).astype(np.int64)


class Catalogue:
    """Products with a popularity, a price that may change once, a launch and maybe a retirement."""

    def __init__(self, n: int, rng: np.random.Generator, cal: Calendar, domestic_currency: str):
        self.n, self.cal, self.domestic = n, cal, domestic_currency
        days = cal.days
        row = rng.integers(len(P.CATALOGUE), size=n)
        self.category = [P.CATALOGUE[r][0] for r in row]
        self.subcategory = [P.CATALOGUE[r][1] for r in row]
        self.brand, self.title = [], []
        suffix = rng.integers(len(P.VARIANT_SUFFIXES), size=n)
        pick_brand, pick_item = rng.random(n), rng.random(n)
        for i, r in enumerate(row):  # catalogue-sized loop (hundreds of products)
            brands, items = P.CATALOGUE[r][3], P.CATALOGUE[r][4]
            b = brands[int(pick_brand[i] * len(brands))]
            self.brand.append(b)
            self.title.append(f"{b} {items[int(pick_item[i] * len(items))]}{P.VARIANT_SUFFIXES[suffix[i]]}")
        median = np.array([P.CATALOGUE[r][2] for r in row], dtype=np.float64)
        yuan = np.clip(median * np.exp(rng.normal(0, P.PRICE_SIGMA, n)), 9, P.PRICE_MAX_CNY)
        self.price_cny = _charm(yuan * 100, "CNY")  # CNY cents, the base of every price list
        self.cost_ratio = rng.uniform(0.35, 0.65, n)

        kind = rng.random(n)
        c1 = P.INACTIVE_SHARE
        c2 = c1 + P.NEVER_SELLS_SHARE
        c3 = c2 + (P.LAUNCH_SHARE if days > 2 else 0)
        self.retired = kind < c1  # inactive from before the start
        self.never_sells = (kind >= c1) & (kind < c2)
        launched_now = (kind >= c2) & (kind < c3)
        start = cal.midnight(0)
        old = start - (rng.uniform(60, 900, n) * DAY_MS).astype(np.int64)
        self.launch_day = np.where(launched_now, rng.integers(1, max(days, 2), size=n), -(10**6))
        new_ts = np.array([cal.midnight(int(d)) if d > -(10**6) else 0 for d in self.launch_day], dtype=np.int64)
        new_ts = new_ts + 10 * HOUR_MS + rng.integers(0, 120, size=n) * MINUTE_MS
        self.launched_ms = np.where(launched_now, new_ts, old)
        self.launched_ms -= self.launched_ms % 1000
        rest = ~(self.retired | self.never_sells | launched_now)
        self.retire_day = np.where(
            rest & (rng.random(n) < P.DEACTIVATE_SHARE / (1 - c3)), rng.integers(1, max(days, 2), size=n), 10**6
        )
        self.change_day = np.where(
            ~self.retired & (rng.random(n) < P.PRICE_CHANGE_SHARE), rng.integers(1, max(days, 2), size=n), 10**6
        )
        # a price can only change after the product is launched (else the change row would carry
        # a launch time in its batch's future)
        self.change_day = np.where(self.change_day <= self.launch_day, 10**6, self.change_day)
        self.new_price_cny = _charm(self.price_cny * rng.choice([0.85, 0.9, 1.1, 1.15], size=n), "CNY")
        rank = rng.permutation(n) + 1
        self.popularity = (1.0 / rank**P.POPULARITY_ZIPF) * np.exp(rng.normal(0, 0.3, n))
        self.popularity[self.retired | self.never_sells] = 0.0
        self.ids = idstr("P", np.arange(1, n + 1) * 7 + 10000, 6)
        # second edition (planted by `plant_costs` and `plant_stockouts`; none by default)
        self.no_cost = np.zeros(n, bool)
        self.cost_change_day = np.full(n, 10**6)
        self.new_cost_ratio = self.cost_ratio.copy()
        self.stockouts: list[tuple[int, int, int]] = []  # (product, first day, last day)

    def plant_costs(self, rng: np.random.Generator) -> None:
        """Products without a cost, and cost changes during the period (own random stream, so the
        rest of the shop stays as it was)."""
        n, days = self.n, self.cal.days
        u = rng.random((n, 2))
        self.no_cost = u[:, 0] < P.NO_COST_SHARE
        day = rng.integers(1, max(days, 2), size=n)
        ok = ~self.no_cost & ~self.retired & (u[:, 1] < P.COST_CHANGE_SHARE) & (day > self.launch_day)
        ok &= day < self.retire_day
        self.cost_change_day = np.where(ok & (days > 2), day, 10**6)
        self.new_cost_ratio = self.cost_ratio * rng.choice(P.COST_CHANGE_FACTORS, size=n)

    def plant_stockouts(self, first_days: tuple[int, ...]) -> None:
        """The top sellers by revenue (expected units x price: what kpis.md's stockout alert ranks
        by) on sale the whole period run out of stock for a few days each: nobody can buy them
        then (inventory snapshots show 0 on hand)."""
        whole = (self.launch_day < 0) & (self.retire_day >= 10**6) & (self.popularity > 0)
        revenue = self.popularity * self.price_cny
        top = [int(i) for i in np.argsort(-revenue) if whole[i]][: P.STOCKOUT_PRODUCTS]
        self.stockouts = [
            (p, d, min(d + P.STOCKOUT_DAYS - 1, self.cal.days - 1)) for p, d in zip(top, first_days) if d >= 1
        ]

    def weights(self, d: int) -> np.ndarray:
        """Popularity of the products one can buy on day d."""
        ok = (self.launch_day <= d) & (self.retire_day > d)
        for p, first, last in self.stockouts:
            if first <= d <= last:
                ok[p] = False
        return np.where(ok, self.popularity, 0.0)

    def unit_cost(self, idx: np.ndarray, day: np.ndarray, price: np.ndarray) -> pl.Series:
        """Unit cost (domestic cents) of products `idx` in rows of local day `day` with list price
        `price`; null for the products without a cost."""
        ratio = np.where(day >= self.cost_change_day[idx], self.new_cost_ratio[idx], self.cost_ratio[idx])
        cost = pl.Series(np.round(price * ratio).astype(np.int64))
        return cost.zip_with(pl.Series(~self.no_cost[idx]), pl.Series([None] * len(idx), dtype=pl.Int64))

    def cost_truths(self) -> dict:
        """Products without cost and the planted cost changes (domestic currency units)."""
        ch = np.flatnonzero(self.cost_change_day < 10**6)
        changes = []
        for i in ch:
            d = int(self.cost_change_day[i])
            price = self._domestic(np.array([self.new_price_cny[i] if self.change_day[i] < d else self.price_cny[i]]))
            old = self.unit_cost(np.array([i]), np.array([d - 1]), price)[0]
            new = self.unit_cost(np.array([i]), np.array([d]), price)[0]
            changes.append(
                {
                    "product_id": self.ids[int(i)],
                    "date": self.cal.date(d).isoformat(),
                    "old_unit_cost": round(old / 100, 2),
                    "new_unit_cost": round(new / 100, 2),
                }
            )
        return {
            "products_without_cost": sorted(self.ids.gather(np.flatnonzero(self.no_cost)).to_list()),
            "cost_changes": changes,
        }

    def price(self, product: np.ndarray, currency: np.ndarray, d: int) -> np.ndarray:
        """Unit price in cents of each (product, currency index) on day d."""
        base = np.where(self.change_day <= d, self.new_price_cny, self.price_cny)[product]
        out = np.zeros(len(product), dtype=np.int64)
        for ci in np.unique(currency):
            rows = currency == ci
            cur = CURRENCIES[ci]
            out[rows] = base[rows] if cur == "CNY" else _charm(base[rows] * P.PRICE_LIST_FACTOR[cur], cur)
        return out

    def rows(self) -> pl.DataFrame:
        """Every product row the period produces: the initial export (batch 0), launches,
        price changes and retirements (typed, with `_batch`)."""
        cal, n = self.cal, self.n
        start = cal.midnight(0)
        idx = np.arange(n)
        existing = self.launch_day < 0
        parts = []

        def frame(sel, updated, price_cny, active):
            p = self._domestic(price_cny[sel])
            return pl.DataFrame(
                {
                    "_i": idx[sel],
                    "updated_at": updated,
                    "list_price": p,
                    "unit_cost": self.unit_cost(idx[sel], cal.day_of(np.asarray(updated, dtype=np.int64)), p),
                    "is_active": active,
                }
            )

        parts.append(
            frame(
                existing,
                np.full(existing.sum(), start + HOUR_MS, dtype=np.int64),
                self.price_cny,
                ~self.retired[existing],
            )
        )
        new = ~existing
        parts.append(frame(new, self.launched_ms[new], self.price_cny, np.ones(new.sum(), bool)))
        ch = self.change_day < 10**6
        ch_ts = (
            np.array([cal.midnight(int(d)) for d in self.change_day[ch]], dtype=np.int64) + 8 * HOUR_MS + idx[ch] * 1000
        )
        parts.append(frame(ch, ch_ts, self.new_price_cny, np.ones(ch.sum(), bool)))
        rt = self.retire_day < 10**6
        rt_ts = (
            np.array([cal.midnight(int(d)) for d in self.retire_day[rt]], dtype=np.int64) + 9 * HOUR_MS + idx[rt] * 1000
        )
        price_at = np.where(self.change_day < self.retire_day, self.new_price_cny, self.price_cny)
        parts.append(frame(rt, rt_ts, price_at, np.zeros(rt.sum(), bool)))
        cc = self.cost_change_day < 10**6  # a new cost version: same price and status, new unit_cost
        cc_ts = (
            np.array([cal.midnight(int(d)) for d in self.cost_change_day[cc]], dtype=np.int64)
            + 7 * HOUR_MS
            + idx[cc] * 1000
        )
        price_cc = np.where(self.change_day < self.cost_change_day, self.new_price_cny, self.price_cny)
        parts.append(frame(cc, cc_ts, price_cc, np.ones(cc.sum(), bool)))
        df = pl.concat(parts)
        i = df["_i"].to_numpy()
        df = df.with_columns(
            product_id=self.ids.gather(i),
            title=take(self.title, i),
            category=take(self.category, i),
            subcategory=take(self.subcategory, i),
            brand=take(self.brand, i),
            currency=pl.lit(self.domestic),
            launched_at=pl.Series(self.launched_ms[i]),
            _batch=pl.Series(cal.day_of(df["updated_at"].to_numpy())),
        )
        return df

    def _domestic(self, cny: np.ndarray) -> np.ndarray:
        return cny if self.domestic == "CNY" else _charm(cny * P.PRICE_LIST_FACTOR[self.domestic], self.domestic)


# --------------------------------------------------------------------------- people


class Population:
    """Devices (visitors, one anonymous_id each) and the customers some of them became."""

    def __init__(self, geo: Geography, cal: Calendar):
        self.geo, self.cal = geo, cal
        self.visitors = Columns(
            {
                "platform": np.int8,
                "device": np.int8,
                "country": np.int16,
                "ip": np.int64,
                "variant": np.int8,
                "flip": np.bool_,
                "weight": np.float64,
                "cust": np.int64,
            }
        )
        self.customers = Columns(
            {
                "visitor": np.int64,
                "country": np.int16,
                "city": np.int32,
                "signup": np.int64,
                "birth": np.int32,
                "given": np.int32,
                "surname": np.int32,
                "email": np.int8,
                "phone": np.int64,
            }
        )
        # name tables flattened over styles
        self._styles = list(P.NAMES)
        self._given, self._surname, self._email_key = [], [], []
        self._g_off, self._s_off = [], []
        for style in self._styles:
            given, surnames, _ = P.NAMES[style]
            self._g_off.append((len(self._given), len(given)))
            self._s_off.append((len(self._surname), len(surnames)))
            self._given.extend(given)
            self._surname.extend(surnames)
            if style == "zh":
                self._email_key.extend(P.ZH_PINYIN)
            else:
                self._email_key.extend(s.lower().replace("'", "") if s.isascii() else "user" for s in surnames)
        self._style_of_country = np.array([self._styles.index(c.names) for c in P.COUNTRIES], dtype=np.int64)
        self._zh_order = np.array([P.NAMES[s][2] for s in self._styles])

    # ---- visitors

    def new_visitors(
        self,
        rng: np.random.Generator,
        n: int,
        weight_boost: float = 1.0,
        foreign_share: float = P.FOREIGN_VISITOR_SHARE,
    ) -> np.ndarray:
        foreign = rng.random(n) < foreign_share
        country = self.geo.sample_countries(rng, foreign)
        platform = np.where(foreign, pick(rng, P.FOREIGN_VISITOR_PLATFORM, n), pick(rng, P.NEW_VISITOR_PLATFORM, n))
        u = rng.random(n)
        device = np.zeros(n, dtype=np.int64)
        for p, mix in enumerate(P.DEVICE_MIX):
            cum = np.cumsum(mix)
            rows = platform == p
            device[rows] = np.minimum(np.searchsorted(cum, u[rows], side="right"), len(mix) - 1)
        weight = np.clip(rng.lognormal(0, P.VISITOR_WEIGHT_SIGMA, n), 0.05, P.VISITOR_WEIGHT_MAX) * weight_boost
        return self.visitors.append(
            platform=platform,
            device=device,
            country=country,
            ip=self.geo.ips(rng, country),
            variant=rng.integers(0, 2, size=n),
            flip=rng.random(n) < P.FLIP_VISITOR_SHARE,
            weight=weight,
            cust=np.full(n, -1),
        )

    def sample_visitors(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return pick(rng, self.visitors["weight"], n)

    # ---- customers

    def new_customers(self, rng: np.random.Generator, visitor: np.ndarray, signup_ms: np.ndarray) -> np.ndarray:
        n = len(visitor)
        country = self.visitors["country"][visitor].astype(np.int64)
        style = self._style_of_country[country]
        g_off = np.array(self._g_off)[style]
        s_off = np.array(self._s_off)[style]
        year = self.cal.start.year
        birth = np.where(
            rng.random(n) < P.P_NO_BIRTH_YEAR, 0, np.clip(np.round(rng.normal(year - 32, 10, n)), year - 75, year - 16)
        ).astype(np.int64)
        email = np.where(rng.random(n) < P.P_NO_EMAIL, -1, rng.integers(len(P.EMAIL_DOMAINS), size=n))
        phone = np.where(rng.random(n) < P.P_NO_PHONE, -1, rng.integers(0, 10**9, size=n))
        idx = self.customers.append(
            visitor=visitor,
            country=country,
            city=self.geo.sample_cities(rng, country),
            signup=signup_ms,
            birth=birth,
            given=g_off[:, 0] + (rng.random(n) * g_off[:, 1]).astype(np.int64),
            surname=s_off[:, 0] + (rng.random(n) * s_off[:, 1]).astype(np.int64),
            email=email,
            phone=phone,
        )
        self.visitors["cust"][visitor] = idx
        self.visitors["weight"][visitor] *= P.CUSTOMER_WEIGHT_BOOST
        return idx

    def move(self, rng: np.random.Generator, cust: np.ndarray) -> None:
        """Customers who moved (new city) and sometimes changed their phone number."""
        country = self.customers["country"][cust].astype(np.int64)
        self.customers["city"][cust] = self.geo.sample_cities(rng, country)
        new_phone = rng.random(len(cust)) < P.PHONE_CHANGE_SHARE
        self.customers["phone"][cust[new_phone]] = rng.integers(0, 10**9, size=int(new_phone.sum()))

    def customer_ids(self, cust: np.ndarray) -> pl.Series:
        return idstr("C", np.asarray(cust) + 1, 8)

    def customer_rows(self, cust: np.ndarray, updated_ms: np.ndarray) -> pl.DataFrame:
        """Rows of shop/customers for these customers as they are now (typed, no `_batch`)."""
        c = self.customers
        cust = np.asarray(cust, dtype=np.int64)
        country = c["country"][cust].astype(np.int64)
        style = self._style_of_country[country]
        email_dom = c["email"][cust]
        city = c["city"][cust]
        df = pl.DataFrame(
            {
                "customer_id": self.customer_ids(cust),
                "signup_at": c["signup"][cust],
                "_key": take(self._email_key, c["surname"][cust]),
                "_num": pl.Series(cust + 1).cast(pl.String),
                "_dom": take(P.EMAIL_DOMAINS, np.maximum(email_dom, 0)),
                "_has_email": email_dom >= 0,
                "phone": self._phones(country, c["phone"][cust]),
                "_given": take(self._given, c["given"][cust]),
                "_surname": take(self._surname, c["surname"][cust]),
                "_zh": self._zh_order[style],
                "birth_year": pl.Series(c["birth"][cust].astype(np.int64)).replace(0, None),
                "country": take(self.geo.codes, country),
                "region": take(self.geo.city_region, city),
                "city": take(self.geo.city_name, city),
                "updated_at": np.asarray(updated_ms, dtype=np.int64),
            }
        )
        return df.with_columns(
            email=pl.when("_has_email").then(pl.concat_str("_key", "_num", pl.lit("@"), "_dom")),
            full_name=pl.when("_zh")
            .then(pl.concat_str("_surname", "_given"))
            .otherwise(pl.concat_str("_given", pl.lit(" "), "_surname")),
        ).drop("_key", "_num", "_dom", "_has_email", "_given", "_surname", "_zh")

    def _phones(self, country: np.ndarray, seed: np.ndarray) -> pl.Series:
        out = pl.Series([None] * len(country), dtype=pl.String)
        for ci in np.unique(country):
            rows = np.flatnonzero((country == ci) & (seed >= 0))
            if not len(rows):
                continue
            pattern = P.COUNTRIES[ci].phone
            k = pattern.count("#")
            digits = pl.Series(seed[rows] % (10**k)).cast(pl.String).str.zfill(k)
            s = pl.Series([pattern] * len(rows))
            for j in range(k):
                s = s.str.replace("#", digits.str.slice(j, 1), literal=True, n=1)
            out = out.scatter(rows, s)
        return out


def visitor_ids(visitor: np.ndarray) -> pl.Series:
    """anonymous_id of a device: not sequential, stable per visitor."""
    return idstr("a", scramble(visitor, 387_420_489, 9), 9)


def device_ids(visitor: np.ndarray) -> pl.Series:
    return idstr("dev-", scramble(visitor, 19_487_171, 9), 9)


class World:
    """Geography, catalogue and population, plus the running id counters."""

    def __init__(self, scale: P.Scale, rng: np.random.Generator, cal: Calendar, plan: Plan, home_country: str):
        self.scale, self.cal, self.plan = scale, cal, plan
        self.geo = Geography(home_country)
        self.catalogue = Catalogue(scale.products, rng, cal, self.geo.domestic_currency)
        self.people = Population(self.geo, cal)
        self.counters = {k: 0 for k in ("session", "event", "order", "payment", "refund", "ticket", "service_event")}
        self.last_refund_day: dict[int, int] = {}  # customer -> order day of their last refund
        # the installed base on day 0: known devices, some of them customers who signed up before
        s = scale.sessions_per_day
        n_vis = max(50, round(3 * s))
        n_cust = max(30, round(0.9 * s))
        vis = self.people.new_visitors(rng, n_vis)
        start = cal.midnight(0)
        signup = start - (rng.uniform(1, 900, n_cust) * DAY_MS).astype(np.int64)
        self.initial_customers = self.people.new_customers(rng, vis[:n_cust], signup - signup % 1000)

    def next_ids(self, kind: str, n: int) -> np.ndarray:
        first = self.counters[kind]
        self.counters[kind] = first + n
        return np.arange(first + 1, first + n + 1, dtype=np.int64)
