"""Page 6, Experiments: each experiment's variants, conversion, lift with its interval, p-value
and sample-ratio warning, and one sentence a manager reads."""

from __future__ import annotations

from dashboards.pages.common import table
from dashboards.queries import Reader

FILE, TITLE = "experiments.html", "Experiments"
# experiments are read over all their data: the date range does not cut this page (no control shown)
RANGED = False

SQL = """
SELECT r.experiment_id, r.variant, r.exposed, r.converted, r.conversion, r.lift, r.p_value, r.ci_low, r.ci_high,
       r.srm_flag, r.srm_p_value, r.excluded_users, c.conversion AS control_conversion
FROM marts.experiment_results r
LEFT JOIN marts.experiment_results c ON c.experiment_id = r.experiment_id AND c.variant = 'control'
ORDER BY r.experiment_id, r.variant <> 'control', r.variant
"""
ALPHA = 0.05


def _num(x: float) -> str:  # percent points of a relative change: whole ones, a decimal below 1
    return f"{x * 100:.0f}".replace("-", "−") if abs(x) >= 0.01 else f"{x * 100:.1f}".replace("-", "−")


def _interval(low: float, high: float) -> str:
    return f"{_num(low)}–{_num(high)} %" if low >= 0 else f"{_num(low)} to {_num(high)} %"


def sentence(row: dict) -> str:
    """'treatment converts 8 % better, 95 % CI 3–13 %; significant': the lift and its interval are
    relative to the control's conversion (the mart's interval is of the absolute difference, so it
    is divided by the control's conversion)."""
    name = f"{row['experiment_id']}: {row['variant']}"
    if row["lift"] is None or not row["control_conversion"]:
        return f"{name}: no comparison with a control yet ({row['exposed']:,} users exposed)."
    lift, base = row["lift"], row["control_conversion"]
    words = f"converts {_num(abs(lift))} % {'better' if lift >= 0 else 'worse'} than control"
    ci = ""
    if row["ci_low"] is not None:
        ci = f", 95 % CI {_interval(row['ci_low'] / base, row['ci_high'] / base)}"
    verdict = "no p-value"
    if row["p_value"] is not None:
        p = "p < 0.001" if row["p_value"] < 0.001 else f"p = {row['p_value']:.3f}"
        verdict = ("significant" if row["p_value"] < ALPHA else "not significant") + f" ({p})"
    srm = (
        " Warning: the split of users between variants is off (sample-ratio mismatch): do not trust this result."
        if row["srm_flag"]
        else ""
    )
    return f"{name} {words} ({row['conversion'] * 100:.1f} % vs {base * 100:.1f} %){ci}; {verdict}.{srm}"


def build(reader: Reader) -> dict:
    rows = reader.rows(SQL)
    for r in rows:
        r["srm"] = "MISMATCH" if r["srm_flag"] else ("ok" if r["srm_flag"] is not None else "–")
        r["ci"] = "–" if r["ci_low"] is None else f"{r['ci_low'] * 100:+.1f} to {r['ci_high'] * 100:+.1f} pts"
    sentences = [sentence(r) for r in rows if r["variant"] != "control"] or ["No experiment in the data."]
    experiments = sorted({r["experiment_id"] for r in rows})
    variants = sorted({r["variant"] for r in rows}, key=lambda v: (v != "control", v))
    conv = {(r["experiment_id"], r["variant"]): r["conversion"] for r in rows}
    widgets = [
        {"type": "text", "title": "In words", "items": sentences, "wide": True},
        {
            "type": "sbar",
            "id": "exp-conversion",
            "title": "Conversion by variant",
            "x": experiments,
            "series": [{"name": v, "y": [conv.get((e, v)) for e in experiments]} for v in variants],
            "fmt": "pct",
        },
        table(
            "Variants",
            [
                ("experiment_id", "experiment", "text"),
                ("variant", "variant", "text"),
                ("exposed", "exposed", "int"),
                ("converted", "converted", "int"),
                ("conversion", "conversion", "pct"),
                ("lift", "lift", "pct"),
                ("ci", "95 % CI of the difference", "text"),
                ("p_value", "p-value", "p"),
                ("srm", "sample ratio", "text"),
                ("excluded_users", "excluded users", "int"),
            ],
            rows=rows,
            note="all data: experiments are not cut by the range",
            wide=True,
        ),
    ]
    return {"widgets": widgets}
