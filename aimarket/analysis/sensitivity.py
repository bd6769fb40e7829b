"""Global sensitivity with SALib, chosen by the batch design recorded in the manifest.

- ``sobol``/``saltelli``: Sobol first (S1) and total (ST) indices with bootstrap CIs
  (`SALib.analyze.sobol`); rows must be the Saltelli sample in design-point order.
- ``morris``: elementary effects μ*, σ (`SALib.analyze.morris`).
- ``lhs``: RBD-FAST first-order indices (`SALib.analyze.rbd_fast`), valid on a Latin hypercube.

Replications of one design point are averaged first (a probability for 0/1 outcomes).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from SALib.analyze import morris, rbd_fast, sobol

from aimarket.analysis.distributions import numeric
from aimarket.analysis.load import swept_keys
from aimarket.analysis.notes import Skipped
from aimarket.analysis.plotting import PALETTE, grid, styled

SOBOL_KINDS = {"sobol", "saltelli"}


def _bounds(spec: object) -> list[float] | None:
    if isinstance(spec, dict):
        for lo, hi in (("low", "high"), ("min", "max"), ("lower", "upper")):
            if lo in spec and hi in spec:
                return [float(spec[lo]), float(spec[hi])]
        return None
    if isinstance(spec, list | tuple) and len(spec) == 2:
        return [float(spec[0]), float(spec[1])]
    return None


def problem_from_design(manifest: dict, outcomes: pd.DataFrame) -> dict:
    """SALib problem dict (num_vars, names, bounds) from the manifest design, else from the data."""
    design = manifest.get("design") or {}
    if isinstance(design.get("problem"), dict) and design["problem"].get("names"):
        prob = design["problem"]
        return {
            "num_vars": len(prob["names"]),
            "names": list(prob["names"]),
            "bounds": [list(map(float, b)) for b in prob["bounds"]],
        }
    names = swept_keys(manifest, outcomes)
    ranges = design.get("ranges") or design.get("bounds") or {}
    bounds = []
    for name in names:
        b = _bounds(ranges.get(name)) if isinstance(ranges, dict) else None
        col = pd.to_numeric(outcomes[name], errors="coerce")
        bounds.append(b or [float(col.min()), float(col.max())])
    return {"num_vars": len(names), "names": names, "bounds": bounds}


def design_means(outcomes: pd.DataFrame, names: Sequence[str], fields: Sequence[str]):
    """(X, Y) per design point in design-point order: swept values and mean over ok replications.

    Y columns are NaN where a design point has no ok run.
    """
    by_point = outcomes.groupby("design_point", sort=True)
    X = by_point[list(names)].first().apply(pd.to_numeric, errors="coerce")
    ok = outcomes[outcomes["status"] == "ok"]
    Y = pd.DataFrame({f: numeric(ok[f]) for f in fields}).groupby(ok["design_point"]).mean()
    return X, Y.reindex(X.index)


def _second_order(design: dict, X: np.ndarray) -> bool:
    """Whether the Saltelli sample `X` includes second-order rows (manifest flag, else layout).

    Without the flag, the layout decides: in a first-order block (A, AB_1..AB_D, B) row 1 takes
    column 0 from B (row D+1); in a second-order block row D+1 is BA_1 instead.
    """
    if "calc_second_order" in design:
        return bool(design["calc_second_order"])
    n, d = X.shape
    fits_first, fits_second = n % (d + 2) == 0, n % (2 * d + 2) == 0
    if fits_first and fits_second:
        first_layout = X[1, 0] == X[d + 1, 0] and np.array_equal(X[1, 1:], X[0, 1:])
        return not first_layout
    if fits_first or fits_second:
        return fits_second
    raise Skipped(f"{n} design points is not a Saltelli sample of {d} parameters")


def _method(kind: str) -> tuple[str, tuple[str, ...]]:
    if kind in SOBOL_KINDS:
        return "Sobol (SALib sobol.analyze)", ("S1", "S1_conf", "ST", "ST_conf")
    if kind == "morris":
        return "Morris elementary effects (SALib morris.analyze)", (
            "mu_star",
            "mu_star_conf",
            "sigma",
        )
    if kind in {"lhs", "latin", "latin_hypercube"}:
        return "RBD-FAST first order (SALib rbd_fast.analyze)", ("S1", "S1_conf")
    raise Skipped(
        f"design kind {kind or 'unknown'!r}: no global sensitivity method "
        "(use a sobol, morris or lhs design)"
    )


def _analyze(kind: str, problem: dict, design: dict, X: pd.DataFrame, y: np.ndarray, seed: int):
    if kind in SOBOL_KINDS:
        second = _second_order(design, X.to_numpy(float))
        return sobol.analyze(problem, y, calc_second_order=second, seed=seed)
    if kind == "morris":
        levels = int(design.get("num_levels", 4))
        return morris.analyze(problem, X.to_numpy(float), y, seed=seed, num_levels=levels)
    return rbd_fast.analyze(problem, X.to_numpy(float), y, seed=seed)


def sensitivity(
    outcomes: pd.DataFrame, manifest: dict, fields: Sequence[str], seed: int = 0
) -> tuple[str, pd.DataFrame]:
    """(method, long table) of sensitivity indices of each outcome in `fields` to the swept keys.

    Table columns: setting, outcome, parameter, then the method's indices and their 95 % CI
    half-widths (S1, S1_conf, ST, ST_conf for Sobol; mu_star, mu_star_conf, sigma for Morris;
    S1, S1_conf for RBD-FAST). A sampled design crossed with a grid is analysed once per grid
    setting. Raises `Skipped` when the design supports no method.
    """
    design = manifest.get("design") or {}
    kind = str(design.get("kind", "")).lower()
    method, cols = _method(kind)
    problem = problem_from_design(manifest, outcomes)
    if problem["num_vars"] < 2 and kind not in SOBOL_KINDS:
        raise Skipped("fewer than two sampled parameters")
    outer = [k for k in swept_keys(manifest, outcomes) if k not in problem["names"]]
    fields = [f for f in fields if f in outcomes]
    groups = outcomes.groupby(outer, sort=True) if outer else [("all", outcomes)]
    rows, skipped = [], []
    for setting, sub in groups:
        label = (
            setting
            if not outer
            else ", ".join(f"{k}={v}" for k, v in zip(outer, np.atleast_1d(setting), strict=True))
        )
        X, Y = design_means(sub, problem["names"], fields)
        for field in fields:
            y = Y[field].to_numpy(float)
            if np.isnan(y).any():
                skipped.append(f"{label}: {field} (design points without an ok run)")
                continue
            if np.ptp(y) == 0:
                skipped.append(f"{label}: {field} (constant)")
                continue
            res = _analyze(kind, problem, design, X, y, seed)
            for i, name in enumerate(problem["names"]):
                values = {c: float(np.asarray(res[c])[i]) for c in cols}
                rows.append({"setting": label, "outcome": field, "parameter": name, **values})
    if not rows:
        raise Skipped("no outcome could be analysed: " + "; ".join(skipped))
    table = pd.DataFrame(rows)
    table.attrs["skipped"] = skipped
    return method, table


@styled
def plot_sensitivity(table: pd.DataFrame) -> Figure:
    """One panel per outcome: indices per parameter with their 95 % CIs as error bars."""
    value_cols = [c for c in ("S1", "ST", "mu_star") if c in table]
    panels = list(dict.fromkeys(zip(table["setting"], table["outcome"], strict=True)))
    height = 0.6 + 0.45 * table["parameter"].nunique()
    fig, axes = grid(len(panels), ncols=2, size=(5.5, height))
    for ax, (setting, outcome) in zip(axes, panels, strict=True):
        sub = table[(table["setting"] == setting) & (table["outcome"] == outcome)]
        long = sub.melt(id_vars="parameter", value_vars=value_cols, var_name="index")
        conf = sub.melt(id_vars="parameter", value_vars=[f"{c}_conf" for c in value_cols])
        long["conf"] = conf["value"].to_numpy()
        sns.barplot(
            long, y="parameter", x="value", hue="index", ax=ax, palette=PALETTE, errorbar=None
        )
        for container, index in zip(ax.containers, value_cols, strict=False):
            part = long[long["index"] == index]
            for bar, (_, row) in zip(container, part.iterrows(), strict=False):
                y = bar.get_y() + bar.get_height() / 2
                ax.plot(
                    [row["value"] - row["conf"], row["value"] + row["conf"]],
                    [y, y],
                    color="black",
                    lw=1,
                )
        title = outcome if setting == "all" else f"{outcome} | {setting}"
        ax.set_title(title, fontsize="small")
        ax.set_xlabel("index (95 % CI)")
        ax.set_ylabel("")
    return fig
