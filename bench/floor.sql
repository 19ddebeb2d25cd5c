-- The FLOOR: kpi_daily, channel_daily and funnel_daily computed by one hand-written DuckDB script
-- straight over the landing files, with the definitions of ../shared/spec/kpis.md and the model
-- rules of docs/design.md, but none of the pipeline's machinery (no contract checks, quarantine,
-- ingest log, quality gate, dbt, Dagster, publish). bench/run.py runs it beside the pipeline so
-- the pipeline's overhead is a ratio measured in one run; tests/integration/test_bench_floor.py
-- checks that its numbers equal the pipeline's marts on a tiny shop.
--
-- Inputs are DuckDB variables, set before the script runs (bench/stages.py does):
--   landing (path of the landing root), tz (reporting zone), base_currency, home_country.
-- Output: tables kpi_daily, channel_daily, funnel_daily in the current database.
--
-- Where the pipeline breaks ties by the line of a record in its file (latest state, first
-- arrival), this script uses the batch day and the file name only: the simulator never sends two
-- versions of a key in one file, and adding line numbers would cost the floor a full extra pass.

SET enable_progress_bar = false;

-- landing files, typed at read time -------------------------------------------------------------

CREATE TEMP TABLE orders_raw AS
SELECT * FROM read_csv(getvariable('landing') || '/shop/orders/dt=*/*.csv*', hive_partitioning = true,
    filename = true, union_by_name = true, header = true, all_varchar = true);

CREATE TEMP TABLE orders_latest AS
SELECT
    order_id, customer_id,
    created_at::TIMESTAMPTZ AS created_at,
    status, session_id, upper(currency) AS currency, upper(ship_country) AS ship_country,
    items_subtotal::DECIMAL(18, 4) AS items_subtotal,
    discount_amount::DECIMAL(18, 4) AS discount_amount,
    total_amount::DECIMAL(18, 4) AS total_amount
FROM orders_raw
QUALIFY row_number() OVER (PARTITION BY order_id
    ORDER BY updated_at::TIMESTAMPTZ DESC, dt DESC, filename DESC) = 1;

CREATE TEMP TABLE fx AS
SELECT currency, rate_date, rate_to_base FROM (
    SELECT upper(currency) AS currency, "date"::DATE AS rate_date,
        rate_to_base::DECIMAL(18, 10)::DECIMAL(38, 10) AS rate_to_base
    FROM read_csv(getvariable('landing') || '/finance/fx_rates/dt=*/*.csv*', hive_partitioning = true,
        filename = true, header = true, all_varchar = true)
    QUALIFY row_number() OVER (PARTITION BY "date", upper(currency) ORDER BY dt DESC, filename DESC) = 1
)
WHERE currency <> getvariable('base_currency')
UNION ALL
SELECT getvariable('base_currency'), DATE '0001-01-01', 1::DECIMAL(38, 10);

-- orders in base currency at the rate of the order date (or the latest earlier one)
CREATE TEMP TABLE orders AS
SELECT
    o.order_id, o.customer_id, o.created_at, o.session_id,
    timezone(getvariable('tz'), o.created_at)::DATE AS order_date,
    o.status IN ('paid', 'shipped', 'delivered') AS is_paid,
    o.status = 'cancelled' AS is_cancelled,
    o.ship_country <> getvariable('home_country') AS is_cross_border,
    o.items_subtotal * fx.rate_to_base AS items_subtotal_base,
    o.discount_amount * fx.rate_to_base AS discount_amount_base,
    o.total_amount * fx.rate_to_base AS total_amount_base
FROM orders_latest AS o
ASOF LEFT JOIN fx ON fx.currency = o.currency
    AND timezone(getvariable('tz'), o.created_at)::DATE >= fx.rate_date;

CREATE TEMP TABLE items AS
SELECT order_id, quantity::BIGINT AS quantity
FROM read_csv(getvariable('landing') || '/shop/order_items/dt=*/*.csv*', hive_partitioning = true,
    filename = true, header = true, all_varchar = true)
QUALIFY row_number() OVER (PARTITION BY order_id, line_number::BIGINT ORDER BY dt DESC, filename DESC) = 1;

CREATE TEMP TABLE refunds AS
WITH latest AS (
    SELECT order_id, status, upper(currency) AS currency, amount::DECIMAL(18, 4) AS amount
    FROM read_csv(getvariable('landing') || '/shop/refunds/dt=*/*.csv*', hive_partitioning = true,
        filename = true, header = true, all_varchar = true)
    QUALIFY row_number() OVER (PARTITION BY refund_id
        ORDER BY updated_at::TIMESTAMPTZ DESC, dt DESC, filename DESC) = 1
), with_order AS (
    SELECT r.*, o.order_date, o.is_paid AS order_is_paid
    FROM latest AS r JOIN orders AS o ON o.order_id = r.order_id
    WHERE r.status = 'completed'
)
SELECT w.order_id, w.order_date, w.order_is_paid, w.amount * fx.rate_to_base AS amount_base
FROM with_order AS w
ASOF LEFT JOIN fx ON fx.currency = w.currency AND w.order_date >= fx.rate_date;

CREATE TEMP TABLE first_orders AS
SELECT customer_id,
    arg_min(order_id, (created_at, order_id)) AS first_paid_order_id,
    arg_min(order_date, (created_at, order_id)) AS first_paid_order_date
FROM orders WHERE is_paid GROUP BY customer_id;

-- clickstream: one row per event_id, the first arrival (batch day, file) wins
CREATE TEMP TABLE events AS
SELECT
    event_id, event_ts, timezone(getvariable('tz'), event_ts)::DATE AS event_date,
    anonymous_id, session_id, event_name, page_url, referrer, utm_source, utm_medium,
    platform, device_type, page_load_ms
FROM read_json(getvariable('landing') || '/traffic/events/dt=*/*.jsonl*', format = 'newline_delimited',
    hive_partitioning = true, filename = true,
    columns = {event_id: 'VARCHAR', event_ts: 'TIMESTAMPTZ', anonymous_id: 'VARCHAR', session_id: 'VARCHAR',
               event_name: 'VARCHAR', page_url: 'VARCHAR', referrer: 'VARCHAR', utm_source: 'VARCHAR',
               utm_medium: 'VARCHAR', platform: 'VARCHAR', device_type: 'VARCHAR', page_load_ms: 'BIGINT'})
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY dt, filename) = 1;

-- sessions: first event = earliest event_ts, ties by event_id; channel by the kpis.md rules
CREATE TEMP TABLE sessions AS
WITH s AS (
    SELECT
        session_id,
        arg_min({date: event_date, platform: platform, device_type: device_type, page_url: page_url,
                 referrer: referrer, utm_source: utm_source, utm_medium: utm_medium},
                (event_ts, event_id)) AS f,
        count(*) AS event_count,
        count(*) FILTER (event_name = 'page_view') AS page_views,
        bool_or(event_name = 'product_view') AS has_product_view,
        bool_or(event_name = 'add_to_cart') AS has_add_to_cart,
        bool_or(event_name = 'begin_checkout') AS has_begin_checkout,
        bool_or(event_name = 'purchase') AS has_purchase
    FROM events GROUP BY session_id
), hosts AS (
    SELECT *,
        nullif(lower(trim(f.utm_medium)), '') AS um,
        nullif(lower(trim(f.utm_source)), '') AS us,
        nullif(trim(f.referrer), '') AS ref,
        nullif(regexp_replace(regexp_replace(regexp_replace(lower(trim(f.referrer)),
            '^([a-z][a-z0-9+.-]*:)?//', ''), '[/?#].*$', ''), '^.*@|:[0-9]*$', '', 'g'), '') AS ref_host,
        nullif(regexp_replace(regexp_replace(regexp_replace(lower(trim(f.page_url)),
            '^([a-z][a-z0-9+.-]*:)?//', ''), '[/?#].*$', ''), '^.*@|:[0-9]*$', '', 'g'), '') AS page_host
    FROM s
), ext AS (
    SELECT *,
        CASE WHEN ref IS NULL THEN NULL
             WHEN ref_host IS NOT NULL AND ref_host = page_host THEN NULL  -- internal navigation
             ELSE coalesce(ref_host, lower(ref)) END AS rh
    FROM hosts
)
SELECT
    session_id, f.date AS session_date, f.platform AS platform, f.device_type AS device_type,
    has_product_view, has_add_to_cart, has_begin_checkout, has_purchase,
    event_count = 1 AND page_views = 1 AS is_bounce,
    CASE
        WHEN um IN ('cpc', 'ppc', 'paid_search') THEN 'paid_search'
        WHEN um IN ('paid_social', 'social_ads') THEN 'paid_social'
        WHEN um = 'live' OR us IN ('douyin_live', 'taobao_live') THEN 'live_stream'
        WHEN um = 'short_video' OR us IN ('douyin', 'kuaishou', 'tiktok') THEN 'short_video'
        WHEN um = 'email' THEN 'email'
        WHEN um = 'affiliate' THEN 'affiliate'
        WHEN um = 'social' OR list_bool_or(
            [rh = d OR ends_with(rh, '.' || d) FOR d IN ['weibo.com', 'xiaohongshu.com', 'wechat.com', 'facebook.com', 'instagram.com']])
            THEN 'social'
        WHEN list_bool_or([rh = d OR ends_with(rh, '.' || d) FOR d IN ['baidu.com', 'google.com', 'bing.com', 'sogou.com']])
            THEN 'organic_search'
        WHEN rh IS NOT NULL THEN 'referral'
        ELSE 'direct'
    END AS channel
FROM ext;

-- service tickets: date of the first ticket_created, the latest csat_rated counts
CREATE TEMP TABLE service AS
SELECT event_id, ticket_id, event_ts, event_type, csat_score
FROM read_json(getvariable('landing') || '/service/events/dt=*/*.jsonl*', format = 'newline_delimited',
    hive_partitioning = true, filename = true,
    columns = {event_id: 'VARCHAR', ticket_id: 'VARCHAR', event_ts: 'TIMESTAMPTZ', event_type: 'VARCHAR',
               csat_score: 'BIGINT'})
QUALIFY row_number() OVER (PARTITION BY event_id ORDER BY dt, filename) = 1;

CREATE TEMP TABLE tickets AS
WITH created AS (
    SELECT ticket_id, arg_min(timezone(getvariable('tz'), event_ts)::DATE, (event_ts, event_id)) AS ticket_date
    FROM service WHERE event_type = 'ticket_created' GROUP BY ticket_id
), rated AS (
    SELECT ticket_id, arg_max(csat_score, (event_ts, event_id)) AS csat_score
    FROM service WHERE event_type = 'csat_rated' AND csat_score IS NOT NULL GROUP BY ticket_id
)
SELECT created.ticket_date, rated.csat_score
FROM created LEFT JOIN rated USING (ticket_id);

-- kpi_daily -------------------------------------------------------------------------------------

CREATE TABLE kpi_daily AS
WITH
src AS (
    SELECT (SELECT count(*) > 0 FROM orders) AS has_orders,
           (SELECT count(*) > 0 FROM sessions) AS has_traffic,
           (SELECT count(*) > 0 FROM service) AS has_service
),
o AS (
    SELECT order_date AS d, count(*) AS placed, count(*) FILTER (is_paid) AS paid,
        count(*) FILTER (is_cancelled) AS cancelled, sum(items_subtotal_base) AS gmv,
        sum(total_amount_base) FILTER (is_paid) AS gross, sum(discount_amount_base) FILTER (is_paid) AS discount,
        count(*) FILTER (is_paid AND is_cross_border) AS cross_border
    FROM orders GROUP BY 1
),
u AS (
    SELECT o.order_date AS d, sum(i.quantity) AS units
    FROM items AS i JOIN orders AS o USING (order_id) WHERE o.is_paid GROUP BY 1
),
r AS (
    SELECT order_date AS d, sum(amount_base) AS refunded,
        count(DISTINCT order_id) FILTER (order_is_paid) AS refunded_paid
    FROM refunds GROUP BY 1
),
nc AS (SELECT first_paid_order_date AS d, count(*) AS new_customers FROM first_orders GROUP BY 1),
rc AS (
    SELECT o.order_date AS d, count(DISTINCT o.customer_id) AS returning_customers
    FROM orders AS o JOIN first_orders AS f USING (customer_id)
    WHERE o.is_paid AND o.order_date > f.first_paid_order_date GROUP BY 1
),
s AS (
    SELECT session_date AS d, count(*) AS sessions, count(*) FILTER (is_bounce) AS bounced,
        count(*) FILTER (has_purchase) AS converted
    FROM sessions GROUP BY 1
),
e AS (
    SELECT event_date AS d, count(DISTINCT anonymous_id) AS visitors,
        quantile_cont(CASE WHEN event_name = 'page_view' THEN page_load_ms END, 0.5) AS p50,
        quantile_cont(CASE WHEN event_name = 'page_view' THEN page_load_ms END, 0.9) AS p90
    FROM events GROUP BY 1
),
t AS (
    SELECT ticket_date AS d, count(*) AS tickets, count(csat_score) AS rated,
        count(*) FILTER (csat_score >= 4) AS satisfied
    FROM tickets GROUP BY 1
),
spine AS (
    SELECT unnest(generate_series(min(d), max(d), INTERVAL 1 DAY))::DATE AS d
    FROM (SELECT d FROM o UNION ALL SELECT d FROM s UNION ALL SELECT d FROM t)
),
daily AS (
    SELECT spine.d, src.*,
        coalesce(placed, 0) AS placed, coalesce(paid, 0) AS paid, coalesce(cancelled, 0) AS cancelled,
        coalesce(gmv, 0) AS gmv, coalesce(gross, 0) AS gross, coalesce(refunded, 0) AS refunded,
        coalesce(units, 0) AS units, coalesce(discount, 0) AS discount, coalesce(cross_border, 0) AS cross_border,
        coalesce(refunded_paid, 0) AS refunded_paid, coalesce(new_customers, 0) AS new_customers,
        coalesce(returning_customers, 0) AS returning_customers, coalesce(sessions, 0) AS sessions,
        coalesce(bounced, 0) AS bounced, coalesce(converted, 0) AS converted, coalesce(visitors, 0) AS visitors,
        p50, p90, coalesce(tickets, 0) AS tickets, coalesce(rated, 0) AS rated, coalesce(satisfied, 0) AS satisfied
    FROM spine CROSS JOIN src
    LEFT JOIN o USING (d) LEFT JOIN u USING (d) LEFT JOIN r USING (d) LEFT JOIN nc USING (d)
    LEFT JOIN rc USING (d) LEFT JOIN s USING (d) LEFT JOIN e USING (d) LEFT JOIN t USING (d)
)
SELECT
    d AS "date",
    CASE WHEN has_orders THEN placed::BIGINT END AS placed_orders,
    CASE WHEN has_orders THEN paid::BIGINT END AS paid_orders,
    CASE WHEN has_orders THEN cancelled::BIGINT END AS cancelled_orders,
    CASE WHEN has_orders THEN gmv::DECIMAL(18, 4) END AS gmv,
    CASE WHEN has_orders THEN gross::DECIMAL(18, 4) END AS gross_revenue,
    CASE WHEN has_orders THEN refunded::DECIMAL(18, 4) END AS refunded_amount,
    CASE WHEN has_orders THEN (gross::DECIMAL(18, 4) - refunded::DECIMAL(18, 4))::DECIMAL(18, 4) END AS net_revenue,
    CASE WHEN has_orders THEN gross::DOUBLE / nullif(paid, 0) END AS aov,
    CASE WHEN has_orders THEN units::BIGINT END AS units_sold,
    CASE WHEN has_orders THEN discount::DECIMAL(18, 4) END AS discount_amount,
    CASE WHEN has_orders THEN cross_border::DOUBLE / nullif(paid, 0) END AS cross_border_share,
    CASE WHEN has_orders THEN new_customers::BIGINT END AS new_customers,
    CASE WHEN has_orders THEN returning_customers::BIGINT END AS returning_customers,
    CASE WHEN has_traffic THEN sessions::BIGINT END AS sessions,
    CASE WHEN has_traffic THEN visitors::BIGINT END AS visitors,
    CASE WHEN has_traffic THEN bounced::DOUBLE / nullif(sessions, 0) END AS bounce_rate,
    CASE WHEN has_traffic THEN converted::DOUBLE / nullif(sessions, 0) END AS conversion_rate,
    p50::DOUBLE AS page_load_p50_ms,
    p90::DOUBLE AS page_load_p90_ms,
    CASE WHEN has_orders THEN refunded_paid::DOUBLE / nullif(paid, 0) END AS refund_rate,
    CASE WHEN has_service THEN tickets::BIGINT END AS tickets,
    CASE WHEN has_service AND has_orders THEN 100 * (tickets::DOUBLE / nullif(paid, 0)) END AS tickets_per_100_orders,
    CASE WHEN has_service THEN satisfied::DOUBLE / nullif(rated, 0) END AS csat
FROM daily
ORDER BY d;

-- channel_daily ---------------------------------------------------------------------------------

CREATE TABLE channel_daily AS
WITH
attributed AS (
    SELECT o.order_id, o.order_date, o.total_amount_base, coalesce(s.channel, 'direct') AS channel
    FROM orders AS o LEFT JOIN sessions AS s ON s.session_id = o.session_id
    WHERE o.is_paid
),
sd AS (
    SELECT session_date AS d, channel, count(*) AS sessions, count(*) FILTER (has_purchase) AS converted
    FROM sessions GROUP BY ALL
),
vd AS (
    SELECT e.event_date AS d, s.channel, count(DISTINCT e.anonymous_id) AS visitors
    FROM events AS e JOIN sessions AS s USING (session_id) GROUP BY ALL
),
od AS (
    SELECT order_date AS d, channel, count(*) AS orders, sum(total_amount_base) AS revenue
    FROM attributed GROUP BY ALL
),
nd AS (
    SELECT f.first_paid_order_date AS d, a.channel, count(*) AS new_customers
    FROM first_orders AS f JOIN attributed AS a ON a.order_id = f.first_paid_order_id GROUP BY ALL
),
spend AS (
    SELECT w.*, w.spend * fx.rate_to_base AS spend_base
    FROM (
        SELECT "date"::DATE AS d, lower(trim(channel)) AS channel, upper(currency) AS currency,
            spend::DECIMAL(18, 4) AS spend, impressions::BIGINT AS impressions, clicks::BIGINT AS clicks
        FROM read_csv(getvariable('landing') || '/marketing/spend/dt=*/*.csv*', hive_partitioning = true,
            filename = true, header = true, all_varchar = true)
        QUALIFY row_number() OVER (PARTITION BY "date", lower(trim(channel)), campaign ORDER BY dt DESC, filename DESC) = 1
    ) AS w
    ASOF LEFT JOIN fx ON fx.currency = w.currency AND w.d >= fx.rate_date
),
pd AS (
    SELECT d, channel, sum(spend_base) AS spend, sum(impressions) AS impressions, sum(clicks) AS clicks
    FROM spend GROUP BY ALL
),
keys AS (
    SELECT d, channel FROM sd UNION SELECT d, channel FROM vd
    UNION SELECT d, channel FROM od UNION SELECT d, channel FROM pd
),
daily AS (
    SELECT keys.d, keys.channel,
        coalesce(sessions, 0) AS sessions, coalesce(converted, 0) AS converted, coalesce(visitors, 0) AS visitors,
        coalesce(orders, 0) AS orders, coalesce(revenue, 0) AS revenue, coalesce(spend, 0) AS spend,
        coalesce(new_customers, 0) AS new_customers, coalesce(impressions, 0) AS impressions,
        coalesce(clicks, 0) AS clicks
    FROM keys
    LEFT JOIN sd USING (d, channel) LEFT JOIN vd USING (d, channel) LEFT JOIN od USING (d, channel)
    LEFT JOIN nd USING (d, channel) LEFT JOIN pd USING (d, channel)
)
SELECT
    d AS "date", channel,
    sessions::BIGINT AS sessions, visitors::BIGINT AS visitors,
    orders::BIGINT AS attributed_orders, revenue::DECIMAL(18, 4) AS attributed_revenue,
    converted::DOUBLE / nullif(sessions, 0) AS conversion_rate,
    spend::DECIMAL(18, 4) AS spend,
    revenue::DOUBLE / nullif(spend, 0) AS roas,
    new_customers::BIGINT AS new_customers,
    spend::DOUBLE / nullif(new_customers, 0) AS cac,
    impressions::BIGINT AS impressions, clicks::BIGINT AS clicks,
    clicks::DOUBLE / nullif(impressions, 0) AS ctr,
    spend::DOUBLE / nullif(clicks, 0) AS cpc
FROM daily
ORDER BY d, channel;

-- funnel_daily ----------------------------------------------------------------------------------

CREATE TABLE funnel_daily AS
SELECT
    session_date AS "date",
    coalesce(platform, 'unknown') AS platform,
    coalesce(device_type, 'unknown') AS device_type,
    count(*)::BIGINT AS sessions,
    count(*) FILTER (has_product_view)::BIGINT AS reached_product,
    count(*) FILTER (has_add_to_cart)::BIGINT AS reached_cart,
    count(*) FILTER (has_begin_checkout)::BIGINT AS reached_checkout,
    count(*) FILTER (has_purchase)::BIGINT AS purchased,
    count(*) FILTER (has_product_view)::DOUBLE / nullif(count(*), 0) AS product_rate,
    count(*) FILTER (has_add_to_cart)::DOUBLE / nullif(count(*) FILTER (has_product_view), 0) AS cart_rate,
    count(*) FILTER (has_begin_checkout)::DOUBLE / nullif(count(*) FILTER (has_add_to_cart), 0) AS checkout_rate,
    count(*) FILTER (has_purchase)::DOUBLE / nullif(count(*) FILTER (has_begin_checkout), 0) AS purchase_rate
FROM sessions
GROUP BY ALL
ORDER BY 1, 2, 3;
