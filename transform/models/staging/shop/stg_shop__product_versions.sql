-- Every version of every product: one row per (product_id, updated_at). The products feed is
-- change-captured, so each row the feed sends is a version that was in effect from its
-- updated_at until the next one; two rows with the same updated_at are one version, the later
-- batch (then file, line) wins, as for the latest state (stg_shop__products).
-- valid_from / valid_to give each version's range (valid_to null = still in effect). The first
-- version's range is open at the start (valid_from null): kpis.md "unit cost of a line" takes the
-- earliest version for an order created before any version was written.
with versions as (

    {{ latest_version(source('raw', 'shop_products'), 'product_id, updated_at') }}

)

select
    product_id,
    title,
    category,
    unit_cost,
    upper(currency) as currency,
    is_active,
    updated_at,
    case
        when row_number() over (partition by product_id order by updated_at) > 1 then updated_at
    end as valid_from,
    lead(updated_at) over (partition by product_id order by updated_at) as valid_to,
    _batch_dt,
    _file,
    _line
from versions
