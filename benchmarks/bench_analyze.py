"""Time and peak memory of ``aimarket analyze`` on a synthesised run store of many runs.

    python benchmarks/bench_analyze.py [--runs 100000] [--source STORE] [--out DIR] [--keep]
    python benchmarks/bench_analyze.py --out DIR --reuse     # analyse a kept store again

1. A source store: ``--source`` (e.g. the main job's), else a fresh batch of ``amazon-openai``
   over its [sweep] (16 settings) x 2 replications, root seed 1.
2. The synthesised store: the source's runs tiled to ``--runs`` runs (new run ids, replication
   indices and seeds per copy; each copy keeps its design points, so settings stay balanced),
   outcomes and events in parts of ~1,000 runs like a real batch's.
3. ``aimarket analyze`` on it in a fresh process: wall time and peak resident memory (the
   child's ``ru_maxrss``), and its CPU time (wall time on a shared machine is inflated by
   others' work). Targets at 100,000 runs: under 30 s and under 1.5 GB on 2 cores.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from aimarket import store as run_store

PART_RUNS = 1_000


def source_store(path: Path) -> Path:
    """A small real batch to tile: amazon-openai's sweep x 2 replications."""
    from aimarket import batch
    from aimarket.scenario import load_scenario

    scenario = load_scenario("amazon-openai")
    design = batch.plan_design(scenario, root_seed=1)
    batch.run_batch(scenario, path, design=design, replications=2, root_seed=1, jobs=2)
    return path


def synthesise(source: Path, out: Path, runs: int) -> tuple[int, int]:
    """Tile the runs of ``source`` into ``out`` until it holds ``runs`` runs; returns the
    numbers of runs and event rows written."""
    outcomes = pq.read_table(source / "outcomes")
    events = pq.read_table(source / "events")
    n_src, reps = outcomes.num_rows, max(outcomes.column("replication").to_pylist()) + 1
    shutil.rmtree(out, ignore_errors=True)
    (out / "outcomes").mkdir(parents=True)
    (out / "events").mkdir()
    manifest = run_store.read_manifest(source)
    copies = -(-runs // n_src)
    manifest |= {"name": out.name, "runs": copies * n_src, "replications": copies * reps}
    manifest["design"] = {**manifest.get("design", {}), "replications": copies * reps}
    (out / "manifest.json").write_text(__import__("json").dumps(manifest, default=str))
    src_ids = outcomes.column("run_id").to_numpy()
    ev_ids = events.column("run_id").to_numpy()
    per_part = max(1, PART_RUNS // n_src)
    event_rows = 0
    for first in range(0, copies, per_part):
        chunk = range(first, min(copies, first + per_part))
        o_parts, e_parts = [], []
        for c in chunk:
            shift = c * n_src
            o = outcomes.set_column(
                outcomes.schema.get_field_index("run_id"), "run_id", pa.array(src_ids + shift)
            )
            o = o.set_column(
                o.schema.get_field_index("replication"),
                "replication",
                pa.array(o.column("replication").to_numpy() + c * reps),
            )
            o = o.set_column(
                o.schema.get_field_index("seed"),
                "seed",
                pa.array(o.column("seed").to_numpy().astype(np.int64) ^ (c * 0x9E3779B1)),
            )
            o_parts.append(o)
            e_parts.append(
                events.set_column(
                    events.schema.get_field_index("run_id"), "run_id", pa.array(ev_ids + shift)
                )
            )
        o_table, e_table = pa.concat_tables(o_parts), pa.concat_tables(e_parts)
        name = f"part-{first * n_src:09d}.parquet"
        pq.write_table(o_table, out / "outcomes" / name)
        pq.write_table(e_table, out / "events" / name)
        event_rows += e_table.num_rows
    return copies * n_src, event_rows


def time_analyze(store: Path) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (GB) of ``aimarket analyze STORE``
    in a fresh process (CPU time is what a busy machine does not inflate)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "aimarket", "-q", "analyze", str(store)], check=True)
    seconds = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--source", type=Path, help="run store to tile (default: a new batch)")
    parser.add_argument("--out", type=Path, help="where to write the store (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the synthesised store")
    parser.add_argument("--reuse", action="store_true", help="analyse --out as it is")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-analyze-"))
    try:
        out = args.out or work / "synthetic"
        if args.reuse and args.out is not None:
            runs = pq.read_table(out / "outcomes", columns=["run_id"]).num_rows
        else:
            source = args.source or source_store(work / "source")
            start = time.perf_counter()
            runs, event_rows = synthesise(source, out, args.runs)
            print(
                f"synthesised {runs:,} runs, {event_rows:,} event rows in "
                f"{time.perf_counter() - start:.0f} s"
            )
        seconds, cpu, peak_gb = time_analyze(out)
        print(
            f"analyze: {seconds:.1f} s wall, {cpu:.1f} s CPU, peak memory {peak_gb:.2f} GB "
            f"({runs:,} runs)"
        )
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
