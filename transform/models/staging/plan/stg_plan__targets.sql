-- Monthly targets set by management (optional entity), one row per (target_month, metric,
-- channel) in its latest state: the greatest updated_at wins; ties go to the later batch, file,
-- line. channel null = the whole shop; channel names are compared lower-cased (kpis.md channel
-- rules). Values are in the base currency (money) or fractions (ratios), as the contract says.
with latest_versions as (

    {{ latest_version(source('raw', 'plan_targets'), 'month, metric, lower(trim(channel))') }}

)

select
    month as target_month,
    cast(month || '-01' as date) as month_start,
    last_day(cast(month || '-01' as date)) as month_end,
    metric,
    lower(trim(channel)) as channel,
    channel is null as is_shop_level,
    -- sources.md: spend is the one metric where lower is better
    metric = 'spend' as is_lower_better,
    {{ adapter.quote("value") }} as target_value,
    updated_at,
    {{ to_local_timestamp('updated_at') }} as updated_at_local,
    _batch_dt,
    _file,
    _line
from latest_versions
