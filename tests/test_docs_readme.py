"""README's main-job numbers are reproducible: the block is generated from the recorded runs, and
the first replication reruns to the same runs (same root seed, same per-replication seeds)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd

from aimarket.analysis import load_run

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("gen_readme", ROOT / "docs" / "gen_readme.py")
gen = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(gen)


def test_readme_block_and_figures_come_from_the_recorded_runs():
    runs = pd.read_csv(gen.RUNS_CSV)
    assert len(runs) == 16 * gen.REPLICATIONS and runs["status"].eq("ok").all()
    block = f"<!-- main-job:begin -->\n{gen.readme_block(runs)}\n<!-- main-job:end -->"
    assert block in gen.README.read_text(), "README is stale: run python docs/gen_readme.py"
    assert gen.PHASE_PNG.stat().st_size > 0 and gen.SURVIVAL_PNG.stat().st_size > 0


def test_first_replication_reruns_to_the_recorded_runs(tmp_path):
    store = gen.run_store(tmp_path / "main-job", jobs=2, replications=1)
    run = load_run(store)
    rerun = gen.runs_table(run.outcomes, run.events)
    recorded = pd.read_csv(gen.RUNS_CSV)
    recorded = recorded[recorded["replication"] == 0].reset_index(drop=True)
    columns = ["seed", "first_breakdown_tick", "first_breakdown_cause", "first_breakdown_pair"]
    columns.append("offer")
    pd.testing.assert_frame_equal(
        rerun[[gen.DEMAND, gen.OFFER, *columns]].reset_index(drop=True),
        recorded[[gen.DEMAND, gen.OFFER, *columns]],
        check_dtype=False,
    )
