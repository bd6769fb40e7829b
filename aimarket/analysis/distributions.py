"""Outcome distributions per setting: summary table (mean with CI, quantiles) and figures."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from aimarket.analysis.fields import DISTRIBUTION_FIELDS, label
from aimarket.analysis.plotting import colours, grid, styled
from aimarket.analysis.stats import in_order, mean_with_ci


def numeric(col: pd.Series) -> pd.Series:
    """`col` as float64 (booleans → 0/1, None → NaN)."""
    return pd.to_numeric(col, errors="coerce").astype("float64")


def available(outcomes: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """The `fields` present in `outcomes` with at least one value."""
    return [f for f in fields if f in outcomes and outcomes[f].notna().any()]


def unavailable(outcomes: pd.DataFrame, fields: Sequence[str]) -> list[str]:
    """Why each of `fields` cannot be shown: ``"name (no column)"`` or ``"name (no values)"``."""
    return [
        f"{f} (no column)" if f not in outcomes else f"{f} (no values)"
        for f in fields
        if f not in available(outcomes, fields)
    ]


def outcome_summary(
    outcomes: pd.DataFrame, settings: pd.Series, fields: Sequence[str] = DISTRIBUTION_FIELDS
) -> pd.DataFrame:
    """Per outcome and setting: n, n_missing, mean with bootstrap 95 % CI, median, 5/95 % quantiles.

    Only runs with status ok enter; for `first_breakdown_tick` missing means "no breakdown by
    the horizon" (see `survival` for the censoring-aware view).
    """
    ok = outcomes["status"] == "ok"
    rows = []
    for field in available(outcomes, fields):
        values = numeric(outcomes.loc[ok, field])
        for g, v in values.groupby(settings.loc[ok.index[ok]], sort=True):
            rows.append({"outcome": field, "setting": g, **mean_with_ci(v.to_numpy())})
    return in_order(pd.DataFrame(rows), settings)


#: Values per setting drawn at most; larger samples are drawn as this many quantiles.
PLOT_POINTS = 2_000


def _thinned(data: pd.DataFrame, field: str) -> pd.DataFrame:
    """Each setting's values of `field`, or its `PLOT_POINTS` equally spaced quantiles when it
    has more (the ECDF is exact at those levels and the histogram's shape is kept, at a cost
    independent of the number of runs)."""
    parts = []
    for g, sub in data.groupby("setting", sort=False):
        values = sub[field].to_numpy()
        if len(values) > PLOT_POINTS:  # one sort, not PLOT_POINTS partitions
            at = ((np.arange(PLOT_POINTS) + 0.5) * len(values) / PLOT_POINTS).astype(int)
            values = np.sort(values)[at]
        parts.append(pd.DataFrame({field: values, "setting": g}))
    return pd.concat(parts, ignore_index=True) if parts else data


@styled
def plot_distributions(
    outcomes: pd.DataFrame,
    settings: pd.Series,
    fields: Sequence[str] = DISTRIBUTION_FIELDS,
    kind: str = "hist",
) -> Figure | None:
    """One panel per outcome: histograms (`kind="hist"`) or ECDFs (`"ecdf"`) coloured by setting."""
    fields = available(outcomes, fields)
    if not fields:
        return None
    ok = outcomes["status"] == "ok"
    data = pd.DataFrame({f: numeric(outcomes.loc[ok, f]) for f in fields})
    data["setting"] = settings.loc[ok.index[ok]]
    hue = "setting" if data["setting"].nunique() > 1 else None
    order = list(data.groupby("setting", sort=True).groups)  # one colour per setting, all panels
    palette = dict(zip(order, colours(len(order)), strict=True)) if hue else None
    fig, axes = grid(len(fields))
    for ax, field in zip(axes, fields, strict=True):
        sub = _thinned(data[[field, "setting"]].dropna(), field)
        if kind == "ecdf":
            sns.ecdfplot(sub, x=field, hue=hue, ax=ax, palette=palette)
        else:
            values = sub[field].to_numpy()
            bins = min(30, max(5, int(np.sqrt(len(sub)))))
            centre = float(np.median(values)) if len(values) else 0.0
            flat = len(values) == 0 or np.ptp(values) <= 1e-9 * max(1.0, abs(centre))
            sns.histplot(
                sub,
                x=field,
                hue=hue,
                ax=ax,
                bins=1 if flat else bins,
                binrange=(centre - 0.5, centre + 0.5) if flat else None,
                element="step",
                stat="density",
                common_norm=False,
                palette=palette,
            )
        ax.set_xlabel(label(field))
        if ax.get_legend() is not None and ax is not axes[0]:
            ax.get_legend().remove()
    return fig
