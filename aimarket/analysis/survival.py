"""Time to exclusivity breakdown: Kaplan–Meier with Greenwood intervals, medians, causes.

Two units: runs (time to the first breakdown of any clause; a run without one is right-censored
at its horizon `ticks`) and arrangements (each exclusive/ROFR clause from coming into force to
its breakdown; censored at expiry or the horizon). Confidence bands use
Greenwood's variance on the log(−log S) scale (as R's ``survfit(conf.type="log-log")``); the
median's interval is where the band crosses 0.5 (Brookmeyer–Crowley).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

from aimarket.analysis.plotting import colours, styled
from aimarket.analysis.stats import CONFIDENCE, SMALL_N, _z, in_order, proportion


def kaplan_meier(
    durations: np.ndarray, observed: np.ndarray, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Kaplan–Meier estimate at each distinct event time (plus t = 0).

    `durations`: time to event or censoring (ticks); `observed`: True where the event happened.
    Returns columns time, at_risk, events, censored, survival, se (Greenwood), lo, hi.
    """
    t = np.asarray(durations, dtype=float)
    d = np.asarray(observed, dtype=bool)
    times = np.unique(t)
    at_risk = np.array([(t >= u).sum() for u in times])
    events = np.array([((t == u) & d).sum() for u in times])
    censored = np.array([((t == u) & ~d).sum() for u in times])
    with np.errstate(divide="ignore", invalid="ignore"):
        survival = np.cumprod(1 - events / at_risk)
        gw_terms = np.where(at_risk > events, events / (at_risk * (at_risk - events)), np.inf)
        gw = np.cumsum(np.where(events > 0, gw_terms, 0.0))
        se = survival * np.sqrt(gw)
        z = _z(confidence)
        log_s = np.log(survival)
        spread = z * np.sqrt(gw) / np.abs(log_s)
        lo = survival ** np.exp(spread)
        hi = survival ** np.exp(-spread)
    no_events_yet = np.cumsum(events) == 0
    lo = np.where(no_events_yet, 1.0, np.where(survival > 0, lo, 0.0))
    hi = np.where(no_events_yet, 1.0, np.where(survival > 0, hi, 0.0))
    table = pd.DataFrame(
        {
            "time": times,
            "at_risk": at_risk,
            "events": events,
            "censored": censored,
            "survival": survival,
            "se": se,
            "lo": np.nan_to_num(lo, nan=0.0),
            "hi": np.nan_to_num(hi, nan=1.0),
        }
    )
    start = pd.DataFrame(
        [
            {
                "time": 0.0,
                "at_risk": len(t),
                "events": 0,
                "censored": 0,
                "survival": 1.0,
                "se": 0.0,
                "lo": 1.0,
                "hi": 1.0,
            }
        ]
    )
    return table if len(times) and times[0] <= 0 else pd.concat([start, table], ignore_index=True)


def _first_below(km: pd.DataFrame, column: str) -> float:
    hit = km.loc[km[column] <= 0.5, "time"]
    return float(hit.iloc[0]) if len(hit) else np.inf


def median_survival(km: pd.DataFrame) -> dict[str, float]:
    """Median time with its interval; ``inf`` where the curve or band never reaches 0.5."""
    return {
        "median": _first_below(km, "survival"),
        "median_lo": _first_below(km, "lo"),
        "median_hi": _first_below(km, "hi"),
    }


def breakdown_durations(outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per ok run: duration (tick of first breakdown, else the horizon) and observed flag."""
    ok = outcomes[outcomes["status"] == "ok"]
    first = pd.to_numeric(ok["first_breakdown_tick"], errors="coerce")
    horizon = pd.to_numeric(ok["ticks"], errors="coerce") if "ticks" in ok else first.max()
    return pd.DataFrame(
        {"duration": first.fillna(horizon), "observed": first.notna()}, index=ok.index
    )


CLAUSE_EVENTS = ("clause_in_force", "breakdown", "expired")


def clause_spans(events: pd.DataFrame) -> pd.DataFrame:
    """Per run and deal whose clause came into force: the first month of each of
    `CLAUSE_EVENTS` (NaN when it did not happen). Columns ``run_id, deal_id, clause_in_force,
    breakdown, expired``. (A run store's spans are read without loading its events:
    ``RunData.clause_spans``.)"""
    ev = events[events["kind"].isin(CLAUSE_EVENTS)]
    first = ev.groupby(["run_id", "deal_id", "kind"])["tick"].min().unstack("kind")
    first = first.reindex(columns=list(CLAUSE_EVENTS)).astype(float).rename_axis(columns=None)
    first = first.reset_index()
    return first[first["clause_in_force"].notna()].reset_index(drop=True)


def arrangement_durations(spans: pd.DataFrame, outcomes: pd.DataFrame) -> pd.DataFrame:
    """Per exclusive or ROFR arrangement of an ok run (one row per run and deal), from
    `clause_spans`.

    ``duration``: months from the clause coming into force (tick 0 for clauses in force at the
    start) to its first breakdown (``observed``), else to the deal's expiry or the horizon
    (censored). Indexed like ``outcomes`` rows of the same run, so a per-run settings series can
    be mapped with ``settings.loc[result.index]``.
    """
    ok = outcomes[outcomes["status"] == "ok"]
    run_row = pd.Series(ok.index, index=ok["run_id"])
    spans = spans[spans["run_id"].isin(run_row.index)]
    horizon = ok.set_index("run_id")["ticks"].astype(float)
    end = spans["breakdown"].fillna(spans["expired"])
    end = end.fillna(pd.Series(horizon.loc[spans["run_id"]].to_numpy(), index=spans.index))
    return pd.DataFrame(
        {
            "run_id": spans["run_id"].to_numpy(),
            "deal_id": spans["deal_id"].to_numpy(),
            "duration": (end - spans["clause_in_force"].clip(lower=0)).to_numpy(dtype=float),
            "observed": spans["breakdown"].notna().to_numpy(),
        },
        index=run_row.loc[spans["run_id"]].to_numpy(),
    )


def survival_by(durations: pd.DataFrame, groups: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Kaplan–Meier curve per group (long table) and per-group medians with CIs.

    ``durations`` has columns duration and observed (``breakdown_durations`` or
    ``arrangement_durations``); ``groups`` labels its rows.
    """
    curves, medians = [], []
    for g, sub in durations.groupby(groups.to_numpy(), sort=True):
        km = kaplan_meier(sub["duration"].to_numpy(), sub["observed"].to_numpy())
        curves.append(km.assign(setting=g))
        medians.append(
            {
                "setting": g,
                "n": len(sub),
                "breakdowns": int(sub["observed"].sum()),
                "censored": int((~sub["observed"]).sum()),
                **median_survival(km),
                "small_sample": len(sub) < SMALL_N,
            }
        )
    return (
        in_order(pd.concat(curves, ignore_index=True), groups),
        in_order(pd.DataFrame(medians), groups),
    )


def cause_table(outcomes: pd.DataFrame, settings: pd.Series) -> pd.DataFrame:
    """Causes of the first breakdown per setting: count and share with Wilson intervals."""
    ok = outcomes[(outcomes["status"] == "ok") & outcomes["first_breakdown_tick"].notna()]
    if "first_breakdown_cause" not in ok or ok.empty:
        return pd.DataFrame()
    rows = []
    causes = ok["first_breakdown_cause"].fillna("unrecorded").astype(str)
    for g, sub in causes.groupby(settings.loc[ok.index], sort=True):
        for cause, k in sub.value_counts().items():
            rows.append({"setting": g, "cause": cause, **proportion(int(k), len(sub))})
    return in_order(pd.DataFrame(rows), settings)


@styled
def plot_survival(
    curves: pd.DataFrame,
    horizon: float | None = None,
    xlabel: str = "month of the run",
    ylabel: str = "P(no exclusivity breakdown yet)",
) -> Figure:
    """Step plot of the Kaplan–Meier curves with shaded confidence bands and the 0.5 line; the
    legend (one entry per setting) sits outside the axes, covering no curve."""
    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    ax = fig.subplots()
    groups = curves.groupby("setting", sort=True)
    for colour, (g, km) in zip(colours(groups.ngroups), groups, strict=True):
        times = km["time"].to_numpy()
        if horizon is not None and np.isfinite(horizon) and times[-1] < horizon:
            km = pd.concat([km, km.iloc[[-1]].assign(time=horizon)], ignore_index=True)
            times = km["time"].to_numpy()
        ax.step(times, km["survival"], where="post", color=colour, label=str(g))
        ax.fill_between(times, km["lo"], km["hi"], step="post", color=colour, alpha=0.2)
    ax.axhline(0.5, color="grey", ls=":", lw=1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if curves["setting"].nunique() > 1:
        fig.legend(loc="outside right upper", fontsize="x-small", title="setting")
    return fig


@styled
def plot_causes(causes: pd.DataFrame) -> Figure:
    """Horizontal bars: share of first breakdowns by cause per setting, with Wilson error bars."""
    n_bars = causes["cause"].nunique() * max(1, causes["setting"].nunique())
    fig = Figure(figsize=(7.5, 1.2 + 0.3 * n_bars), layout="constrained")
    ax = fig.subplots()
    cats = list(dict.fromkeys(causes["cause"]))
    settings = list(causes.groupby("setting", sort=True).groups)  # in the settings' order
    sns.barplot(
        causes,
        y="cause",
        x="p",
        hue="setting",
        hue_order=settings,
        order=cats,
        ax=ax,
        palette=colours(len(settings)),
        errorbar=None,
    )
    lookup = causes.set_index(["setting", "cause"])
    for container, g in zip(ax.containers, settings, strict=False):
        for bar, cause in zip(container, cats, strict=False):
            if (g, cause) in lookup.index:
                row = lookup.loc[(g, cause)]
                y = bar.get_y() + bar.get_height() / 2
                ax.plot([row["lo"], row["hi"]], [y, y], color="black", lw=1)
    ax.set_xlabel("share of first breakdowns (95 % Wilson CI)")
    ax.set_xlim(0, 1)
    return fig
