"""Analyses over a run store's tables: plain functions over data frames, results as data frames.

Running and analysing are separate: nothing here runs the model. `load_run` reads a run store;
each module answers one question (`regimes`, `phase`, `survival`, `sensitivity`, `discovery`,
`paired`, `timeseries`, `distributions`); `report.build_report` assembles them into one HTML file.
"""

from aimarket.analysis.load import RunData, load_run, setting_labels, swept_keys

__all__ = ["RunData", "load_run", "setting_labels", "swept_keys"]
