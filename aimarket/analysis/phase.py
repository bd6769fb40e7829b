"""Phase diagrams: P(event) over two swept parameters, with the 50 % contour.

Grid designs use the swept values as they are; continuous designs (LHS, Sobol) are cut into
equal-width bins and each cell is labelled by its centre.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from scipy import stats

from aimarket.analysis.fields import event_label, key_label
from aimarket.analysis.plotting import styled
from aimarket.analysis.stats import SMALL_N, wilson_interval

MAX_LEVELS = 12


def _levels(col: pd.Series, bins: int) -> pd.Series:
    """Grid values unchanged; a continuous column replaced by its equal-width bin centre."""
    values = pd.to_numeric(col, errors="coerce")
    if values.nunique() <= MAX_LEVELS:
        return values
    edges = np.linspace(values.min(), values.max(), bins + 1)
    idx = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, bins - 1)
    centres = (edges[:-1] + edges[1:]) / 2
    return pd.Series(centres[idx], index=col.index)


def phase_table(
    outcomes: pd.DataFrame, x: str, y: str | None, flag: pd.Series, bins: int = 6
) -> pd.DataFrame:
    """P(flag) per (x, y) cell: columns x, y, k, n, p, lo, hi (Wilson 95 %), small_sample.

    `flag` is a 0/1 series aligned with `outcomes` (NaN for failed runs, left out of n).
    """
    data = pd.DataFrame(
        {
            "x": _levels(outcomes[x], bins),
            "y": _levels(outcomes[y], bins) if y else 0.0,
            "flag": flag,
        }
    ).dropna()
    table = data.groupby(["x", "y"])["flag"].agg(k="sum", n="count").reset_index()
    table["p"] = table["k"] / table["n"]
    table["lo"], table["hi"] = wilson_interval(table["k"].to_numpy(), table["n"].to_numpy())
    table["small_sample"] = table["n"] < SMALL_N
    return table


def contour_50(table: pd.DataFrame) -> pd.DataFrame:
    """Per y level, the x where P crosses 0.5 (linear interpolation between cells; NaN if none)."""
    rows = []
    for yv, sub in table.sort_values("x").groupby("y"):
        xs, ps = sub["x"].to_numpy(float), sub["p"].to_numpy(float) - 0.5
        x50 = np.nan
        for i in range(len(xs) - 1):
            if ps[i] == 0:
                x50 = xs[i]
                break
            if ps[i] * ps[i + 1] < 0:
                x50 = xs[i] + (xs[i + 1] - xs[i]) * ps[i] / (ps[i] - ps[i + 1])
                break
        rows.append({"y": yv, "x50": x50})
    return pd.DataFrame(rows)


def rank_keys(outcomes: pd.DataFrame, keys: Sequence[str], flag: pd.Series) -> list[str]:
    """Swept keys ordered by |Spearman ρ| with `flag` (strongest first; constant keys last)."""
    scores = {}
    mask = flag.notna()
    for key in keys:
        x = pd.to_numeric(outcomes.loc[mask, key], errors="coerce")
        ok = x.notna()
        if x[ok].nunique() < 2 or flag[mask][ok].nunique() < 2:
            scores[key] = -1.0
            continue
        scores[key] = abs(float(stats.spearmanr(x[ok], flag[mask][ok]).statistic))
    return sorted(keys, key=lambda k: -scores[k])


def _tick_labels(values: np.ndarray) -> list[str]:
    return [f"{v:.4g}" for v in values]


@styled
def plot_phase(table: pd.DataFrame, x: str, y: str, event: str) -> Figure:
    """Heatmap of P(event) over (x, y) with cell annotations and the dashed 50 % contour."""
    p = table.pivot(index="y", columns="x", values="p").sort_index()
    n = table.pivot(index="y", columns="x", values="n").reindex_like(p)
    fig = Figure(
        figsize=(1.2 + 0.75 * p.shape[1] + 1.5, 1.0 + 0.55 * p.shape[0] + 1), layout="constrained"
    )
    ax = fig.subplots()
    annot = p.map(lambda v: "" if np.isnan(v) else f"{v:.2f}")
    sns.heatmap(
        p,
        ax=ax,
        vmin=0,
        vmax=1,
        cmap="rocket_r",
        annot=annot,
        fmt="",
        annot_kws={"fontsize": 7},
        cbar_kws={"label": f"P({event_label(event)})"},
        xticklabels=_tick_labels(p.columns.to_numpy()),
        yticklabels=_tick_labels(p.index.to_numpy()),
    )
    ax.invert_yaxis()
    if min(p.shape) >= 2 and np.nanmin(p.values) < 0.5 < np.nanmax(p.values):
        gx, gy = np.meshgrid(np.arange(p.shape[1]) + 0.5, np.arange(p.shape[0]) + 0.5)
        ax.contour(
            gx,
            gy,
            np.ma.masked_invalid(p.values),
            levels=[0.5],
            colors="white",
            linestyles="--",
            linewidths=2,
        )
    ax.set_xlabel(key_label(x))
    ax.set_ylabel(key_label(y))
    small = int((n.values < SMALL_N).sum())
    ax.set_title(
        f"P({event_label(event)}); dashed: 50 % contour; {small} cells with n<{SMALL_N}",
        fontsize="small",
    )
    return fig


@styled
def plot_phase_1d(table: pd.DataFrame, x: str, event: str) -> Figure:
    """P(event) against one swept key with the Wilson band (when only one key was swept)."""
    fig = Figure(figsize=(6, 4), layout="constrained")
    ax = fig.subplots()
    t = table.sort_values("x")
    ax.plot(t["x"], t["p"], marker="o")
    ax.fill_between(t["x"], t["lo"], t["hi"], alpha=0.25)
    ax.axhline(0.5, color="grey", ls=":")
    ax.set_ylim(0, 1)
    ax.set_xlabel(key_label(x))
    ax.set_ylabel(f"P({event_label(event)}) (95 % Wilson)")
    return fig
