"""Scenario discovery: which box of swept parameters leads to an event (e.g. monopoly-like).

Two readable answers, as in scenario-discovery practice: PRIM peeling (Friedman & Fisher 1999)
with its coverage/density trajectory, and a shallow CART tree (scikit-learn) whose leaves are
rules. Coverage = share of all event runs inside the box; density = share of box runs with the
event.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from sklearn.tree import DecisionTreeClassifier

from aimarket.analysis.notes import Skipped
from aimarket.analysis.plotting import styled


def _xy(outcomes: pd.DataFrame, keys: Sequence[str], flag: pd.Series):
    data = outcomes[list(keys)].apply(pd.to_numeric, errors="coerce").assign(_y=flag).dropna()
    keys = [k for k in keys if data[k].nunique() > 1]
    if not keys:
        raise Skipped("no swept parameter varies")
    y = data["_y"].to_numpy(float)
    if y.sum() == 0 or y.sum() == len(y):
        raise Skipped(f"the event happened in {int(y.sum())} of {len(y)} runs: nothing to separate")
    return data[keys].to_numpy(float), y, keys


def _peel(x: np.ndarray, inside: np.ndarray, alpha: float, side: str) -> np.ndarray:
    """Box mask after peeling the `alpha` tail of `x` on `side` (at least one tied level)."""
    if side == "lo":
        cut = np.quantile(x[inside], alpha)
        keep = inside & (x >= cut)
        return keep if keep.sum() < inside.sum() else inside & (x > cut)
    cut = np.quantile(x[inside], 1 - alpha)
    keep = inside & (x <= cut)
    return keep if keep.sum() < inside.sum() else inside & (x < cut)


def prim(
    outcomes: pd.DataFrame,
    keys: Sequence[str],
    flag: pd.Series,
    alpha: float = 0.05,
    min_mass: float = 0.05,
) -> pd.DataFrame:
    """PRIM peeling trajectory: one row per box (coverage, density, mass, n, bounds per key).

    Each step removes the `alpha` tail along the one key that raises density most, until the box
    holds less than `min_mass` of the runs. Bounds are columns ``<key>_lo``/``<key>_hi``.
    """
    X, y, keys = _xy(outcomes, keys, flag)
    lo, hi = X.min(0).copy(), X.max(0).copy()
    inside = np.ones(len(y), bool)
    total = y.sum()
    steps = []

    def record() -> None:
        steps.append(
            {
                "coverage": y[inside].sum() / total,
                "density": y[inside].mean(),
                "mass": inside.mean(),
                "n": int(inside.sum()),
                **{f"{k}_lo": lo[j] for j, k in enumerate(keys)},
                **{f"{k}_hi": hi[j] for j, k in enumerate(keys)},
            }
        )

    record()
    while inside.mean() > min_mass and y[inside].mean() < 1:
        best = None
        for j in range(len(keys)):
            for side in ("lo", "hi"):
                keep = _peel(X[:, j], inside, alpha, side)
                if not keep.any() or keep.sum() == inside.sum() or keep.mean() < min_mass:
                    continue
                density = y[keep].mean()
                if best is None or density > best[0]:
                    best = (density, j, side, keep)
        if best is None:
            break
        _, j, side, keep = best
        inside = keep
        lo[j], hi[j] = X[inside, j].min(), X[inside, j].max()
        record()
    return pd.DataFrame(steps)


def choose_box(trajectory: pd.DataFrame, min_coverage: float = 0.5) -> pd.Series:
    """The box with the best balance of coverage and density (their harmonic mean), among boxes
    covering at least `min_coverage` of the event runs."""
    ok = trajectory[trajectory["coverage"] >= min_coverage]
    if ok.empty:
        return trajectory.iloc[0]
    f1 = 2 * ok["coverage"] * ok["density"] / (ok["coverage"] + ok["density"])
    return ok.loc[f1.idxmax()]


def box_rules(box: pd.Series, outcomes: pd.DataFrame, keys: Sequence[str]) -> list[str]:
    """Readable limits of `box`, only for keys it restricts (e.g. ``"x ≥ 0.61"``)."""
    rules = []
    for k in keys:
        if f"{k}_lo" not in box:
            continue
        col = pd.to_numeric(outcomes[k], errors="coerce")
        if box[f"{k}_lo"] > col.min():
            rules.append(f"{k} ≥ {box[f'{k}_lo']:.4g}")
        if box[f"{k}_hi"] < col.max():
            rules.append(f"{k} ≤ {box[f'{k}_hi']:.4g}")
    return rules


def cart_rules(
    outcomes: pd.DataFrame, keys: Sequence[str], flag: pd.Series, max_depth: int = 3
) -> pd.DataFrame:
    """Leaves of a shallow classification tree as rules: rule, n, events, density, coverage."""
    X, y, keys = _xy(outcomes, keys, flag)
    leaf_min = max(5, int(0.02 * len(y)))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=leaf_min, random_state=0)
    tree.fit(X, y.astype(int))
    t = tree.tree_
    leaf_of = tree.apply(X)
    rows = []

    def walk(node: int, path: list[str]) -> None:
        if t.children_left[node] == -1:
            in_leaf = leaf_of == node
            rows.append(
                {
                    "rule": " and ".join(path) or "(all runs)",
                    "n": int(in_leaf.sum()),
                    "events": int(y[in_leaf].sum()),
                    "density": y[in_leaf].mean(),
                    "coverage": y[in_leaf].sum() / y.sum(),
                }
            )
            return
        name, thr = keys[t.feature[node]], t.threshold[node]
        walk(t.children_left[node], [*path, f"{name} ≤ {thr:.4g}"])
        walk(t.children_right[node], [*path, f"{name} > {thr:.4g}"])

    walk(0, [])
    return pd.DataFrame(rows).sort_values("density", ascending=False, ignore_index=True)


@styled
def plot_trajectory(trajectory: pd.DataFrame, chosen: pd.Series) -> Figure:
    """PRIM peeling trajectory: density against coverage, the chosen box circled."""
    fig = Figure(figsize=(5.5, 4.2), layout="constrained")
    ax = fig.subplots()
    sc = ax.scatter(
        trajectory["coverage"], trajectory["density"], c=trajectory["mass"], cmap="viridis", s=18
    )
    fig.colorbar(sc, ax=ax, label="mass (share of runs in box)")
    ax.scatter(
        [chosen["coverage"]],
        [chosen["density"]],
        s=160,
        facecolors="none",
        edgecolors="red",
        lw=2,
        label="chosen box",
    )
    ax.set_xlabel("coverage")
    ax.set_ylabel("density")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(loc="lower left", fontsize="small")
    return fig
