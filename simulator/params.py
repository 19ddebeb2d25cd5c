"""The simulated shop's fixed parameters: scales, channels and campaigns, countries, catalogue.

Pure data, no randomness. Every other `sim_*` module reads its constants from here, so a
behaviour of the simulated shop (a conversion rate, a channel mix, a price level) is tuned in
one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeVar

from ingest import DEVICE_TYPES, PLATFORMS

T = TypeVar("T")


def in_order(enum: tuple[str, ...], **by_name: T) -> tuple[T, ...]:
    """A per-value table of a contract enum, given by name, as a tuple in the enum's order (the
    simulator indexes such tables by an enum value's position in the contract)."""
    if set(by_name) != set(enum):
        raise ValueError(f"expected exactly {enum}, got {tuple(by_name)}")
    return tuple(by_name[name] for name in enum)


# --------------------------------------------------------------------------- scales


@dataclass(frozen=True)
class Scale:
    """Daily volume of the simulated shop. `factor` scales every per-day count relative to
    `small`; catalogue and support team grow more slowly than traffic."""

    name: str
    factor: float
    orders_per_day: int  # about, on an ordinary weekday (the funnel produces them)
    events_per_day: int  # about
    products: int
    agents: int

    @property
    def sessions_per_day(self) -> float:
        return SESSIONS_PER_DAY_SMALL * self.factor


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 0.01, 10, 500, 40, 4),
    "small": Scale("small", 1.0, 1_000, 50_000, 200, 25),
    "large": Scale("large", 10.0, 10_000, 500_000, 800, 150),
}

# Calibrated so that `small` gives about 1,000 orders and 50,000 events on an ordinary day.
SESSIONS_PER_DAY_SMALL = 11_500

# --------------------------------------------------------------------------- time patterns

# Relative traffic per local hour (0..23): night trough, lunch bump, evening peak at 21h.
HOURLY = (
    0.9,
    0.5,
    0.3,
    0.2,
    0.15,
    0.2,
    0.4,
    0.8,
    1.2,
    1.5,
    1.7,
    1.8,
    2.0,
    1.9,
    1.7,
    1.7,
    1.8,
    1.9,
    2.0,
    2.4,
    2.9,
    3.2,
    2.8,
    1.9,
)
PEAK_HOUR = 21
# Monday .. Sunday: weekend lift.
WEEKDAY = (0.94, 0.92, 0.95, 0.97, 1.03, 1.14, 1.10)
GROWTH_PER_DAY = 0.002  # slow organic growth of traffic
DAY_NOISE = 0.05  # lognormal sigma of a day's traffic

PROMO_DAYS = 3
PROMO_TRAFFIC = 1.7  # sessions multiplier on promotion days
PROMO_CONVERSION = 1.45  # cart-step multiplier on promotion days
PROMO_COUPON = "MEGA30"
PROMO_COUPON_SHARE = 0.6
PROMO_LOAD = 1.3  # page loads get slower under promotion traffic

# --------------------------------------------------------------------------- traffic

# Platforms and device types are the contract's (PLATFORMS, DEVICE_TYPES); tables per value are
# given by name and laid out in the contract's order.
DEVICE_MIX = in_order(  # device type mix per platform
    PLATFORMS,
    web=in_order(DEVICE_TYPES, mobile=0.38, desktop=0.52, tablet=0.10),
    app=in_order(DEVICE_TYPES, mobile=0.90, desktop=0.0, tablet=0.10),
    mini_program=in_order(DEVICE_TYPES, mobile=1.0, desktop=0.0, tablet=0.0),
)
NEW_VISITOR_PLATFORM = in_order(PLATFORMS, web=0.30, app=0.40, mini_program=0.30)  # domestic
FOREIGN_VISITOR_PLATFORM = in_order(PLATFORMS, web=0.62, app=0.38, mini_program=0.0)
FOREIGN_VISITOR_SHARE = 0.085
RETURNING_SESSION_SHARE = 0.62  # sessions by an already known device
VISITOR_WEIGHT_SIGMA = 1.2  # heavy tail of visit frequency (repeat buyers)
VISITOR_WEIGHT_MAX = 25.0
CUSTOMER_WEIGHT_BOOST = 2.0  # known customers come back more often
LOGGED_IN_SHARE = 0.75  # sessions of known customers that are logged in from the start
SIGNUP_WITHOUT_ORDER = 0.012  # non-bounced anonymous sessions that register
NEW_IP_SHARE = 0.2  # sessions on another network than the device's usual one

HOSTS = in_order(
    PLATFORMS, web="https://www.shop.example.cn", app="app://shop", mini_program="https://mp.shop.example.cn"
)
PAGE_LOAD_MEDIAN_MS = in_order(PLATFORMS, web=1100.0, app=450.0, mini_program=750.0)
PAGE_LOAD_SIGMA = 0.55

# Funnel (per session). The cart step is multiplied by the campaign's conversion factor.
P_PRODUCT = 0.85  # non-bounced sessions that view a product
BROWSE_MEAN = 0.9  # extra page views
SEARCH_SHARE = 0.3
PRODUCT_VIEWS_EXTRA_MEAN = 1.3
P_CART = 0.33
P_SECOND_CART = 0.25
P_REMOVE = 0.3  # of sessions with two cart lines
P_CHECKOUT = 0.62
P_PURCHASE = 0.55  # of checkouts (control)
P_SHARE = 0.05
P_VIDEO = 0.6  # live / short-video landings that play a video
P_COUPON_CLAIM = 0.12  # non-bounced sessions on promotion days
QTY_P = (0.8, 0.15, 0.05)  # quantity 1, 2, 3 per cart line

# Gap before an event of each segment: (minimum seconds, mean of the exponential part)
SEGMENTS = (
    "landing",
    "video",
    "claim",
    "browse",
    "search",
    "product",
    "cart",
    "remove",
    "checkout",
    "purchase",
    "share",
)
SEGMENT_GAP = {
    "landing": (0, 0),
    "video": (20, 120),
    "claim": (3, 15),
    "browse": (3, 35),
    "search": (3, 20),
    "product": (5, 50),
    "cart": (3, 25),
    "remove": (3, 20),
    "checkout": (5, 40),
    "purchase": (30, 80),
    "share": (3, 30),
}
BROWSE_PAGE_TYPES = ("home", "category", "category", "content", "home", "category")
SEARCH_QUERIES = (
    "green tea",
    "running shoes",
    "bluetooth earbuds",
    "连衣裙",
    "蓝牙耳机",
    "yoga mat",
    "gift box",
    "乌龙茶",
    "phone case",
    "wool coat",
    "lego",
    "sunscreen",
    "保温杯",
    "novel",
)

# The A/B test: exposure on cart and checkout pages, 50/50 by anonymous_id.
EXPERIMENT_ID = "exp_checkout_button"
EXPERIMENT_VARIANTS = ("control", "treatment")
EXPERIMENT_LIFT = 0.15  # planted relative lift of checkout -> purchase in `treatment`
EXPERIMENT_SEGMENTS = ("cart", "remove", "checkout", "purchase")
FLIP_VISITOR_SHARE = 0.003  # visitors whose assignment is unstable (seen in both variants)

LATE_APP_SESSION_SHARE = 0.04  # app sessions sent 1..3 days late (phone offline)
LATE_MAX_DAYS = 3
DUPLICATE_SHARE = 0.004  # events re-sent by the client
DUPLICATE_NEXT_BATCH = 0.3  # of those, re-sent in the next batch (else the same file)


@dataclass(frozen=True)
class Campaign:
    """A traffic source: the utm/referrer a session's first event carries, and its behaviour."""

    channel: str  # expected result of the channel rules of kpis.md
    utm_source: str | None
    utm_medium: str | None
    utm_campaign: str | None
    referrer: str | None
    landing: str  # page_type of the landing page
    weights: tuple[float, float, float, float]  # web, app, mini_program, foreign visitors
    conversion: float  # multiplier of the cart step
    bounce: float
    cpc: float | None = None  # cost per click in `currency`; None = no paid spend
    ctr: float = 0.02
    currency: str | None = None  # None = the shop's domestic currency
    promo_only: bool = False


CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign(
        "paid_search",
        "baidu",
        "cpc",
        "brand_search",
        "https://www.baidu.com/s?wd=shop",
        "home",
        (8, 2, 0, 0),
        1.25,
        0.28,
        1.2,
        0.06,
    ),
    Campaign(
        "paid_search",
        "Baidu",
        "CPC",
        "generic_search",
        "https://m.baidu.com/s?word=tea",
        "product",
        (6, 1, 0, 0),
        0.95,
        0.42,
        2.4,
        0.025,
    ),
    Campaign(
        "paid_search",
        "google",
        "ppc",
        "global_search",
        "https://www.google.com/",
        "product",
        (0, 0, 0, 14),
        1.0,
        0.40,
        0.6,
        0.03,
        "USD",
    ),
    Campaign(
        "paid_social", "wechat", "paid_social", "moments_ads", None, "category", (1, 3, 9, 0), 0.7, 0.50, 0.9, 0.012
    ),
    Campaign(
        "paid_social",
        "xiaohongshu",
        "social_ads",
        "xhs_feed",
        "https://www.xiaohongshu.com/explore",
        "product",
        (3, 3, 2, 0),
        0.8,
        0.45,
        1.1,
        0.018,
    ),
    Campaign(
        "paid_social",
        "facebook",
        "paid_social",
        "fb_global",
        "https://l.facebook.com/",
        "category",
        (0, 0, 0, 8),
        0.7,
        0.50,
        0.35,
        0.011,
        "USD",
    ),
    Campaign(
        "paid_social",
        "wechat",
        "paid_social",
        "mega_sale_social",
        None,
        "category",
        (2, 4, 10, 0),
        0.9,
        0.40,
        0.9,
        0.02,
        promo_only=True,
    ),
    Campaign("live_stream", "douyin_live", "live", "live_weekly", None, "live", (0, 4, 6, 0), 1.3, 0.35, 0.8, 0.04),
    Campaign("live_stream", "taobao_live", "video", "live_promo", None, "live", (0, 2, 2, 0), 1.15, 0.40, 0.7, 0.035),
    Campaign(
        "short_video", "douyin", "short_video", "dy_creators", None, "product", (1, 6, 5, 0), 0.75, 0.50, 0.5, 0.02
    ),
    Campaign("short_video", "kuaishou", "video", "ks_creators", None, "product", (0, 3, 2, 0), 0.7, 0.52, 0.45, 0.02),
    Campaign(
        "short_video", "tiktok", "short_video", "tt_global", None, "product", (0, 0, 0, 4), 0.7, 0.50, 0.3, 0.02, "USD"
    ),
    Campaign("email", "newsletter", "email", "weekly_newsletter", None, "category", (3, 3, 0, 2), 1.5, 0.30, 0.05, 0.2),
    Campaign(
        "email",
        "newsletter",
        "email",
        "mega_sale_blast",
        None,
        "category",
        (6, 6, 2, 3),
        1.6,
        0.25,
        0.05,
        0.05,
        promo_only=True,
    ),
    Campaign(
        "affiliate",
        "smzdm",
        "affiliate",
        "deals_partner",
        "https://www.smzdm.com/p/123",
        "product",
        (4, 1, 0, 0),
        1.1,
        0.35,
        1.5,
        0.05,
    ),
    Campaign(
        "affiliate",
        "rakuten",
        "affiliate",
        "global_partners",
        "https://www.rakuten.co.jp/",
        "product",
        (0, 0, 0, 3),
        1.0,
        0.40,
        0.4,
        0.04,
        "USD",
    ),
    Campaign("social", "wechat", "social", "friend_share", None, "product", (1, 2, 6, 0), 0.8, 0.45),
    Campaign("social", None, None, None, "https://weibo.com/u/5512", "content", (3, 1, 0, 0), 0.6, 0.55),
    Campaign(
        "social", None, None, None, "https://www.xiaohongshu.com/explore/64f1", "content", (3, 2, 1, 0), 0.7, 0.50
    ),
    Campaign("social", None, None, None, "https://www.instagram.com/", "content", (0, 0, 0, 4), 0.6, 0.55),
    Campaign("organic_search", None, None, None, "https://www.baidu.com/", "home", (8, 0, 0, 0), 1.0, 0.40),
    Campaign(
        "organic_search", None, None, None, "https://cn.bing.com/search?q=tea", "product", (2, 0, 0, 2), 1.0, 0.42
    ),
    Campaign(
        "organic_search", None, None, None, "https://www.sogou.com/web?query=tea", "product", (2, 0, 0, 0), 0.95, 0.45
    ),
    Campaign(
        "organic_search", None, None, None, "https://www.google.com/search?q=tea", "home", (1, 0, 0, 10), 1.0, 0.40
    ),
    Campaign("referral", None, None, None, "https://www.zhihu.com/question/2871", "content", (3, 1, 0, 0), 0.9, 0.45),
    Campaign("referral", None, None, None, "https://www.douban.com/group/topic/88", "content", (1, 0, 0, 0), 0.85, 0.5),
    Campaign("referral", None, None, None, "https://blog.example.org/best-tea", "product", (1, 0, 0, 2), 0.9, 0.45),
    Campaign("direct", None, None, None, None, "home", (10, 35, 14, 12), 1.2, 0.30),
)
CHANNELS = (
    "paid_search",
    "paid_social",
    "live_stream",
    "short_video",
    "email",
    "affiliate",
    "social",
    "organic_search",
    "referral",
    "direct",
)
PROMO_LEAD_DAYS = 2  # promotion campaigns start this many days before the promotion
SPEND_REVISION_SHARE = 0.15  # spend rows re-sent with final numbers in the next batch

# --------------------------------------------------------------------------- countries, money


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    phone: str  # phone number pattern: '#' = a digit
    names: str  # name style (key of NAMES)
    cities: tuple[tuple[str | None, str, float], ...]  # (region, city, weight)
    ip_octets: tuple[int, ...]  # plausible first octets of its IPv4 addresses
    foreign_weight: float  # share among cross-border destinations


COUNTRIES: tuple[Country, ...] = (
    Country(
        "CN",
        "CNY",
        "+86 13# #### ####",
        "zh",
        (
            ("Guangdong", "Guangzhou", 5),
            ("Guangdong", "Shenzhen", 5),
            ("Guangdong", "Dongguan", 2),
            ("Zhejiang", "Hangzhou", 4),
            ("Zhejiang", "Ningbo", 2),
            ("Jiangsu", "Nanjing", 3),
            ("Jiangsu", "Suzhou", 3),
            ("Shanghai", "Shanghai", 6),
            ("Beijing", "Beijing", 6),
            ("Sichuan", "Chengdu", 3),
            ("Hubei", "Wuhan", 2),
            ("Shandong", "Qingdao", 2),
            ("Shandong", "Jinan", 1),
            ("Fujian", "Xiamen", 1),
            ("Henan", "Zhengzhou", 1),
            ("Chongqing", "Chongqing", 2),
            ("Tianjin", "Tianjin", 1),
            ("Shaanxi", "Xi'an", 1),
        ),
        (
            36,
            39,
            58,
            59,
            60,
            61,
            101,
            106,
            111,
            112,
            113,
            114,
            115,
            116,
            117,
            118,
            119,
            120,
            121,
            122,
            123,
            124,
            125,
            180,
            182,
            183,
            202,
            210,
            211,
            218,
            219,
            220,
            221,
            222,
            223,
        ),
        0.0,
    ),
    Country(
        "US",
        "USD",
        "+1 ### 555 01##",
        "en",
        (
            ("CA", "Los Angeles", 3),
            ("CA", "San Francisco", 2),
            ("NY", "New York", 4),
            ("TX", "Houston", 2),
            ("WA", "Seattle", 2),
            ("IL", "Chicago", 1),
        ),
        (3, 8, 13, 23, 34, 52, 54, 64, 66, 72),
        0.30,
    ),
    Country(
        "JP",
        "JPY",
        "+81 90 #### ####",
        "ja",
        (
            ("Tokyo", "Tokyo", 5),
            ("Osaka", "Osaka", 3),
            ("Kanagawa", "Yokohama", 2),
            ("Aichi", "Nagoya", 1),
        ),
        (126, 133, 150, 153, 210),
        0.15,
    ),
    Country(
        "DE",
        "EUR",
        "+49 151 ########",
        "de",
        (
            ("Berlin", "Berlin", 3),
            ("Bayern", "München", 2),
            ("Hamburg", "Hamburg", 2),
            ("Hessen", "Frankfurt am Main", 1),
        ),
        (31, 46, 62, 77, 84, 85, 91, 93),
        0.10,
    ),
    Country(
        "GB",
        "GBP",
        "+44 7700 900###",
        "en",
        (
            ("England", "London", 5),
            ("England", "Manchester", 2),
            ("Scotland", "Edinburgh", 1),
        ),
        (2, 5, 25, 51, 81, 86, 90),
        0.10,
    ),
    Country(
        "FR",
        "EUR",
        "+33 6 ## ## ## ##",
        "fr",
        (
            ("Île-de-France", "Paris", 4),
            ("Auvergne-Rhône-Alpes", "Lyon", 2),
            ("Provence-Alpes-Côte d'Azur", "Marseille", 1),
        ),
        (2, 37, 78, 80, 82, 88, 90),
        0.06,
    ),
    Country("HK", "HKD", "+852 #### ####", "hk", ((None, "Hong Kong", 1),), (14, 42, 58, 112, 113, 203), 0.10),
    Country("SG", "USD", "+65 #### ####", "hk", ((None, "Singapore", 1),), (8, 42, 116, 128, 175), 0.07),
    Country(
        "AU",
        "USD",
        "+61 4## ### ###",
        "en",
        (
            ("NSW", "Sydney", 3),
            ("VIC", "Melbourne", 2),
            ("QLD", "Brisbane", 1),
        ),
        (1, 14, 27, 49, 101, 103, 110),
        0.07,
    ),
    Country(
        "KR",
        "USD",
        "+82 10 #### ####",
        "ko",
        (
            ("Seoul", "Seoul", 3),
            ("Busan", "Busan", 1),
        ),
        (1, 14, 27, 39, 58, 59, 61, 106, 110, 112, 121, 175, 211, 218, 222),
        0.05,
    ),
)
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}

# The price list of a currency relative to CNY (shop price lists, not market fx rates: they do
# not move with finance/fx_rates, which have their own random stream).
PRICE_LIST_FACTOR = {"CNY": 1.0, "USD": 0.145, "EUR": 0.135, "GBP": 0.115, "JPY": 21.0, "HKD": 1.12}
# Market value of one unit in USD on the first day; fx_rates follow a random walk from here.
FX_USD_VALUE = {
    "USD": 1.0,
    "CNY": 1 / 7.18,
    "EUR": 1.085,
    "JPY": 1 / 149.0,
    "GBP": 1.27,
    "HKD": 1 / 7.81,
    "SGD": 1 / 1.35,
    "AUD": 0.66,
    "KRW": 1 / 1330.0,
    "CAD": 0.74,
    "CHF": 1.12,
}
FX_DAILY_VOL = {
    "USD": 0.0,
    "CNY": 0.0018,
    "EUR": 0.004,
    "JPY": 0.005,
    "GBP": 0.0045,
    "HKD": 0.0006,
    "SGD": 0.003,
    "AUD": 0.006,
    "KRW": 0.005,
    "CAD": 0.004,
    "CHF": 0.004,
}
FX_DECIMALS = 6

# Names: style -> (given names, surnames, joined without space and surname first?)
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...], bool]] = {
    "zh": (
        (
            "伟",
            "芳",
            "娜",
            "敏",
            "静",
            "丽",
            "强",
            "磊",
            "军",
            "洋",
            "勇",
            "艳",
            "杰",
            "娟",
            "涛",
            "明",
            "超",
            "秀英",
            "霞",
            "平",
            "刚",
            "桂英",
            "子涵",
            "浩然",
            "欣怡",
            "梓萱",
            "宇轩",
            "一诺",
            "思远",
            "雨桐",
        ),
        (
            "王",
            "李",
            "张",
            "刘",
            "陈",
            "杨",
            "黄",
            "赵",
            "吴",
            "周",
            "徐",
            "孙",
            "马",
            "朱",
            "胡",
            "郭",
            "何",
            "高",
            "林",
            "罗",
        ),
        True,
    ),
    "en": (
        ("James", "Mary", "John", "Emma", "Oliver", "Sophia", "Liam", "Ava", "Noah", "Mia", "Ethan", "Grace"),
        ("Smith", "Johnson", "Brown", "Taylor", "Miller", "Wilson", "Davis", "Clark", "Walker", "O'Neil"),
        False,
    ),
    "ja": (
        ("Haruto", "Yui", "Sota", "Hina", "Yuki", "Ren", "Aoi", "Riku"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto"),
        False,
    ),
    "de": (
        ("Lukas", "Anna", "Leon", "Marie", "Finn", "Lena", "Jonas", "Sophie"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Becker", "Schäfer"),
        False,
    ),
    "fr": (
        ("Léa", "Lucas", "Chloé", "Hugo", "Emma", "Louis", "Manon", "Jules"),
        ("Martin", "Bernard", "Dubois", "Thomas", "Robert", "Lefèvre", "Moreau"),
        False,
    ),
    "hk": (
        ("Tai Man", "Wing Yan", "Ka Ho", "Mei Ling", "Wei Ming", "Hui Min", "Jun Jie"),
        ("Chan", "Wong", "Lee", "Cheung", "Tan", "Lim", "Ng"),
        False,
    ),
    "ko": (
        ("Minjun", "Seoyeon", "Jiho", "Haeun", "Doyun", "Jiwoo"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang"),
        False,
    ),
}
# Latin spelling of the zh surnames above (for e-mail addresses)
ZH_PINYIN = (
    "wang",
    "li",
    "zhang",
    "liu",
    "chen",
    "yang",
    "huang",
    "zhao",
    "wu",
    "zhou",
    "xu",
    "sun",
    "ma",
    "zhu",
    "hu",
    "guo",
    "he",
    "gao",
    "lin",
    "luo",
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.cn")
P_NO_EMAIL, P_NO_PHONE, P_NO_BIRTH_YEAR = 0.05, 0.1, 0.2
ADDRESS_CHANGE_PER_DAY = 0.0015  # share of customers who move (new row) on a day
PHONE_CHANGE_SHARE = 0.3  # of the movers, also a new phone number

# --------------------------------------------------------------------------- catalogue

# (category, subcategory, median price in CNY, brands, item names)
CATALOGUE: tuple[tuple[str, str, float, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "food",
        "tea",
        88,
        ("Hill Leaf", "云雾山"),
        ("Longjing Green Tea 250g", "龙井绿茶 礼盒", "Jasmine Tea, 100g tin", "Pu'er Tea Cake 357g", "Oolong Gift Box"),
    ),
    ("food", "snacks", 39, ("Crunchy Bay", "三只松"), ("Mixed Nuts 500g", "Dried Mango", "坚果礼包", "Rice Crackers")),
    (
        "home",
        "kitchen",
        69,
        ("Claywork", "Hearthly"),
        ("Ceramic Mug", "Cast Iron Pan 26cm", "Bamboo Cutting Board", "保温杯 500ml"),
    ),
    (
        "home",
        "textiles",
        129,
        ("Softnest", "Linenhaus"),
        ('Sofa Cushion 18" Linen', "Duvet Cover, Queen", "Bath Towel Set"),
    ),
    ("apparel", "dresses", 259, ("Moonrise", "素色"), ("Floral Midi Dress", "连衣裙 夏季", "Linen Shirt Dress")),
    ("apparel", "t-shirts", 79, ("UrbanThread", "Basico"), ("Cotton Tee", "Graphic T-Shirt", "Oversized Tee")),
    ("apparel", "outerwear", 499, ("Northpeak", "UrbanThread"), ("Wool Coat", "Down Jacket", "Rain Shell")),
    ("beauty", "skincare", 189, ("Lumo", "Vela"), ("Hydrating Serum 30ml", "Sunscreen SPF50", "Night Cream")),
    ("beauty", "makeup", 129, ("Vela", "Kumo"), ("Lip Tint", "Cushion Foundation", "Eyeshadow Palette")),
    (
        "electronics",
        "audio",
        399,
        ("Nimbus", "Brightway"),
        ("Bluetooth Earbuds", "Portable Speaker", "Noise-Cancelling Headphones"),
    ),
    ("electronics", "accessories", 89, ("Brightway", "Zap"), ("Phone Case", "USB-C Cable 2m", "Power Bank 10000mAh")),
    ("sports", "running", 459, ("Stridewell", "Fleetfoot"), ("Running Shoes", "Running Vest", "Sports Socks, 3 pairs")),
    ("sports", "yoga", 159, ("Stridewell", "Zenra"), ("Yoga Mat 6mm", "Yoga Block", "Resistance Bands")),
    ("toys", "building_blocks", 229, ("Brickly", "Pawsome"), ("City Bricks Set", "Robot Kit", "Marble Run")),
    ("books", "fiction", 49, ("Inkwell", "Paper Crane"), ("Mystery Novel", "科幻小说", "Poetry Collection")),
)
VARIANT_SUFFIXES = ("", " - Black", " - White", " - Blue", " (2-pack)", " - Large", " - Small", " Gift Edition")
PRICE_SIGMA = 0.35
PRICE_MAX_CNY = 1299.0
POPULARITY_ZIPF = 0.9
INACTIVE_SHARE = 0.05  # products already retired at the start
NEVER_SELLS_SHARE = 0.05  # active, old products nobody buys (slow movers)
LAUNCH_SHARE = 0.05  # products launched during the simulated period
DEACTIVATE_SHARE = 0.02  # products retired during the period
PRICE_CHANGE_SHARE = 0.08  # products whose list price changes during the period

# --------------------------------------------------------------------------- orders

UNTRACKED_ORDER_SHARE = 0.08  # orders without a known session (tracking blocked, phone orders)
EXTRA_LINES_MEAN = 0.35  # untracked orders: extra lines beyond the first
# An ordinary basket stays at or under this list value (CNY, ~6 x the median order): above it, its
# lines drop to one unit each, then to the first line. Orders above 10 x the median are then the
# planted amount outliers only (kpis.md amount_outlier; its false-alarm rate is measured).
ORDINARY_BASKET_CAP_CNY = 1500
# coupon code, kind ('pct' or 'fixed'), value (percent or CNY), minimum subtotal in CNY
COUPONS = {
    "WELCOME10": ("pct", 10, 0),
    "VIP15": ("pct", 15, 0),
    "SAVE20": ("fixed", 20, 199),
    "GLOBAL10": ("pct", 10, 0),
    PROMO_COUPON: ("pct", 30, 0),
}
P_WELCOME, P_VIP, P_SAVE20, P_GLOBAL = 0.45, 0.06, 0.10, 0.12
PROMO_DISCOUNT_CAP_CNY = 300
FREE_SHIPPING_CNY, SHIPPING_CNY, FOREIGN_SHIPPING_CNY = 99, 8, 100
FOREIGN_TAX = 0.091  # cross-border e-commerce tax on the discounted subtotal
DOMESTIC_METHODS = (("alipay", 0.46), ("wechat_pay", 0.44), ("card", 0.06), ("cash_on_delivery", 0.04))
FOREIGN_METHODS = (("card", 0.62), ("paypal", 0.38))
P_ABANDON = 0.02  # order placed, cashier closed, never paid
P_PAYMENT_FAIL = 0.045  # first attempt fails
P_PAYMENT_FAIL_SPIKE = 0.40  # ... on the day of the gateway incident
P_RETRY = 0.75
P_RETRY_FAIL = 0.1
P_RETRY_FAIL_SPIKE = 0.3
UNPAID_TIMEOUT_S = 30 * 60
P_CANCEL_AFTER_PAID = 0.012
P_REFUND = 0.055
# An ordinary customer asks for a refund at most once in this many days (by order day): serial
# refunders are the planted refund_abuse customers only, so that rule's false-alarm rate on
# ordinary days is measurable (kpis.md: trailing 90 days, refunds on > 50 % of >= 3 orders).
REFUND_QUIET_DAYS = 90
P_WHOLE_ORDER_REFUND = 0.3
P_REFUND_REJECTED = 0.08
REFUND_REASONS_ITEM = (
    ("defective", 0.22),
    ("wrong_item", 0.1),
    ("not_as_described", 0.16),
    ("size_fit", 0.24),
    ("changed_mind", 0.2),
    ("other", 0.08),
)
REFUND_REASONS_ORDER = (
    ("changed_mind", 0.4),
    ("late_delivery", 0.25),
    ("wrong_item", 0.1),
    ("defective", 0.1),
    ("other", 0.15),
)

# --------------------------------------------------------------------------- customer service

P_TICKET_ORDER = 0.05  # orders that get a ticket
P_TICKET_REFUND = 0.4  # refund requests that get a ticket
P_TICKET_PRESALE = 0.002  # non-bounced sessions that open a pre-sale ticket
TICKET_CHANNELS = (("chat", 0.55), ("email", 0.2), ("phone", 0.15), ("social", 0.1))
ORDER_TICKET_CATEGORIES = (
    ("order_status", 0.3),
    ("shipping", 0.3),
    ("payment", 0.1),
    ("product_quality", 0.12),
    ("complaint", 0.08),
    ("account", 0.05),
    ("other", 0.05),
)
PRESALE_TICKET_CATEGORIES = (("pre_sale", 0.8), ("account", 0.1), ("other", 0.1))
PRIORITY_MIX = (("low", 0.2), ("normal", 0.55), ("high", 0.2), ("urgent", 0.05))
FIRST_RESPONSE_MEDIAN_MIN = {"low": 480, "normal": 90, "high": 25, "urgent": 6}
SLA_MIN = {"low": 1440, "normal": 240, "high": 60, "urgent": 15}
FIRST_RESPONSE_SIGMA = 0.9
P_NEVER_ANSWERED = 0.04
P_BOT = 0.8  # chat tickets greeted by the bot
P_FOLLOW_UP = 0.6
P_SOLVED = 0.93
P_CSAT = 0.45
P_REOPEN = 0.08
P_CLOSE = 0.5  # solved tickets auto-closed three days later
CSAT_OK = (0.04, 0.05, 0.11, 0.3, 0.5)
CSAT_BREACHED = (0.2, 0.22, 0.23, 0.2, 0.15)

# --------------------------------------------------------------------------- second edition

# Product costs: some products have no cost in the shop system, some change cost once.
NO_COST_SHARE = 0.06  # products whose rows never carry a unit_cost
COST_CHANGE_SHARE = 0.12  # products whose unit cost changes once during the period
COST_CHANGE_FACTORS = (0.85, 0.92, 1.08, 1.2)

# Logistics: (carrier, days from shipping to delivery: low, high, share of domestic parcels);
# cross-border parcels go by the international carriers. One carrier turns late for a week.
DOMESTIC_CARRIERS = (("sf_express", 0.8, 2.0, 0.35), ("zto_express", 1.5, 4.0, 0.4), ("yto_express", 1.2, 3.5, 0.25))
FOREIGN_CARRIERS = (("dhl", 4.0, 9.0, 0.6), ("ems", 6.0, 13.0, 0.4))
LATE_CARRIER = "yto_express"
LATE_CARRIER_DAYS = 7  # the late week
LATE_CARRIER_DELAY = (2.0, 5.0)  # extra days in transit for its parcels shipped that week
PROMISE_DAYS_DOMESTIC = 4  # delivery promised this many local days after the order day
PROMISE_DAYS_FOREIGN = 12
P_LATE_REFUND = 0.12  # late deliveries that bring a whole-order refund for late_delivery
P_LATE_TICKET = 0.15  # late deliveries that bring a shipping ticket

# Inventory: daily end-of-day snapshots per product and warehouse.
WAREHOUSES = (("WH-SH", 0.65), ("WH-GZ", 0.35))
STOCK_COVER_DAYS = (18, 40)  # starting stock, in days of expected demand
REORDER_COVER_DAYS = 7  # a warehouse reorders when its stock covers fewer days than this
REORDER_LEAD_DAYS = (3, 6)
STOCKOUT_PRODUCTS = 2  # top sellers planted out of stock
STOCKOUT_DAYS = 3  # consecutive days a planted stock-out lasts
INVENTORY_RESEND_SHARE = 0.03  # snapshot rows re-sent in the next batch with a corrected count

# Targets (plan/targets): set a few days before each month, one revision mid-month.
TARGET_AOV_CNY = 290.0
TARGET_GROWTH = 1.08  # targets are set this much above the plain run rate
TARGET_LEAD_DAYS = 5

# Service: agents of different speed, bot-contained tickets, pre-sale questions that lead to orders.
AGENT_SPEED_SIGMA = 0.35  # lognormal spread of the agents' first-response factor
SLOW_AGENT_FACTOR, FAST_AGENT_FACTOR = 2.5, 0.45  # one planted slow and one fast agent
P_BOT_CONTAINED = 0.3  # bot-greeted chat tickets of simple categories the bot solves alone
BOT_CATEGORIES = ("order_status", "pre_sale", "account", "other")
P_PRESALE_ORDER = 0.4  # pre-sale tickets of known customers followed by an order of theirs
PRESALE_ORDER_DAYS = (0.2, 10.0)  # days from the ticket to that order

# Marketing: a campaign that buys media but whose clicks never arrive tagged (no utm_campaign).
SPEND_ONLY_CAMPAIGNS = (("paid_social", "tencent_display", 0.5, 0.004),)  # (channel, campaign, cpc, ctr)

# One outage day: the site is down for half of the day, about half the sessions.
OUTAGE_TRAFFIC = 0.5
