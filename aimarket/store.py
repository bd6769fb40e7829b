"""The run store: one folder per batch that pandas, polars and DuckDB can read directly.

Layout of `runs/NAME/`::

    manifest.json               scenario, design, root seed, versions, times, counts
    outcomes/part-NNNNNNNNN.parquet    one row per run (the part is named by its first run_id)
    events/part-NNNNNNNNN.parquet      event rows of the same runs, plus `run_id`
    timeseries/part-NNNNNNNNN.parquet  per-tick rows plus `run_id` (only with --keep-timeseries)

One writer at a time: a batch or resume holds an exclusive lock (``fcntl.flock``) on the store's
``.lock`` file, which records the holder's pid and host. A second start or resume is refused
naming the holder; the kernel releases the lock of a killed process (even ``kill -9``), so a
stale lock is taken over by the next resume without any clean-up.

Each chunk of runs is committed atomically: its events and time-series parts are written first,
then its outcomes part, each to a hidden temporary file that is fsynced and renamed into place.
An outcomes part is therefore the commit record of its runs; on resume, parts without one are
orphans of an interrupted chunk and are deleted, and the runs they held are run again.
"""

from __future__ import annotations

import fcntl
import json
import os
import platform
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from aimarket import jsonio
from aimarket.errors import UserError

MANIFEST = "manifest.json"
LOCK = ".lock"
TABLES = ("outcomes", "events", "timeseries")


class RunStore:
    """A batch's folder: create or reopen it (holding its lock until ``close``), commit chunks of
    runs, update the manifest."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock: int | None = None

    @classmethod
    def create(cls, path: str | Path, manifest: Mapping[str, object]) -> RunStore:
        """Create the folder (claimed atomically by ``mkdir``), lock it, write its manifest.

        Refuses (`UserError`) when `path` exists in any form (even an empty folder or a link)
        or cannot be created; a failure after the claim removes the folder again.
        """
        path = Path(path)
        exists = f"{path} already exists: use --resume to continue it, or another --out"
        if os.path.lexists(path):
            raise UserError(exists)
        if os.path.lexists(path.parent) and not path.parent.is_dir():
            raise UserError(f"{path}: {path.parent} is not a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                path.mkdir()
            except FileExistsError:
                raise UserError(exists) from None
        except OSError as err:
            raise UserError(f"{path}: cannot create the run store ({err.strerror})") from None
        store = cls(path)
        try:
            store._acquire()
            for table in TABLES[:2]:
                (path / table).mkdir()
            _write_json(path / MANIFEST, manifest)
        except BaseException:
            store.close()
            shutil.rmtree(path, ignore_errors=True)
            raise
        return store

    @classmethod
    def reopen(cls, path: str | Path) -> RunStore:
        """Reopen a batch folder to resume it (locked), deleting the orphans of an interrupted
        chunk."""
        path = Path(path)
        if not (path / MANIFEST).is_file():
            raise UserError(f"{path}: no batch to resume (no {MANIFEST})")
        store = cls(path)
        store._acquire()
        committed = {p.name for p in store._parts("outcomes")}
        for table in TABLES:
            folder = path / table
            if not folder.is_dir():
                continue
            for stale in folder.glob(".part-*"):
                stale.unlink()
            if table != "outcomes":
                for part in store._parts(table):
                    if part.name not in committed:
                        part.unlink()
        return store

    def _acquire(self) -> None:
        """Take the store's exclusive lock and record this process in it; `UserError` naming the
        holder if another process has it."""
        try:
            fd = os.open(self.path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise UserError(f"{self.path}: cannot lock the run store ({err.strerror})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another process"
            os.close(fd)
            raise UserError(
                f"{self.path}: in use by {holder}; wait for it to finish (or stop it), then"
                " --resume"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {platform.node()}\n".encode())
        self._lock = fd

    def close(self) -> None:
        """Release the lock (the file stays: removing it would race with the next writer)."""
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def manifest(self) -> dict:
        return read_manifest(self.path)

    def update_manifest(self, **changes: object) -> None:
        """Rewrite `manifest.json` atomically with `changes` applied at the top level."""
        _write_json(self.path / MANIFEST, {**self.manifest, **changes})

    def completed_run_ids(self) -> np.ndarray:
        """Sorted run ids of every committed run (ok or failed)."""
        parts = self._parts("outcomes")
        if not parts:
            return np.empty(0, dtype=np.int64)
        ids = [pq.read_table(p, columns=["run_id"]).column(0).to_numpy() for p in parts]
        return np.sort(np.concatenate(ids))

    def write_chunk(
        self,
        first_run_id: int,
        outcomes: pa.Table,
        events: pa.Table,
        timeseries: pa.Table | None = None,
    ) -> None:
        """Commit one chunk of runs: events and time series first, the outcomes part last."""
        name = f"part-{first_run_id:09d}.parquet"
        tables = {"events": events, "timeseries": timeseries, "outcomes": outcomes}
        for table, data in tables.items():
            if data is None:
                continue
            folder = self.path / table
            folder.mkdir(exist_ok=True)
            _write_parquet(folder / name, data)
        _fsync_dir(self.path / "outcomes")

    def _parts(self, table: str) -> list[Path]:
        return sorted((self.path / table).glob("part-*.parquet"))


def read_manifest(path: str | Path) -> dict:
    """The batch's `manifest.json` as a dict."""
    file = Path(path) / MANIFEST
    if not file.is_file():
        raise UserError(f"{path}: not a run store (no {MANIFEST})")
    return json.loads(file.read_text())


def read_outcomes(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per committed run, ordered by `run_id`."""
    return _read_table(Path(path) / "outcomes", columns)


def read_events(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Event rows of every committed run (with `run_id`), in run then event order."""
    return _read_table(Path(path) / "events", columns)


def read_timeseries(path: str | Path, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Per-tick rows of every committed run (with `run_id`); empty when none were kept."""
    return _read_table(Path(path) / "timeseries", columns)


def rows_to_table(
    rows: Sequence[Mapping[str, object]], schema: pa.Schema | None = None
) -> pa.Table:
    """Rows (dicts, keys may differ between rows) → a table; `schema` fields come first, typed.

    Keys not in `schema` keep their inferred type; a `schema` field absent from every row is a
    null column of its type, so parts written from different chunks share one schema.
    """
    names = list(schema.names) if schema is not None else []
    seen = set(names)
    for row in rows:
        for key in row:
            if key not in seen:
                seen.add(key)
                names.append(key)
    arrays = []
    for name in names:
        values = [row.get(name) for row in rows]
        if schema is not None and name in schema.names:
            arrays.append(pa.array(values, type=schema.field(name).type))
        else:
            arrays.append(pa.array(values))
    return pa.Table.from_arrays(arrays, names=names)


def _read_table(folder: Path, columns: Sequence[str] | None) -> pd.DataFrame:
    parts = sorted(folder.glob("part-*.parquet"))
    if not parts:
        return pd.DataFrame(columns=list(columns) if columns else ["run_id"])
    schema = pa.unify_schemas([pq.read_schema(p) for p in parts], promote_options="permissive")
    table = ds.dataset(parts, schema=schema, format="parquet").to_table(columns=columns)
    frame = table.to_pandas()
    if "run_id" in frame:
        frame = frame.sort_values("run_id", kind="stable", ignore_index=True)
    return frame


def _write_parquet(path: Path, table: pa.Table) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        pq.write_table(table, fh, compression="zstd")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _write_json(path: Path, data: Mapping[str, object]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w") as fh:
        fh.write(jsonio.dumps(data, indent=1))
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
