"""Statistics of an A/B test (kpis.md, "Experiments"): pure functions, no I/O.

- significance: two-sided two-proportion z-test with the pooled rate, each variant against the
  variant named `control`;
- confidence interval: 95 % interval of the difference of conversions (variant − control),
  Wald interval with the unpooled standard error (the pooled one belongs to the test's null
  hypothesis of no difference, not to an estimate of the difference);
- sample-ratio mismatch: chi-square goodness-of-fit test of the exposed counts of all variants of
  an experiment against an even split, flagged when p < 0.001.

Undefined statistics are None (null in the mart) rather than a made-up number.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from scipy.stats import chi2, norm

CONTROL = "control"
CONFIDENCE = 0.95
SRM_ALPHA = 0.001


def ratio(numerator: float, denominator: float) -> float | None:
    """numerator / denominator, None when the denominator is 0 (kpis.md: ratios are null then)."""
    return numerator / denominator if denominator else None


def pooled_z_test(control_converted: int, control_exposed: int, converted: int, exposed: int) -> float | None:
    """Two-sided p-value of H0 "same conversion" for (converted / exposed) against the control.

    z = (p − p_c) / sqrt(p̂ (1 − p̂) (1/n + 1/n_c)) with the pooled rate p̂ = (x + x_c) / (n + n_c).
    None when a group is empty or the pooled rate is 0 or 1 (no variance: z is undefined).
    """
    if exposed == 0 or control_exposed == 0:
        return None
    pooled = (converted + control_converted) / (exposed + control_exposed)
    se = math.sqrt(pooled * (1 - pooled) * (1 / exposed + 1 / control_exposed))
    if se == 0:
        return None
    z = (converted / exposed - control_converted / control_exposed) / se
    return float(2 * norm.sf(abs(z)))


def difference_interval(
    control_converted: int, control_exposed: int, converted: int, exposed: int, confidence: float = CONFIDENCE
) -> tuple[float | None, float | None]:
    """Confidence interval of p − p_c: d ± z_(1+c)/2 · sqrt(p(1−p)/n + p_c(1−p_c)/n_c).

    (None, None) when a group is empty. With no variance at all (both rates 0 or 1) the interval
    is the single point d.
    """
    if exposed == 0 or control_exposed == 0:
        return None, None
    p, pc = converted / exposed, control_converted / control_exposed
    se = math.sqrt(p * (1 - p) / exposed + pc * (1 - pc) / control_exposed)
    half = float(norm.ppf((1 + confidence) / 2)) * se
    return p - pc - half, p - pc + half


def srm_p_value(exposed_counts: Sequence[int]) -> float | None:
    """p-value of the chi-square test of the exposed counts against an even split (k − 1 degrees
    of freedom). None with fewer than two variants or nobody exposed."""
    k, total = len(exposed_counts), sum(exposed_counts)
    if k < 2 or total == 0:
        return None
    expected = total / k
    statistic = sum((count - expected) ** 2 / expected for count in exposed_counts)
    return float(chi2.sf(statistic, k - 1))


@dataclass(frozen=True)
class VariantCounts:
    experiment_id: str
    variant: str
    exposed: int
    converted: int
    excluded_users: int


RESULT_COLUMNS = (
    "experiment_id",
    "variant",
    "exposed",
    "converted",
    "conversion",
    "lift",
    "p_value",
    "ci_low",
    "ci_high",
    "srm_flag",
    "srm_p_value",
    "excluded_users",
)


def experiment_results(counts: Iterable[VariantCounts]) -> list[dict]:
    """One result row per (experiment, variant), in RESULT_COLUMNS order.

    The control row and every row of an experiment without a `control` variant have no lift,
    p-value or interval (nothing to compare with). srm_flag and srm_p_value are the experiment's
    and repeat on each of its rows.
    """
    by_experiment: dict[str, list[VariantCounts]] = {}
    for row in counts:
        by_experiment.setdefault(row.experiment_id, []).append(row)
    results = []
    for experiment_id in sorted(by_experiment):
        variants = sorted(by_experiment[experiment_id], key=lambda r: r.variant)
        control = next((r for r in variants if r.variant == CONTROL), None)
        srm_p = srm_p_value([r.exposed for r in variants])
        control_conversion = ratio(control.converted, control.exposed) if control else None
        for row in variants:
            conversion = ratio(row.converted, row.exposed)
            lift = p_value = ci_low = ci_high = None
            if control is not None and row is not control:
                if conversion is not None and control_conversion:
                    lift = conversion / control_conversion - 1
                p_value = pooled_z_test(control.converted, control.exposed, row.converted, row.exposed)
                ci_low, ci_high = difference_interval(control.converted, control.exposed, row.converted, row.exposed)
            results.append(
                {
                    "experiment_id": experiment_id,
                    "variant": row.variant,
                    "exposed": row.exposed,
                    "converted": row.converted,
                    "conversion": conversion,
                    "lift": lift,
                    "p_value": p_value,
                    "ci_low": ci_low,
                    "ci_high": ci_high,
                    "srm_flag": None if srm_p is None else srm_p < SRM_ALPHA,
                    "srm_p_value": srm_p,
                    "excluded_users": row.excluded_users,
                }
            )
    return results
