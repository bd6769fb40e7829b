"""Regime probabilities per setting: P(breakdown by tick t), P(monopoly-like), regime shares."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from aimarket.analysis.fields import REGIMES
from aimarket.analysis.stats import in_order, proportion, proportion_table


def horizon(outcomes: pd.DataFrame) -> float:
    """The run horizon in ticks (largest `ticks`), NaN when the column is missing."""
    return float(outcomes["ticks"].max()) if "ticks" in outcomes else np.nan


def event_flags(outcomes: pd.DataFrame) -> pd.DataFrame:
    """0/1 columns per run for the events analysed as probabilities; NaN for failed runs.

    `breakdown`: an exclusive arrangement broke down before the horizon
    (`first_breakdown_tick` not null); `monopoly_like`, `monopoly_like_vertical`: as recorded
    by the model (horizontal and vertical tests, `metrics.monopoly_definition`).
    Columns whose source field is missing are left out.
    """
    ok = outcomes["status"] == "ok"
    flags = pd.DataFrame(index=outcomes.index)
    if "first_breakdown_tick" in outcomes:
        flags["breakdown"] = outcomes["first_breakdown_tick"].notna().astype(float)
    if "monopoly_like" in outcomes:
        flags["monopoly_like"] = outcomes["monopoly_like"].astype("float64")
    if "monopoly_like_vertical" in outcomes:
        flags["monopoly_like_vertical"] = outcomes["monopoly_like_vertical"].astype("float64")
    return flags.where(ok)


def event_probabilities(outcomes: pd.DataFrame, settings: pd.Series) -> pd.DataFrame:
    """P(event) per setting with Wilson 95 % intervals (long: event, setting, k, n, p, lo, hi)."""
    flags = event_flags(outcomes)
    tables = [proportion_table(flags[e], settings).assign(event=e) for e in flags.columns]
    if not tables:
        return pd.DataFrame(columns=["event", "setting", "k", "n", "p", "lo", "hi"])
    out = pd.concat(tables, ignore_index=True)
    return out[["event", *[c for c in out.columns if c != "event"]]]


def breakdown_by_tick(
    outcomes: pd.DataFrame, settings: pd.Series, ticks: Sequence[int] | None = None
) -> pd.DataFrame:
    """P(first exclusivity breakdown at or before tick t) per setting, Wilson intervals.

    Runs are censored at their horizon; t beyond a run's horizon is not estimated. Uses the raw
    proportion, which equals 1 − KM survival when all runs share one horizon.
    """
    ok = outcomes[outcomes["status"] == "ok"]
    if "first_breakdown_tick" not in ok:
        return pd.DataFrame()
    T = horizon(ok)
    if ticks is None:
        ticks = np.unique(np.linspace(0, T if np.isfinite(T) else 1, 7).round().astype(int))[1:]
    rows = []
    for g, sub in ok.groupby(settings.loc[ok.index], sort=True):
        t_break = sub["first_breakdown_tick"].astype(float)
        for t in ticks:
            k = int((t_break <= t).sum())
            rows.append({"setting": g, "tick": int(t), **proportion(k, len(sub))})
    return in_order(pd.DataFrame(rows), settings)


def regime_shares(outcomes: pd.DataFrame, settings: pd.Series) -> pd.DataFrame:
    """Share of runs in each regime per setting, Wilson intervals (failed runs excluded from n)."""
    ok = outcomes[outcomes["status"] == "ok"]
    if "regime" not in ok:
        return pd.DataFrame()
    regimes = list(REGIMES) + sorted(set(ok["regime"].dropna()) - set(REGIMES))
    rows = []
    for g, sub in ok.groupby(settings.loc[ok.index], sort=True):
        for r in regimes:
            rows.append(
                {"setting": g, "regime": r, **proportion(int((sub.regime == r).sum()), len(sub))}
            )
    return in_order(pd.DataFrame(rows), settings)


def failures(outcomes: pd.DataFrame, settings: pd.Series) -> pd.DataFrame:
    """Failed runs per setting with Wilson interval on the failure rate and the first error."""
    rows = []
    for g, sub in outcomes.groupby(settings, sort=True):
        failed = sub[sub["status"] != "ok"]
        err = failed["error"].dropna().astype(str)
        rows.append(
            {
                "setting": g,
                **proportion(len(failed), len(sub)),
                "example_error": err.iloc[0].splitlines()[-1][:200] if len(err) else "",
            }
        )
    return pd.DataFrame(rows).rename(columns={"k": "failed", "n": "runs", "p": "failure_rate"})
