"""Batch throughput, machinery overhead, `mesa.batch_run` comparison and peak memory.

    python benchmarks/bench_batch.py [--scenario baseline] [--runs 200] [--ticks 24]
        [--big-runs 10000] [--big-ticks 1] [--skip-mesa]

Each case runs in a fresh subprocess so that peak memory (max RSS of the process and of its
children, from `resource.getrusage`) belongs to that case alone. Figures are printed as a table
and as JSON.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import mesa

from aimarket.model import AIMarket


def case_pure(scenario: str, runs: int, ticks: int, jobs: int) -> dict:
    """Sum of the wall times of `simulate` alone (scenario built once, no batch machinery)."""
    from aimarket.batch import run_seed
    from aimarket.scenario import load_scenario
    from aimarket.simulation import simulate

    sc = load_scenario(scenario)
    total = 0.0
    for i in range(runs):
        start = time.perf_counter()
        simulate(sc, run_seed(0, i), ticks=ticks)
        total += time.perf_counter() - start
    return {"seconds": total}


def case_batch(scenario: str, runs: int, ticks: int, jobs: int) -> dict:
    """`run_batch` of `runs` replications into a temporary run store."""
    from aimarket.batch import run_batch
    from aimarket.scenario import load_scenario

    sc = load_scenario(scenario)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        summary = run_batch(
            sc, Path(tmp) / "b", replications=runs, root_seed=0, ticks=ticks, jobs=jobs
        )
        seconds = time.perf_counter() - start
    assert summary.ok == runs, f"{summary.failed} runs failed"
    return {"seconds": seconds, "run_seconds": summary.run_seconds}


def case_mesa(scenario: str, runs: int, ticks: int, jobs: int) -> dict:
    """The same runs through `mesa.batch_run` (one iteration per run, last step collected)."""
    from aimarket.batch import run_seed
    from aimarket.scenario import load_scenario

    start = time.perf_counter()
    rows = mesa.batch_run(
        CollectedMarket,
        parameters={"scenario": load_scenario(scenario)},
        number_processes=jobs,
        max_steps=ticks,
        data_collection_period=-1,
        display_progress=False,
        rng=[run_seed(0, i) for i in range(runs)],
    )
    return {"seconds": time.perf_counter() - start, "rows": len(rows)}


class CollectedMarket(AIMarket):
    """`AIMarket` with the `DataCollector` that `mesa.batch_run` requires (month reporter)."""

    def __init__(self, scenario: object, rng: object = None) -> None:
        super().__init__(scenario, rng=rng)
        self.datacollector = mesa.DataCollector(model_reporters={"tick": "tick"})


CASES = {"pure": case_pure, "batch": case_batch, "mesa": case_mesa}


def measure(case: str, scenario: str, runs: int, ticks: int, jobs: int) -> dict:
    """Run one case in a fresh interpreter; add its peak memory (MiB)."""
    argv = [sys.executable, __file__, "--case", case, "--scenario", scenario]
    argv += ["--runs", str(runs), "--ticks", str(ticks), "--jobs", str(jobs)]
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="baseline")
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--ticks", type=int, default=24)
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--big-runs", type=int, default=10_000)
    p.add_argument("--big-ticks", type=int, default=1)
    p.add_argument("--skip-mesa", action="store_true")
    p.add_argument("--case", choices=CASES, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.case:  # inside the child interpreter
        result = CASES[args.case](args.scenario, args.runs, args.ticks, args.jobs)
        self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        result |= {"peak_mib": round(self_kb / 1024), "peak_child_mib": round(child_kb / 1024)}
        print(json.dumps(result))
        return
    n, t = args.runs, args.ticks
    plan = [
        ("pure simulate, serial", "pure", n, t, 1),
        ("aimarket batch, 1 job", "batch", n, t, 1),
        ("aimarket batch, 2 jobs", "batch", n, t, 2),
    ]
    if not args.skip_mesa:
        plan += [("mesa.batch_run, 1 process", "mesa", n, t, 1)]
        plan += [("mesa.batch_run, 2 processes", "mesa", n, t, 2)]
    plan += [
        (
            f"aimarket batch, {args.big_runs} runs x {args.big_ticks} ticks, 2 jobs",
            "batch",
            args.big_runs,
            args.big_ticks,
            2,
        )
    ]
    if not args.skip_mesa:
        plan += [
            (
                f"mesa.batch_run, {args.big_runs} runs x {args.big_ticks} ticks, 2 processes",
                "mesa",
                args.big_runs,
                args.big_ticks,
                2,
            )
        ]
    results = {}
    print(f"{args.scenario}: {n} runs x {t} ticks unless stated", file=sys.stderr)
    for label, case, runs, ticks, jobs in plan:
        r = measure(case, args.scenario, runs, ticks, jobs)
        if "seconds" in r:
            r["runs_per_s"] = round(runs / r["seconds"], 2)
        results[label] = r
        print(f"{label:<55} {json.dumps(r)}", file=sys.stderr)
    pure = results["pure simulate, serial"].get("seconds")
    one = results["aimarket batch, 1 job"]
    if pure and "seconds" in one:
        results["overhead vs pure runs, 1 job"] = round(one["seconds"] / pure - 1, 4)
        results["overhead vs in-batch run time, 1 job"] = round(
            one["seconds"] / one["run_seconds"] - 1, 4
        )
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
