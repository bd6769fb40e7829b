"""Read a run store (`runs/NAME/`) into data frames and label runs by setting."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from aimarket.deals import EVENT_FIELDS
from aimarket.errors import UserError
from aimarket.metrics import FIRM_FIELDS

#: Columns every outcome table carries besides the swept keys and outcome fields.
ID_COLUMNS = ("run_id", "design_point", "replication", "seed", "status", "error")


@dataclass
class RunData:
    """One run store in memory. `timeseries` is None when the batch kept no time series."""

    path: Path
    manifest: dict
    outcomes: pd.DataFrame
    events: pd.DataFrame
    timeseries: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.manifest.get("name") or self.path.name)

    @property
    def design(self) -> dict:
        return dict(self.manifest.get("design") or {})

    @property
    def ok(self) -> pd.DataFrame:
        """Runs that finished (status ok); failed runs are reported separately, never dropped."""
        return self.outcomes[self.outcomes["status"] == "ok"]


def _read_parts(folder: Path) -> pd.DataFrame | None:
    parts = sorted(folder.glob("part-*.parquet")) if folder.is_dir() else []
    if not parts:
        return None
    return pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)


def _store_readers():
    """`aimarket.store` readers when that module exists, else None (private parquet loader)."""
    try:
        from aimarket import store
    except ImportError:
        return None
    names = ("read_manifest", "read_outcomes", "read_events", "read_timeseries")
    return store if all(hasattr(store, n) for n in names) else None


def load_run(path: str | Path) -> RunData:
    """Read `manifest.json`, outcomes, events and (if kept) time series of the run store `path`.

    Raises `UserError` when the folder or its outcomes are missing.
    """
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: no such run folder")
    if not (path / "outcomes").is_dir() or not any((path / "outcomes").glob("*.parquet")):
        raise UserError(f"{path}: no outcomes (expected {path / 'outcomes'}/part-*.parquet)")
    store = _store_readers()
    if store is not None:
        manifest = store.read_manifest(path)
        outcomes = store.read_outcomes(path)
        events = store.read_events(path)
        timeseries = store.read_timeseries(path) if (path / "timeseries").is_dir() else None
    else:
        mpath = path / "manifest.json"
        manifest = json.loads(mpath.read_text()) if mpath.is_file() else {}
        outcomes = _read_parts(path / "outcomes")
        events = _read_parts(path / "events")
        timeseries = _read_parts(path / "timeseries")
    notes = []
    if not manifest:
        notes.append("manifest.json missing: design taken from the outcome columns")
    if outcomes is None or outcomes.empty:
        raise UserError(f"{path}: the outcome table is empty")
    outcomes = _normalise_outcomes(outcomes)
    if events is None or "run_id" not in events:  # no run had an event
        events = pd.DataFrame(columns=["run_id", *EVENT_FIELDS])
    if timeseries is not None and timeseries.empty:
        timeseries = None
    return RunData(path, dict(manifest), outcomes, events, timeseries, notes)


def _normalise_outcomes(outcomes: pd.DataFrame) -> pd.DataFrame:
    out = outcomes.copy()
    if "status" not in out:
        out["status"] = "ok"
    if "error" not in out:
        out["error"] = None
    for col in ("design_point", "replication"):
        if col not in out:
            out[col] = 0 if col == "design_point" else np.arange(len(out))
    if "run_id" not in out:
        out["run_id"] = np.arange(len(out))
    out["status"] = out["status"].fillna("failed").astype(str)
    return out


def swept_keys(manifest: dict, outcomes: pd.DataFrame) -> list[str]:
    """Swept dotted keys: from the manifest's design when present, else dotted column names."""
    design = manifest.get("design") or {}
    keys = design.get("keys") or design.get("swept") or design.get("names")
    if not keys and isinstance(design.get("problem"), dict):
        keys = design["problem"].get("names")
    if not keys and isinstance(design.get("ranges"), dict):
        keys = list(design["ranges"])
    if not keys and isinstance(design.get("grid"), dict):
        keys = list(design["grid"])
    if isinstance(keys, dict):
        keys = list(keys)
    if not keys:
        firm_fields = tuple(f"{prefix}." for prefix in FIRM_FIELDS)
        keys = [c for c in outcomes.columns if "." in c and not c.startswith(firm_fields)]
    return [k for k in keys if k in outcomes.columns]


def check_columns(outcomes: pd.DataFrame, keys: list[str]) -> None:
    """Raise `UserError` naming the first of `keys` that is not a column of `outcomes`."""
    for key in keys:
        if key not in outcomes.columns:
            known = ", ".join(c for c in outcomes.columns if "." in c or c == "design_point")
            raise UserError(f"unknown --by key {key!r} (known: {known or 'design_point'})")


def setting_labels(outcomes: pd.DataFrame, by: list[str], max_levels: int = 8) -> pd.Series:
    """One label per run naming its setting, e.g. ``"regulators.US.hhi_high=2500"``.

    A numeric key with more than `max_levels` distinct values (Latin hypercube, Sobol) is cut
    into quartiles. With no `by`, every run is in the setting ``"all"``.
    """
    if not by:
        return pd.Series("all", index=outcomes.index, name="setting")
    check_columns(outcomes, by)
    parts = []
    for key in by:
        col = outcomes[key]
        short = key.rsplit(".", 2)[-2:] if key.count(".") >= 2 else [key]
        name = ".".join(short)
        if pd.api.types.is_numeric_dtype(col) and col.nunique() > max_levels:
            binned = pd.qcut(col, 4, duplicates="drop").astype(str)
            parts.append(name + " in " + binned)
        else:
            parts.append(name + "=" + col.map(_fmt))
    label = parts[0]
    for part in parts[1:]:
        label = label + ", " + part
    return label.rename("setting")


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)
