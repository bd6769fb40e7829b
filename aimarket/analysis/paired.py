"""Paired counterfactuals with common random numbers (CRN) and two-sample comparisons.

Two settings run with the same replication seeds differ only by the setting, so the per-
replication difference b − a cancels the shared noise: a paired CI is far tighter than the one
from comparing two independent samples. Runs are matched on their seed plus every swept key
with the same values on both sides; pairs where either run failed are counted, not silently
dropped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aimarket.analysis.distributions import numeric
from aimarket.analysis.fields import OUTCOME_LABELS
from aimarket.analysis.regimes import event_flags
from aimarket.analysis.stats import compare_independent, compare_paired
from aimarket.dotted import parse_value
from aimarket.errors import UserError
from aimarket.metrics import FIRM_FIELDS


def comparable_fields(a: pd.DataFrame, b: pd.DataFrame) -> list[str]:
    """Known outcome fields and per-firm ``payoff.<firm>``/``value.<firm>`` present (with values)
    on both sides, after the event flag ``breakdown`` (when both record breakdowns)."""
    firm = tuple(f"{prefix}." for prefix in FIRM_FIELDS)
    known = [*OUTCOME_LABELS, *(c for c in a.columns if c.startswith(firm))]
    fields = [f for f in known if f in a and f in b and f != "first_breakdown_tick"]
    flag = ["breakdown"] if "first_breakdown_tick" in a and "first_breakdown_tick" in b else []
    return [*flag, *[f for f in fields if a[f].notna().any() or b[f].notna().any()]]


def _values(outcomes: pd.DataFrame, field: str) -> pd.Series:
    if field == "breakdown":
        return event_flags(outcomes)["breakdown"]
    return numeric(outcomes[field]).where(outcomes["status"] == "ok")


def pair_runs(a: pd.DataFrame, b: pd.DataFrame, match: Sequence[str]) -> pd.DataFrame:
    """Inner join of runs of `a` and `b` on `match` (suffixes ``_a``/``_b``); one row per pair."""
    left = a.reset_index(drop=True).add_suffix("_a")
    right = b.reset_index(drop=True).add_suffix("_b")
    return left.merge(
        right,
        left_on=[f"{m}_a" for m in match],
        right_on=[f"{m}_b" for m in match],
        how="inner",
        validate="one_to_one",
    )


def pairing(a: pd.DataFrame, b: pd.DataFrame, keys: Sequence[str] = ()) -> tuple[list[str], str]:
    """Columns to pair runs of `a` and `b` on, and why (empty: compare independently).

    Runs pair when both sides share seeds (the same replication of batches with one root seed:
    common random numbers): on ``seed`` plus every key of `keys` with the same set of values on
    both sides (keys that differ, e.g. ``k=3`` against ``k=6``, are what is compared).
    """
    if "seed" not in a or "seed" not in b:
        return [], "independent samples: no seed column to pair runs on"
    same = [
        k
        for k in keys
        if k in a and k in b and set(a[k].dropna().unique()) == set(b[k].dropna().unique())
    ]
    match = ["seed", *same]
    if a.duplicated(match).any() or b.duplicated(match).any():
        return [], f"independent samples: runs repeat a seed within a side (on {', '.join(match)})"
    n = len(pair_runs(a[match], b[match], match))
    if n == 0:
        return [], "independent samples: the two sides share no seed"
    return match, (
        f"paired on {', '.join(match)}: {n} of {len(a)} (A) and {len(b)} (B) runs share a seed "
        "(common random numbers), so each difference is taken within a pair"
    )


def compare(
    a: pd.DataFrame,
    b: pd.DataFrame,
    keys: Sequence[str] = (),
    fields: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Effect of going from `a` to `b` per outcome (difference b − a with 95 % CI and a test).

    Paired (bootstrap CI over pairs; Wilcoxon signed-rank or exact McNemar) when runs pair by
    seed (see `pairing`; `keys` are the swept keys), else independent (bootstrap CI; Mann–Whitney
    U or Fisher exact). Columns: outcome, design (paired/independent), n, diff, lo, hi, test,
    p_value, ...; ``attrs["pairing"]`` says how runs were paired and why.
    """
    fields = list(fields) if fields is not None else comparable_fields(a, b)
    match, why = pairing(a, b, keys)
    rows = []
    if match:
        va = pd.DataFrame({f: _values(a, f) for f in fields}).assign(**{m: a[m] for m in match})
        vb = pd.DataFrame({f: _values(b, f) for f in fields}).assign(**{m: b[m] for m in match})
        pairs = pair_runs(va, vb, match)
        status = pair_runs(a[[*match, "status"]], b[[*match, "status"]], match)
        failed = int(((status["status_a"] != "ok") | (status["status_b"] != "ok")).sum())
    for f in fields:
        if match:
            res = compare_paired(pairs[f"{f}_a"].to_numpy(), pairs[f"{f}_b"].to_numpy())
            rows.append(
                {"outcome": f, "design": "paired (CRN)", "pairs_with_failure": failed, **res}
            )
        else:
            res = compare_independent(_values(a, f).to_numpy(), _values(b, f).to_numpy())
            rows.append({"outcome": f, "design": "independent", **res})
    table = pd.DataFrame(rows)
    table.attrs["pairing"] = why
    return table


def _equals(col: pd.Series, value: object) -> pd.Series:
    value = parse_value(value)
    if pd.api.types.is_bool_dtype(col) or isinstance(value, bool):
        return col.astype(str).str.lower() == str(value).lower()
    if pd.api.types.is_numeric_dtype(col) and isinstance(value, int | float):
        return pd.Series(np.isclose(col.astype(float), float(value)), index=col.index)
    return col.astype(str) == str(value)


def split_setting(
    outcomes: pd.DataFrame, key: str, a_value: object, b_value: object
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Runs of one batch with `key` equal to `a_value` and to `b_value` (text parsed as TOML)."""
    if key not in outcomes:
        raise UserError(f"unknown key {key!r} in this run store")
    a, b = (outcomes[_equals(outcomes[key], v)] for v in (a_value, b_value))
    if a.empty or b.empty:
        values = ", ".join(sorted(outcomes[key].astype(str).unique())[:10])
        missing = a_value if a.empty else b_value
        raise UserError(f"{key}: no runs with value {missing} (values: {values})")
    return a, b
