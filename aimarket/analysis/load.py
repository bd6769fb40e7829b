"""Read a run store (`runs/NAME/`) into data frames and label runs by setting."""

from __future__ import annotations

import functools
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from aimarket import store
from aimarket.deals import EVENT_FIELDS
from aimarket.errors import UserError
from aimarket.metrics import FIRM_FIELDS

#: Columns every outcome table carries besides the swept keys and outcome fields.
#: Events parts scanned together for clause spans (memory ~ this many parts' four columns).
SPAN_PARTS = 16
ID_COLUMNS = ("run_id", "design_point", "replication", "seed", "status", "error")


@dataclass
class RunData:
    """One run store: outcomes in memory; events read on first use (`events`, can be large),
    or only their clause spans (`clause_spans`). `timeseries` is None when none were kept."""

    path: Path
    manifest: dict
    outcomes: pd.DataFrame
    loaded_events: pd.DataFrame | None = None
    timeseries: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)

    @functools.cached_property
    def events(self) -> pd.DataFrame:
        """Every event row with its `run_id` (`aimarket.deals.EVENT_FIELDS`)."""
        if self.loaded_events is not None:
            return self.loaded_events
        events = store.read_events(self.path) if (self.path / "events").is_dir() else None
        if events is None or "run_id" not in events:  # no run had an event
            return pd.DataFrame(columns=["run_id", *EVENT_FIELDS])
        return events

    @functools.cached_property
    def clause_spans(self) -> pd.DataFrame:
        """`survival.clause_spans` of the events, scanned from the store (four columns, only
        clause rows, aggregated in Arrow) unless the events are already in memory."""
        from aimarket.analysis.survival import clause_spans

        parts = sorted((self.path / "events").glob("part-*.parquet"))
        if self.loaded_events is not None or "events" in self.__dict__ or not parts:
            return clause_spans(self.events)
        if "run_id" not in pq.read_schema(parts[0]).names:
            return clause_spans(self.events)
        groups = [parts[i : i + SPAN_PARTS] for i in range(0, len(parts), SPAN_PARTS)]
        with ThreadPoolExecutor(2) as pool:  # Arrow and pandas release the GIL for most of it
            return pd.concat(pool.map(_parts_spans, groups), ignore_index=True)

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


def _parts_spans(parts: list[Path]) -> pd.DataFrame:
    """`survival.clause_spans` of some events parts, from four columns of their clause rows,
    grouped on one integer key per (run, deal, kind)."""
    from aimarket.analysis.survival import CLAUSE_EVENTS

    rows = ds.dataset(parts, format="parquet").to_table(
        columns=["run_id", "deal_id", "kind", "tick"]
    )
    kind = pc.index_in(rows["kind"], value_set=pa.array(CLAUSE_EVENTS))
    keep = pc.is_valid(kind)
    deal = pc.dictionary_encode(rows["deal_id"].filter(keep)).combine_chunks()
    run, code = rows["run_id"].filter(keep).to_numpy(), kind.filter(keep).to_numpy()
    n_kinds, n_deals = len(CLAUSE_EVENTS), max(len(deal.dictionary), 1)
    key = (run * n_deals + deal.indices.to_numpy()) * n_kinds + code
    first = pd.Series(rows["tick"].filter(keep).to_numpy()).groupby(key).min()
    pair, slot = np.divmod(first.index.to_numpy(), n_kinds)
    pairs, row = np.unique(pair, return_inverse=True)
    wide = np.full((len(pairs), n_kinds), np.nan)
    wide[row, slot] = first.to_numpy()
    run_id, deal_code = np.divmod(pairs, n_deals)
    spans = pd.DataFrame(wide, columns=list(CLAUSE_EVENTS))
    spans.insert(0, "deal_id", deal.dictionary.to_numpy(zero_copy_only=False)[deal_code])
    spans.insert(0, "run_id", run_id)
    return spans[spans["clause_in_force"].notna()].reset_index(drop=True)


def load_run(path: str | Path) -> RunData:
    """Read `manifest.json`, outcomes and (if kept) time series of the run store `path`; its
    events are read when first used (`RunData.events`, `RunData.clause_spans`).

    Raises `UserError` when the folder or its outcomes are missing.
    """
    path = Path(path)
    if not path.is_dir():
        raise UserError(f"{path}: no such run folder")
    if not (path / "outcomes").is_dir() or not any((path / "outcomes").glob("*.parquet")):
        raise UserError(f"{path}: no outcomes (expected {path / 'outcomes'}/part-*.parquet)")
    manifest = store.read_manifest(path) if (path / "manifest.json").is_file() else {}
    outcomes = store.read_outcomes(path)
    timeseries = store.read_timeseries(path) if (path / "timeseries").is_dir() else None
    notes = []
    if not manifest:
        notes.append("manifest.json missing: design taken from the outcome columns")
    if outcomes.empty:
        raise UserError(f"{path}: the outcome table is empty")
    if timeseries is not None and timeseries.empty:
        timeseries = None
    return RunData(path, dict(manifest), _normalise_outcomes(outcomes), None, timeseries, notes)


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
    # Ordered by the keys' values (2.5 before 10), not alphabetically: a member of each
    # setting (bins are disjoint) sorted by the raw values.
    members = outcomes[by].assign(setting=label).drop_duplicates("setting")
    order = members.sort_values(by, kind="stable")["setting"].tolist()
    return pd.Series(
        pd.Categorical(label, categories=order, ordered=True), index=label.index, name="setting"
    )


def _fmt(value: object) -> str:
    if isinstance(value, float | np.floating):
        return f"{value:.4g}"
    return str(value)
