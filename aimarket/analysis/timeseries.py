"""Time-series envelopes: median and quantile bands of per-tick metrics across runs."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
from matplotlib.figure import Figure

from aimarket.analysis.fields import TIMESERIES_CONCENTRATION, series_label
from aimarket.analysis.plotting import colours, grid, styled

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def envelopes(
    timeseries: pd.DataFrame,
    run_settings: pd.Series,
    fields: Sequence[str] = TIMESERIES_CONCENTRATION,
    quantiles: Sequence[float] = QUANTILES,
) -> pd.DataFrame:
    """Per setting, field and tick: n runs, mean and the `quantiles` across runs.

    `run_settings` maps run_id → setting label (runs not in it, e.g. failed, are left out).
    Columns: setting, field, tick, n, mean, q05, q25, q50, q75, q95.
    """
    fields = [f for f in fields if f in timeseries]
    ts = timeseries[timeseries["run_id"].isin(run_settings.index)]
    ts = ts.assign(setting=ts["run_id"].map(run_settings))
    long = ts.melt(id_vars=["setting", "tick"], value_vars=fields, var_name="field").dropna()
    grouped = long.groupby(["setting", "field", "tick"])["value"]
    out = grouped.agg(n="count", mean="mean")
    for q in quantiles:
        out[f"q{round(q * 100):02d}"] = grouped.quantile(q)
    return out.reset_index()


@styled
def plot_envelopes(table: pd.DataFrame) -> Figure:
    """One panel per field: median line, 25–75 % (dark) and 5–95 % (light) bands per setting."""
    fields = list(dict.fromkeys(table["field"]))
    settings = list(table.groupby("setting", sort=True).groups)  # in the settings' order
    colour_of = dict(zip(settings, colours(len(settings)), strict=True))
    fig, axes = grid(len(fields))
    for ax, field in zip(axes, fields, strict=True):
        for g in settings:
            sub = table[(table["field"] == field) & (table["setting"] == g)].sort_values("tick")
            c = colour_of[g]
            ax.fill_between(sub["tick"], sub["q05"], sub["q95"], color=c, alpha=0.12, lw=0)
            ax.fill_between(sub["tick"], sub["q25"], sub["q75"], color=c, alpha=0.3, lw=0)
            ax.plot(sub["tick"], sub["q50"], color=c, label=str(g))
        ax.set_ylabel(series_label(field), fontsize="small")
        ax.set_xlabel("month of the run")
    if len(settings) > 1:
        fig.legend(
            *axes[0].get_legend_handles_labels(), loc="outside lower center", fontsize="x-small"
        )
    return fig
