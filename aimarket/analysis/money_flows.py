"""Money with an origin (docs/ODD.md 3.3.19): where one run's money went, and circular revenue by
origin kind across a run store.

``plot_origin_flows(money.origin_flows(rows))`` draws one horizontal bar per origin kind (equity,
credits, group funding, vendor financing, sponsorship, outside), split by what the money was spent
on (USD bn, each hop counted); hatched ``home: KIND`` segments are money that came back to its
origin's group as KIND revenue (circular). ``circular_by_origin`` averages the outcome field
``circular_revenue_share_by_origin`` per setting and ``plot_circular_by_origin`` stacks it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from aimarket.analysis.plotting import colours, styled

MAX_DESTINATIONS = 9  # destinations drawn in the flow figure; the rest are "other"


@styled
def plot_origin_flows(flows: Mapping[tuple[str, str], float]) -> Figure | None:
    """Stacked bars (USD bn) of ``(origin kind, destination) -> amount``; None if no flows."""
    if not flows:
        return None
    by_dest: dict[str, float] = defaultdict(float)
    by_origin: dict[str, float] = defaultdict(float)
    for (origin, dest), amount in flows.items():
        by_dest[dest] += amount
        by_origin[origin] += amount
    shown = sorted(by_dest, key=lambda d: (not d.startswith("home"), -by_dest[d]))
    shown = shown[:MAX_DESTINATIONS]
    origins = sorted(by_origin, key=lambda o: -by_origin[o])
    table = np.zeros((len(origins), len(shown) + 1))
    for (origin, dest), amount in flows.items():
        column = shown.index(dest) if dest in shown else len(shown)
        table[origins.index(origin), column] += amount
    labels = [*shown, "other"]
    fig = Figure(figsize=(9, 0.6 * len(origins) + 2.2), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(origins))
    for j, (label, colour) in enumerate(zip(labels, colours(len(labels)), strict=True)):
        if table[:, j].sum() <= 0:
            continue
        hatch = "//" if label.startswith("home") else None
        ax.barh(origins, table[:, j], left=left, label=label, color=colour, hatch=hatch)
        left += table[:, j]
    ax.set_xlabel("USD bn over the run (each hop counted)")
    ax.set_ylabel("origin of the money (kind)")
    ax.set_title("Where each origin's money went (hatched: came home = circular)")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize="small", ncols=2)
    return fig


def circular_by_origin(outcomes: pd.DataFrame, settings: pd.Series) -> pd.DataFrame:
    """Mean ``circular_revenue_share_by_origin`` (fraction of cloud revenue) per setting over runs
    that finished: one column per origin kind with any circular revenue."""
    column = outcomes["circular_revenue_share_by_origin"]
    ok = column.map(lambda v: isinstance(v, Mapping))
    if "status" in outcomes:
        ok &= outcomes["status"] == "ok"
    shares = pd.DataFrame(list(column[ok]), index=column[ok].index).fillna(0.0)
    shares.insert(0, "setting", settings[ok].to_numpy())
    table = shares.groupby("setting", sort=False).mean()
    return table.loc[:, table.sum() > 0].reset_index()


@styled
def plot_circular_by_origin(table: pd.DataFrame) -> Figure | None:
    """Stacked bars per setting of the mean circular share of cloud revenue by origin kind
    (``circular_by_origin``); None if there is none."""
    kinds = [c for c in table.columns if c != "setting"]
    if table.empty or not kinds:
        return None
    fig = Figure(figsize=(9, 0.5 * len(table) + 2.2), layout="constrained")
    ax = fig.subplots()
    left = np.zeros(len(table))
    for kind, colour in zip(kinds, colours(len(kinds)), strict=True):
        ax.barh(table["setting"].astype(str), table[kind], left=left, label=kind, color=colour)
        left += table[kind].to_numpy()
    ax.set_xlabel("share of cloud revenue over the run (mean across runs)")
    ax.set_ylabel("setting (swept values)")
    ax.set_title("Circular revenue by origin of the money")
    ax.invert_yaxis()
    ax.legend(loc="lower right", fontsize="small")
    return fig
