"""Explore a run store with the analysis API (no model re-runs).

    python analysis/explore_run.py runs/NAME [--by KEY]

Prints failures, regime probabilities with Wilson intervals and the median time to the first
exclusivity breakdown, then writes the HTML report next to the run store.
"""

from __future__ import annotations

import argparse

import pandas as pd

from aimarket.analysis import load_run, regimes, setting_labels, survival
from aimarket.analysis.report import build_report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("--by", action="append", default=[])
    args = parser.parse_args()

    run = load_run(args.run_dir)
    settings = setting_labels(run.outcomes, args.by)
    pd.set_option("display.width", 140)
    print(regimes.failures(run.outcomes, settings).to_string(index=False), "\n")
    print(regimes.event_probabilities(run.outcomes, settings).to_string(index=False), "\n")
    if "first_breakdown_tick" in run.outcomes and not run.ok.empty:
        runs = survival.breakdown_durations(run.outcomes)
        _, medians = survival.survival_by(runs, settings.loc[runs.index])
        print(medians.to_string(index=False), "\n")
    print("report:", build_report(run, by=args.by or None))


if __name__ == "__main__":
    main()
