"""Analyses over a run store's tables: plain functions over data frames, results as data frames.

Running and analysing are separate: nothing here runs the model. For a notebook::

    from aimarket import analysis as an
    run = an.load_run("runs/ao")
    settings = an.setting_labels(run.outcomes, an.swept_keys(run.manifest, run.outcomes))
    an.event_probabilities(run.outcomes, settings)      # P(breakdown), P(monopoly-like), Wilson CI
    curves, medians = an.survival_by(an.breakdown_durations(run.outcomes), settings)
    an.plot_survival(curves)                            # a matplotlib Figure

Every name below is imported on first use (``import aimarket.analysis`` loads nothing heavy and
changes no global state: no matplotlib backend or style). Each module answers one question
(`regimes`, `phase`, `survival`, `sensitivity`, `discovery`, `paired`, `timeseries`,
`distributions`, `money_flows`); `report.build_report` assembles them into one HTML file. Worked
example: ``analysis/notebook.py``.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name → module of ``aimarket.analysis`` defining it.
_EXPORTS = {
    **dict.fromkeys(("RunData", "load_run", "setting_labels", "swept_keys"), "load"),
    **dict.fromkeys(("outcome_summary", "plot_distributions"), "distributions"),
    **dict.fromkeys(
        ("event_flags", "event_probabilities", "regime_shares", "breakdown_by_tick", "failures"),
        "regimes",
    ),
    **dict.fromkeys(("proportion", "wilson_interval", "mean_with_ci", "t_interval"), "stats"),
    **dict.fromkeys(
        (
            "kaplan_meier",
            "breakdown_durations",
            "arrangement_durations",
            "survival_by",
            "cause_table",
            "plot_survival",
            "plot_causes",
        ),
        "survival",
    ),
    **dict.fromkeys(("phase_table", "plot_phase", "plot_phase_1d"), "phase"),
    **dict.fromkeys(("sensitivity_indices", "plot_sensitivity"), "sensitivity"),
    **dict.fromkeys(("compare", "split_setting"), "paired"),
    **dict.fromkeys(("prim", "cart_rules"), "discovery"),
    **dict.fromkeys(("envelopes", "plot_envelopes"), "timeseries"),
    **dict.fromkeys(
        ("plot_origin_flows", "circular_by_origin", "plot_circular_by_origin"), "money_flows"
    ),
    **dict.fromkeys(("build_report", "default_by"), "report"),
}

#: Exported names that differ from the function's own (``sensitivity`` is also a module name).
_RENAMED = {"sensitivity_indices": "sensitivity"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'aimarket.analysis' has no attribute {name!r}")
    module = importlib.import_module(f"aimarket.analysis.{_EXPORTS[name]}")
    return getattr(module, _RENAMED.get(name, name))


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
