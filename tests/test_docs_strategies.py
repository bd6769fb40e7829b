"""docs/strategies.md's tournament results are reproducible: every generated block is rebuilt from
the recorded runs (docs/strategies-runs.csv), and the first replication of AWS's baseline
tournament reruns to the same runs (same root seed, same per-replication seeds)."""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "gen_strategies", ROOT / "docs" / "gen_strategies.py"
)
gen = importlib.util.module_from_spec(_spec)
sys.modules["gen_strategies"] = gen  # its dataclasses look their module up
_spec.loader.exec_module(gen)

STALE = "docs/strategies.md is stale: run python docs/gen_strategies.py"


def test_every_experiment_is_recorded_in_full():
    runs = gen.read_runs()
    for name, e in gen.EXPERIMENTS.items():
        if e.role:
            points = len(gen.spec(e)["points"])
        else:
            points = math.prod(len(values) for _, values in e.sweep)
        assert (runs["experiment"] == name).sum() == points * e.replications, name
    assert runs["status"].eq("ok").all()


def test_the_doc_blocks_come_from_the_recorded_runs():
    runs = gen.read_runs()
    doc = gen.DOC.read_text()
    for name, body in gen.blocks(runs).items():
        assert f"<!-- {name}:begin -->\n{body}\n<!-- {name}:end -->" in doc, f"{name}: {STALE}"


def test_first_replication_reruns_to_the_recorded_runs(tmp_path):
    e = gen.EXPERIMENTS["aws-baseline"]
    rerun = gen.records(e, gen.run_experiment(e, tmp_path / e.name, jobs=1, replications=1))
    recorded = gen.read_runs()
    recorded = recorded[(recorded["experiment"] == e.name) & (recorded["replication"] == 0)]
    columns = [
        "design_point",
        "profile",
        "seed",
        "status",
        "payoff.AWS",
        "value.AWS",
        "consumer_surplus",
        "hhi_cloud_final",
        "regulator_blocks",
        "first_breakdown_tick",
        "regime",
    ]
    pd.testing.assert_frame_equal(
        rerun[columns].reset_index(drop=True),
        recorded[columns].reset_index(drop=True),
        check_dtype=False,
        rtol=1e-5,
        obj=STALE,
    )
