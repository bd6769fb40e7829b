"""Batch runs: every point of a design × R replications of one scenario, into a run store.

Seeds. A batch has one root seed (recorded). The run with replication index r gets the seed
``SeedSequence(root_seed, spawn_key=(0, r)).generate_state(1, uint64)[0] >> 1`` at every design
point: common random numbers across settings, and a run's result does not depend on job count,
executor, chunking, order or resumption. Random designs draw from ``spawn_key=(1,)``.

Execution. Runs are sent in chunks (lists of run ids plus the scenario data of their design
points) to a `concurrent.futures.Executor`: none (serial, in this process), a local process pool
with an explicit "forkserver" context ("spawn" where there is none; never "fork", which is unsafe
once threads exist, and never Mesa's process-wide default), or a Dask cluster. Workers return
small records, never models; each finished chunk is committed to the store atomically, so memory
is bounded by chunk size × chunks in flight and a killed batch resumes where it stopped.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import contextlib
import datetime as dt
import logging
import multiprocessing
import os
import platform
import secrets
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from aimarket import __version__, designs
from aimarket.designs import Design
from aimarket.errors import UserError
from aimarket.store import RunStore, read_manifest, read_outcomes, rows_to_table
from aimarket.strategies import plugins as user_plugins

if TYPE_CHECKING:
    from aimarket.scenario import Scenario

#: `run_fn(scenario_data, seed, ticks) -> (outcome record, event rows, time-series rows)`.
RunFn = Callable[[dict, int, int | None], tuple[Mapping[str, Any], list[dict], list[dict]]]

EXECUTORS = ("serial", "process", "dask")
RUN_STREAM, DESIGN_STREAM = 0, 1
ID_FIELDS = {"run_id": pa.int64(), "design_point": pa.int64(), "replication": pa.int64()}
STATUS_FIELDS = {"status": pa.string(), "error": pa.string(), "traceback": pa.string()}
PROGRESS_SECONDS = 10.0  # at most this long between progress lines when stderr is no terminal
log = logging.getLogger(__name__)
DEPENDENCIES = ("mesa", "numpy", "scipy", "pandas", "pyarrow", "pydantic", "networkx", "SALib")


def simulate_run(data: dict, seed: int, ticks: int | None) -> tuple[dict, list[dict], list[dict]]:
    """The default run function: one `aimarket.simulation.simulate` run of scenario `data`."""
    from aimarket.scenario import Scenario
    from aimarket.simulation import simulate

    result = simulate(Scenario.from_data(data), seed, ticks=ticks)
    return result.outcome, result.events, result.timeseries


def run_seed(root_seed: int, replication: int) -> int:
    """Seed (0 ≤ seed < 2**63) of every run with this replication index."""
    ss = np.random.SeedSequence(root_seed, spawn_key=(RUN_STREAM, replication))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def design_seed(root_seed: int) -> np.random.SeedSequence:
    """The seed sequence random designs (LHS, Sobol scrambling) draw from."""
    return np.random.SeedSequence(root_seed, spawn_key=(DESIGN_STREAM,))


def new_root_seed() -> int:
    """A fresh random root seed (63 bits)."""
    return secrets.randbits(63)


def plan_design(
    scenario: Scenario,
    *,
    sweeps: Mapping[str, list[object]] | None = None,
    ranges: Mapping[str, tuple[float, float]] | None = None,
    kind: str | None = None,
    samples: int | None = None,
    root_seed: int = 0,
) -> Design:
    """The design of a batch, checked against `scenario` (unknown keys, bad values: `UserError`).

    Grid values come from `sweeps`, or from the scenario's default `[sweep]` table when neither
    `sweeps` nor `ranges` is given (an explicit design replaces the default, it does not add to
    it); `ranges` are sampled with `kind` ("lhs", "sobol" or "morris": `samples` points, base
    samples or trajectories) and crossed with the grid.
    """
    from aimarket.simulation import check_seed

    check_seed(root_seed)
    ranges = dict(ranges or {})
    both = set(ranges) & set(sweeps or {})
    if both:
        raise UserError(f"{sorted(both)[0]}: given both as --sweep and as --range")
    explicit = bool(sweeps) or bool(ranges)
    values = {k: list(v) for k, v in ((sweeps or {}) if explicit else scenario.sweep).items()}
    for key, vals in {**values, **ranges}.items():
        scenario.check_key(key)
        if key in {*ID_FIELDS, "seed", *STATUS_FIELDS, *_declared_outcome_types()}:
            where = "--sweep/--range " if explicit else f"{scenario.origin}: sweep."
            raise UserError(
                f"{where}{key}: cannot be swept (it is a column of the outcome table); run one"
                " batch per value, e.g. with --ticks"
            )
        for value in vals:
            scenario.with_overrides({key: value})
    base = designs.grid(values) if values else designs.single()
    kind = kind or ("lhs" if ranges else "grid")
    if kind == "grid":
        if ranges or samples is not None:
            raise UserError("--range and --samples need --design lhs, sobol or morris")
        return base
    if kind not in designs.KINDS:
        raise UserError(f"--design {kind}: expected one of {', '.join(designs.KINDS)}")
    if samples is None:
        raise UserError(f"--design {kind} needs --samples N")
    sampler = {"lhs": designs.lhs, "sobol": designs.sobol, "morris": designs.morris}[kind]
    return designs.cross(base, sampler(ranges, samples, design_seed(root_seed)))


@dataclass(frozen=True)
class Chunk:
    """A task for one worker: runs `(run_id, design_point, replication, seed)` and their data."""

    runs: list[tuple[int, int, int, int]]
    data: dict[int, dict]
    invalid: dict[int, str]
    ticks: int | None
    keep_timeseries: bool
    plugins: tuple[str, ...] = ()


@dataclass
class ChunkResult:
    """What a worker sends back: rows only. `seconds` is the summed wall time of the runs."""

    outcomes: list[dict] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    timeseries: list[dict] = field(default_factory=list)
    seconds: float = 0.0


def run_chunk(run_fn: RunFn, chunk: Chunk) -> ChunkResult:
    """Run every run of `chunk`; a run that raises is recorded as failed, the others go on.

    User code cannot end the batch: `SystemExit` is a failed run, and so is `KeyboardInterrupt`
    in a worker process (in the batch's own process it is the user's Ctrl-C and stops the batch,
    resumable). The chunk's user plugins are loaded first (once per process)."""
    if chunk.plugins:
        user_plugins.load(chunk.plugins)
    out = ChunkResult()
    for run_id, point, replication, seed in chunk.runs:
        row: dict[str, object] = {
            "run_id": run_id,
            "design_point": point,
            "replication": replication,
            "seed": seed,
        }
        start = time.perf_counter()
        if point in chunk.invalid:
            row |= {"status": "failed", "error": chunk.invalid[point], "traceback": None}
            out.outcomes.append(row)
            continue
        try:
            outcome, events, timeseries = run_fn(chunk.data[point], seed, chunk.ticks)
        except (Exception, SystemExit, KeyboardInterrupt) as err:
            if isinstance(err, KeyboardInterrupt) and multiprocessing.parent_process() is None:
                raise
            tb = traceback.format_exc()
            row |= {"status": "failed", "error": f"{type(err).__name__}: {err}", "traceback": tb}
        else:
            row |= dict(outcome)
            row |= {"status": "ok", "error": None, "traceback": None}
            out.events.extend({"run_id": run_id, **e} for e in events)
            if chunk.keep_timeseries:
                out.timeseries.extend({"run_id": run_id, **t} for t in timeseries)
        out.seconds += time.perf_counter() - start
        out.outcomes.append(row)
    return out


@dataclass
class BatchSummary:
    """How a batch (or its resumed remainder) went."""

    path: Path
    runs: int
    ok: int
    failed: int
    ran: int
    seconds: float
    run_seconds: float

    @property
    def complete(self) -> bool:
        return self.ok + self.failed == self.runs


def run_batch(
    scenario: Scenario,
    out: str | Path,
    *,
    design: Design | None = None,
    replications: int = 1,
    root_seed: int | None = None,
    ticks: int | None = None,
    jobs: int = 1,
    executor: str = "process",
    scheduler: str | None = None,
    chunk_size: int | None = None,
    resume: bool = False,
    keep_timeseries: bool = False,
    run_fn: RunFn = simulate_run,
    progress: bool = False,
    plugins: Sequence[str] = (),
    extra: Mapping[str, object] | None = None,
) -> BatchSummary:
    """Run `design` × `replications` of `scenario` into the run store `out`.

    With `progress`, a bar on a terminal, else a line at least every ~10 s (logger ``aimarket``).

    `jobs` workers (1: in this process); `executor` "serial", "process" or "dask" (`scheduler`
    address, else a local cluster of `jobs` workers). With `resume`, continues the batch in `out`
    (same scenario, design, replications, ticks, seed, plugins; else `UserError`). A `root_seed` of
    None takes the resumed batch's seed, or a fresh one. `plugins` (canonical names from
    `aimarket.strategies.plugins.load`) are loaded by every worker and recorded; `extra` entries
    are added to the manifest (e.g. a tournament's description).
    """
    from aimarket.simulation import check_seed, check_ticks

    check_ticks(ticks)
    check_seed(root_seed)
    design = design or designs.single()
    if replications < 1:
        raise UserError(f"--replications {replications}: must be at least 1")
    if jobs < 1:
        raise UserError(f"--jobs {jobs}: must be at least 1")
    if executor not in EXECUTORS:
        raise UserError(f"--executor {executor}: expected one of {', '.join(EXECUTORS)}")
    if chunk_size is not None and chunk_size < 1:
        raise UserError(f"--chunk-size {chunk_size}: must be at least 1")
    out = Path(out)
    if resume:
        root_seed = resume_seed(out, root_seed)
    elif root_seed is None:
        root_seed = new_root_seed()
    identity = {
        "scenario_hash": scenario.content_hash,
        "design_digest": design.digest,
        "replications": replications,
        "ticks": ticks,
        "root_seed": root_seed,
        "keep_timeseries": keep_timeseries,
        **({"plugins": list(plugins)} if plugins else {}),
    }
    n_runs = len(design) * replications
    session = {"started": _now(), "executor": executor, "jobs": jobs, "host": platform.node()}
    new_manifest = {**_manifest(out, scenario, design, identity, n_runs, session), **(extra or {})}
    with (
        _open_executor(executor, jobs, scheduler, run_fn) as pool,
        _open_store(out, resume, identity, session, new_manifest) as store,
    ):
        done = store.completed_run_ids()
        todo = n_runs - len(done)
        size = chunk_size or max(1, min(100, -(-todo // (8 * jobs))))
        writer = _ChunkWriter(store, design, _outcome_schema(design, run_fn))
        chunks = _chunks(
            scenario, design, replications, root_seed, done, size, ticks, keep_timeseries, plugins
        )
        start = time.perf_counter()
        bar = _progress(n_runs, len(done), progress)
        try:
            for result in _execute(pool, run_fn, chunks, jobs):
                writer.write(result)
                bar.update(len(result.outcomes))
                bar.set_postfix(failed=writer.failed, refresh=False)
        except BaseException:
            store.update_manifest(status="interrupted")
            raise
        finally:
            bar.close()
        seconds = time.perf_counter() - start
        status = read_outcomes(out, columns=["status"])["status"]
        ok, failed = int((status == "ok").sum()), int((status != "ok").sum())
        sessions = store.manifest["sessions"]
        sessions[-1] |= {"finished": _now(), "ran": writer.ran, "seconds": round(seconds, 3)}
        store.update_manifest(
            status="complete" if ok + failed == n_runs else "incomplete",
            finished=_now(),
            counts={"runs": n_runs, "ok": ok, "failed": failed},
            sessions=sessions,
        )
    return BatchSummary(out, n_runs, ok, failed, writer.ran, seconds, writer.run_seconds)


@contextlib.contextmanager
def _open_store(
    out: Path,
    resume: bool,
    identity: Mapping[str, object],
    session: Mapping[str, object],
    manifest: Mapping[str, object],
) -> Iterator[RunStore]:
    """The run store, locked until exit: reopened (same identity; a session added) or created."""
    if resume:
        store = RunStore.reopen(out)
        try:
            _check_identity(out, store.manifest.get("identity", {}), identity)
            sessions = store.manifest["sessions"]
            store.update_manifest(status="running", sessions=[*sessions, dict(session)])
        except BaseException:
            store.close()
            raise
    else:
        store = RunStore.create(out, manifest)
    with store:
        yield store


def resume_seed(out: Path, root_seed: int | None) -> int:
    """The root seed of the batch in `out`; `UserError` if `root_seed` is given and differs."""
    if not Path(out).is_dir():
        raise UserError(f"{out}: no batch to resume")
    recorded = read_manifest(out).get("identity", {}).get("root_seed")
    if recorded is None:
        raise UserError(f"{out}: its manifest records no root seed; cannot resume")
    if root_seed is not None and root_seed != recorded:
        raise UserError(f"cannot resume {out}: --seed {root_seed} differs from its seed {recorded}")
    return int(recorded)


def _check_identity(out: Path, recorded: Mapping[str, object], new: Mapping[str, object]) -> None:
    changed = [k for k in {**recorded, **new} if recorded.get(k) != new.get(k)]
    if changed:
        what = ", ".join(k.replace("_", " ") for k in changed)
        raise UserError(f"cannot resume {out}: the {what} differ from the recorded batch")


def _chunks(
    scenario: Scenario,
    design: Design,
    replications: int,
    root_seed: int,
    done: np.ndarray,
    size: int,
    ticks: int | None,
    keep_timeseries: bool,
    plugins: Sequence[str],
) -> Iterator[Chunk]:
    """Runs not yet done, in run-id order, `size` at a time with their design points' data."""
    seeds = [run_seed(root_seed, r) for r in range(replications)]
    cached: tuple[int, dict | None, str | None] = (-1, None, None)
    runs: list[tuple[int, int, int, int]] = []
    data: dict[int, dict] = {}
    invalid: dict[int, str] = {}
    finished = set(done.tolist())
    for point in range(len(design)):
        for rep in range(replications):
            run_id = point * replications + rep
            if run_id in finished:
                continue
            if cached[0] != point:
                cached = (point, *_resolve(scenario, design.points[point]))
            if cached[1] is not None:
                data[point] = cached[1]
            else:
                invalid[point] = str(cached[2])
            runs.append((run_id, point, rep, seeds[rep]))
            if len(runs) == size:
                yield Chunk(runs, data, invalid, ticks, keep_timeseries, tuple(plugins))
                runs, data, invalid = [], {}, {}
    if runs:
        yield Chunk(runs, data, invalid, ticks, keep_timeseries, tuple(plugins))


def _resolve(scenario: Scenario, point: Mapping[str, object]) -> tuple[dict | None, str | None]:
    try:
        return scenario.with_overrides(point).data, None
    except UserError as err:
        return None, f"invalid design point: {err}"


def _execute(
    pool: cf.Executor | None, run_fn: RunFn, chunks: Iterator[Chunk], jobs: int
) -> Iterator[ChunkResult]:
    """Results of every chunk as they finish; at most 2 × `jobs` chunks in flight.

    A worker process that dies (``os._exit``, a signal, a crash) breaks a process pool: the
    chunks in flight are then run again one run per process, a run that kills its process is
    recorded as failed, and a new pool carries on (replacements are shut down here)."""
    if pool is None:
        yield from (run_chunk(run_fn, chunk) for chunk in chunks)
        return
    in_flight: dict[cf.Future, Chunk] = {}
    replacements: list[cf.Executor] = []

    def recover(lost: list[Chunk]) -> Generator[ChunkResult, None, cf.Executor]:
        """Results of the chunks still in flight when the pool broke, the lost ones run again
        in isolation; returns the replacement pool."""
        for future in cf.wait(in_flight).done:
            chunk = in_flight.pop(future)
            if _broken(future):
                lost.append(chunk)
            else:
                yield future.result()
        for chunk in lost:
            yield from _isolated(run_fn, chunk)
        replacements.append(cf.ProcessPoolExecutor(jobs, mp_context=_mp_context(run_fn)))
        return replacements[-1]

    def drain(pool: cf.Executor) -> Generator[ChunkResult, None, cf.Executor]:
        """Results of the chunks that finish next; returns the pool to go on with."""
        done, _ = cf.wait(in_flight, return_when=cf.FIRST_COMPLETED)
        lost = []
        for future in done:
            chunk = in_flight.pop(future)
            if _broken(future):
                lost.append(chunk)
            else:
                yield future.result()
        return (yield from recover(lost)) if lost else pool

    try:
        for chunk in chunks:
            try:
                in_flight[pool.submit(run_chunk, run_fn, chunk)] = chunk
            except BrokenProcessPool:
                pool = yield from recover([chunk])
            while len(in_flight) >= 2 * jobs:
                pool = yield from drain(pool)
        while in_flight:
            pool = yield from drain(pool)
    finally:
        for future in in_flight:
            future.cancel()
        for spare in replacements:
            spare.shutdown(wait=True, cancel_futures=True)


def _broken(future: cf.Future) -> bool:
    return isinstance(future.exception(), BrokenProcessPool)


def _isolated(run_fn: RunFn, chunk: Chunk) -> Iterator[ChunkResult]:
    """Each run of `chunk` in a process of its own; a run whose process dies is failed."""
    for run in chunk.runs:
        single = Chunk(
            [run], chunk.data, chunk.invalid, chunk.ticks, chunk.keep_timeseries, chunk.plugins
        )
        with cf.ProcessPoolExecutor(1, mp_context=_mp_context(run_fn)) as solo:
            try:
                yield solo.submit(run_chunk, run_fn, single).result()
            except BrokenProcessPool:
                run_id, point, replication, seed = run
                error = "worker process died during the run (os._exit, a signal or a crash)"
                row = {"run_id": run_id, "design_point": point, "replication": replication}
                row |= {"seed": seed, "status": "failed", "error": error, "traceback": None}
                yield ChunkResult(outcomes=[row])


class _ChunkWriter:
    """Turns chunk results into tables with stable schemas and commits them to the store."""

    def __init__(self, store: RunStore, design: Design, outcome_schema: pa.Schema) -> None:
        self.store = store
        self.points = design.points
        self.keys = design.keys
        self.schemas: dict[str, pa.Schema] = {"outcomes": outcome_schema}
        self.ran = self.failed = 0
        self.run_seconds = 0.0

    def write(self, result: ChunkResult) -> None:
        for row in result.outcomes:
            point = self.points[int(row["design_point"])]  # type: ignore[call-overload]
            row.update({key: point[key] for key in self.keys})
        outcomes = rows_to_table(result.outcomes, self.schemas["outcomes"])
        status = list(STATUS_FIELDS)
        order = [n for n in outcomes.column_names if n not in status] + status
        outcomes = outcomes.select(order)
        events = self._conform("events", rows_to_table(result.events, self.schemas.get("events")))
        timeseries = None
        if result.timeseries:
            ts = rows_to_table(result.timeseries, self.schemas.get("timeseries"))
            timeseries = self._conform("timeseries", ts)
        self.store.write_chunk(int(result.outcomes[0]["run_id"]), outcomes, events, timeseries)  # type: ignore[call-overload]
        self.ran += len(result.outcomes)
        self.failed += sum(row["status"] != "ok" for row in result.outcomes)
        self.run_seconds += result.seconds

    def _conform(self, name: str, table: pa.Table) -> pa.Table:
        """Cast `table` to the types seen so far (widening them when needed, e.g. int → float)."""
        if table.num_rows == 0 and name in self.schemas:
            return self.schemas[name].empty_table()
        known = self.schemas.get(name)
        if known is not None:
            unified = pa.unify_schemas([known, table.schema], promote_options="permissive")
            table = table.cast(pa.schema([unified.field(n) for n in table.column_names]))
            self.schemas[name] = unified
        elif table.num_rows:
            self.schemas[name] = table.schema
        return table


def _outcome_schema(design: Design, run_fn: RunFn) -> pa.Schema:
    """Id columns, swept keys (typed from all design points), declared outcome fields, status."""
    fields = [pa.field(name, typ) for name, typ in ID_FIELDS.items()]
    fields.append(pa.field("seed", pa.int64()))
    for key in design.keys:
        fields.append(pa.field(key, pa.array([p[key] for p in design.points]).type))
    if run_fn is simulate_run:
        fields += [pa.field(n, t) for n, t in _declared_outcome_types().items()]
    fields += [pa.field(name, typ) for name, typ in STATUS_FIELDS.items()]
    return pa.schema(fields)


def _declared_outcome_types() -> dict[str, pa.DataType]:
    """Arrow types of `aimarket.metrics.OUTCOME_FIELDS` (name → (dtype, meaning))."""
    try:
        from aimarket.metrics import OUTCOME_FIELDS
    except ImportError:
        return {}
    aliases = {"float": "float64", "int": "int64", "str": "string", "bool": "bool"}
    types = {}
    for name, spec in OUTCOME_FIELDS.items():
        dtype = spec[0] if isinstance(spec, tuple | list) else spec
        dtype = getattr(dtype, "__name__", dtype)
        dtype = str(dtype).lower()  # pandas' nullable "Int64" is int64 with nulls in Arrow
        if dtype == "mapping":  # a struct, typed from its values
            continue
        types[name] = pa.type_for_alias(aliases.get(dtype, dtype))
    return types


def _manifest(
    out: Path,
    scenario: Scenario,
    design: Design,
    identity: Mapping[str, object],
    n_runs: int,
    session: Mapping[str, object],
) -> dict[str, object]:
    return {
        "format": 1,
        "kind": "batch",
        "name": out.name,
        "status": "running",
        "started": session["started"],
        "finished": None,
        "identity": dict(identity),
        "root_seed": identity["root_seed"],
        "plugins": identity.get("plugins", []),
        "seed_scheme": "SeedSequence(root_seed, spawn_key=(0, replication))"
        ".generate_state(1, uint64)[0] >> 1; designs: spawn_key=(1,)",
        "replications": identity["replications"],
        "ticks": identity["ticks"] or scenario.ticks,
        "runs": n_runs,
        "counts": {"runs": n_runs, "ok": 0, "failed": 0},
        "design": design.describe(),
        "scenario": {
            "name": scenario.name,
            "content_hash": scenario.content_hash,
            "data": scenario.data,
        },
        "versions": _versions(),
        "git": _git_state(),
        "sessions": [dict(session)],
    }


def _versions() -> dict[str, str]:
    found = {"python": platform.python_version(), "aimarket": __version__}
    for dist in (*DEPENDENCIES, "dask", "distributed"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            found[dist] = metadata.version(dist)
    return found


def _git_state() -> dict[str, object] | None:
    """Commit of the source tree aimarket runs from, and whether it has local changes."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return {"commit": commit, "dirty": bool(dirty)}


@contextlib.contextmanager
def _open_executor(
    kind: str, jobs: int, scheduler: str | None, run_fn: RunFn
) -> Iterator[cf.Executor | None]:
    """None for serial work, else an executor that is shut down (pending work cancelled) on exit."""
    if kind == "dask":
        with _dask_executor(jobs, scheduler) as pool:
            yield pool
        return
    if scheduler is not None:
        raise UserError("--scheduler needs --executor dask")
    if kind == "serial" or jobs == 1:
        yield None
        return
    pool = cf.ProcessPoolExecutor(jobs, mp_context=_mp_context(run_fn))
    try:
        yield pool
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _mp_context(run_fn: RunFn) -> multiprocessing.context.BaseContext:
    """Forkserver (modules preloaded once, safe with threads) where available, else spawn."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["aimarket.batch", "aimarket.simulation", run_fn.__module__])
    return ctx


@contextlib.contextmanager
def _dask_executor(jobs: int, scheduler: str | None) -> Iterator[cf.Executor]:
    try:
        from distributed import Client, LocalCluster
    except ImportError as err:
        raise UserError("--executor dask needs Dask: pip install 'aimarket[dask]'") from err
    with contextlib.ExitStack() as stack:
        if scheduler is None:
            cluster = LocalCluster(
                n_workers=jobs, threads_per_worker=1, dashboard_address=":0", silence_logs=40
            )
            stack.enter_context(cluster)
            scheduler = cluster.scheduler_address
        try:
            client = stack.enter_context(Client(scheduler, timeout="10s"))
        except (OSError, TimeoutError) as err:
            raise UserError(f"--scheduler {scheduler}: cannot connect ({err})") from err
        yield client.get_executor(pure=False)


def _progress(total: int, initial: int, enabled: bool) -> Any:
    """A tqdm bar when stderr is a terminal, else a `_LineProgress`; silent unless `enabled` and
    the ``aimarket`` logger shows INFO (``-q`` hides both)."""
    from tqdm import tqdm

    enabled = enabled and log.isEnabledFor(logging.INFO)
    if enabled and not sys.stderr.isatty():
        return _LineProgress(total, initial)
    return tqdm(
        total=total,
        initial=initial,
        disable=not enabled,
        file=sys.stderr,
        unit="run",
        dynamic_ncols=True,
        smoothing=0.1,
    )


class _LineProgress:
    """Progress for logs and redirected output: a line every `PROGRESS_SECONDS` (from a timer
    thread, so long chunks do not silence it) and one at the end; takes tqdm's calls."""

    def __init__(self, total: int, initial: int) -> None:
        self.total, self.initial, self.n, self.failed = total, initial, initial, 0
        self.start = time.monotonic()
        self._stop = threading.Event()
        self._timer = threading.Thread(target=self._beat, daemon=True)
        self._timer.start()

    def _beat(self) -> None:
        while not self._stop.wait(PROGRESS_SECONDS):
            self._line()

    def _line(self) -> None:
        elapsed, ran, remaining = (
            time.monotonic() - self.start,
            self.n - self.initial,
            self.total - self.n,
        )
        left = f", about {elapsed / ran * remaining:.0f} s left" if ran and remaining else ""
        log.info(
            f"batch: {self.n}/{self.total} runs ({self.n / self.total:.0%}), "
            f"{self.failed} failed, {elapsed:.0f} s{left}"
        )

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix(self, failed: int, refresh: bool = False) -> None:
        self.failed = failed

    def close(self) -> None:
        self._stop.set()
        self._timer.join()
        self._line()


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def default_jobs() -> int:
    """CPUs this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def add_executor_options(p: argparse.ArgumentParser) -> None:
    """``--jobs``, ``--executor`` and ``--scheduler``: where the runs of a batch execute (shared
    by every command that runs a batch; pass them to ``run_batch``)."""
    p.add_argument("-j", "--jobs", type=int, default=default_jobs(), help="parallel workers")
    p.add_argument(
        "--executor",
        choices=EXECUTORS,
        default="process",
        help="serial, worker processes (default) or a Dask cluster",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://host:8786")


def _cmd_validate(args: argparse.Namespace) -> int:
    """Every check `run` and `batch` make (here because it plans the default [sweep] too)."""
    from aimarket.model import AIMarket
    from aimarket.scenario import load_scenario

    for source in args.scenarios:
        scenario = load_scenario(source)
        AIMarket(scenario, rng=0)  # strategies and deals resolve
        plan_design(scenario)  # its default [sweep], as `batch` would run it
        print(f"ok  {scenario.origin}  ({scenario.name}, {scenario.ticks} months)")
    return 0


def register_cli(sub: argparse._SubParsersAction) -> None:
    """Add the `aimarket batch` and `aimarket validate` subcommands."""
    val = sub.add_parser("validate", help="check scenario files (also their [sweep])")
    val.add_argument("scenarios", nargs="+")
    user_plugins.add_option(val)
    val.set_defaults(func=_cmd_validate)
    p = sub.add_parser(
        "batch",
        description="Run SCENARIO over a design × replications into a resumable run store.",
    )
    p.add_argument("scenario", help="scenario file or name in scenarios/")
    p.add_argument("-r", "--replications", type=int, default=1, help="runs per design point")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="fixed override")
    p.add_argument(
        "--sweep", action="append", default=[], metavar="KEY=V1,V2", help="grid values of a key"
    )
    p.add_argument("--design", choices=designs.KINDS, help="grid (default) or sampled design")
    p.add_argument(
        "--samples",
        type=int,
        help="LHS points, Sobol base samples (power of 2) or Morris trajectories",
    )
    p.add_argument(
        "--range", action="append", default=[], metavar="KEY=LOW:HIGH", help="sampled range"
    )
    p.add_argument("--seed", type=int, help="root seed (default: fresh, or the resumed batch's)")
    p.add_argument("--ticks", type=int, help="months per run (default: the scenario's)")
    add_executor_options(p)
    p.add_argument("--chunk-size", type=int, help="runs per task (default: automatic)")
    p.add_argument("-o", "--out", type=Path, help="run store folder (default: runs/NAME-TIME)")
    p.add_argument("--resume", action="store_true", help="continue the batch in --out")
    p.add_argument("--keep-timeseries", action="store_true", help="store per-tick rows")
    user_plugins.add_option(p)
    p.set_defaults(func=_cli)


def _cli(args: argparse.Namespace) -> int:
    from aimarket.scenario import load_scenario, slug
    from aimarket.simulation import check_seed, check_ticks, parse_sets

    check_ticks(args.ticks)
    check_seed(args.seed)
    overrides = parse_sets(args.set)
    scenario = load_scenario(args.scenario, overrides or None)
    if args.resume and args.out is None:
        raise UserError("--resume needs --out (the folder of the batch to continue)")
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = args.out or Path("runs") / f"{slug(scenario.name)}-{stamp}"
    seed = resume_seed(out, args.seed) if args.resume else args.seed
    seed = new_root_seed() if seed is None else seed
    design = plan_design(
        scenario,
        sweeps=dict(designs.parse_sweep(s) for s in args.sweep),
        ranges=dict(designs.parse_range(r) for r in args.range),
        kind=args.design,
        samples=args.samples,
        root_seed=seed,
    )
    try:
        summary = run_batch(
            scenario,
            out,
            design=design,
            replications=args.replications,
            root_seed=seed,
            ticks=args.ticks,
            jobs=args.jobs,
            executor=args.executor,
            scheduler=args.scheduler,
            chunk_size=args.chunk_size,
            resume=args.resume,
            keep_timeseries=args.keep_timeseries,
            progress=True,
            plugins=args.plugin,
        )
    except KeyboardInterrupt:
        print(
            f"aimarket: batch interrupted; continue it with --resume --out {out}", file=sys.stderr
        )
        raise
    rate = summary.ran / summary.seconds if summary.seconds else 0.0
    print(
        f"{summary.runs} runs ({summary.ok} ok, {summary.failed} failed); ran {summary.ran} "
        f"in {summary.seconds:.1f} s ({rate:.1f} runs/s)"
    )
    print(f"results: {out}/ (manifest.json, outcomes/, events/)")
    if summary.failed:
        print(
            f"aimarket: {summary.failed} runs failed: see the status, error and traceback "
            f"columns of {out}/outcomes/",
            file=sys.stderr,
        )
        return 1
    return 0
