"""Batch engine: one table whatever the executor, jobs, chunking or resume; failures; refusals."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from batch_fakes import SCENARIO, failing_run, fake_run

from aimarket import batch, designs
from aimarket.errors import UserError
from aimarket.store import read_events, read_manifest, read_outcomes, read_timeseries

TESTS = Path(__file__).parent
DESIGN = designs.grid({"a": [0.0, 1.0], "b": [0.5, 2]})


def run(out: Path, **kw) -> batch.BatchSummary:
    kw = {"design": DESIGN, "replications": 3, "root_seed": 42, "run_fn": fake_run, **kw}
    return batch.run_batch(SCENARIO, out, **kw)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ref") / "batch"
    run(out, executor="serial", keep_timeseries=True)
    return out


def test_reference_table_shape(reference):
    table = read_outcomes(reference)
    assert len(table) == 12
    assert list(table["run_id"]) == list(range(12))
    assert list(table.columns[:6]) == ["run_id", "design_point", "replication", "seed", "a", "b"]
    assert list(table.columns[-3:]) == ["status", "error", "traceback"]
    assert {"level", "count", "breakdown_tick", "regime"} <= set(table.columns)
    assert (table["status"] == "ok").all()
    assert table["breakdown_tick"].isna().any() and table["breakdown_tick"].notna().any()
    assert len(read_timeseries(reference)) == 12 * 12
    assert set(read_events(reference)["run_id"]) <= set(table["run_id"])


def test_common_random_numbers_across_design_points(reference):
    table = read_outcomes(reference)
    seeds = table.pivot(index="design_point", columns="replication", values="seed")
    assert (seeds.nunique() == 1).all()  # one stream per replication index
    assert seeds.iloc[0].nunique() == 3
    assert list(seeds.iloc[0]) == [batch.run_seed(42, r) for r in range(3)]


@pytest.mark.parametrize(
    ("executor", "jobs", "chunk_size"),
    [("serial", 1, 1), ("process", 2, 1), ("process", 2, 5), ("process", 1, 4)],
)
def test_table_independent_of_executor_jobs_and_chunks(
    reference, tmp_path, executor, jobs, chunk_size
):
    run(tmp_path / "b", executor=executor, jobs=jobs, chunk_size=chunk_size, keep_timeseries=True)
    _assert_same_store(reference, tmp_path / "b")


def test_dask_cluster_gives_the_same_table(reference, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        run(
            tmp_path / "b",
            executor="dask",
            scheduler=cluster.scheduler_address,
            jobs=2,
            chunk_size=2,
            keep_timeseries=True,
        )
    _assert_same_store(reference, tmp_path / "b")


def test_failed_runs_are_recorded_and_the_batch_goes_on(tmp_path):
    summary = run(tmp_path / "b", run_fn=failing_run, executor="serial", chunk_size=2)
    table = read_outcomes(tmp_path / "b")
    failed = table[table["b"] == 2]
    assert (summary.ok, summary.failed) == (6, 6)
    assert (failed["status"] == "failed").all()
    assert (failed["error"] == "ValueError: strategy bug").all()
    assert failed["traceback"].str.contains("strategy bug").all()
    assert failed["level"].isna().all()
    assert (table.loc[table["b"] != 2, "status"] == "ok").all()
    assert read_manifest(tmp_path / "b")["counts"] == {"runs": 12, "ok": 6, "failed": 6}


def test_invalid_design_point_fails_its_runs_only(tmp_path):
    design = designs.grid({"a": [1.0, -1.0]})
    summary = run(tmp_path / "b", design=design, replications=2, executor="serial")
    table = read_outcomes(tmp_path / "b")
    assert (summary.ok, summary.failed) == (2, 2)
    assert table.loc[table["a"] < 0, "error"].str.startswith("invalid design point").all()


def test_manifest_records_seed_design_versions_and_counts(reference):
    manifest = read_manifest(reference)
    assert manifest["root_seed"] == 42
    assert manifest["status"] == "complete"
    assert manifest["counts"] == {"runs": 12, "ok": 12, "failed": 0}
    assert manifest["design"]["keys"] == ["a", "b"]
    assert manifest["design"]["grid"] == {"a": [0.0, 1.0], "b": [0.5, 2]}
    assert manifest["scenario"]["content_hash"] == SCENARIO.content_hash
    assert {"python", "aimarket", "numpy", "pyarrow"} <= set(manifest["versions"])
    assert manifest["sessions"][0]["executor"] == "serial"


def test_resume_of_a_complete_batch_runs_nothing(reference, tmp_path):
    out = tmp_path / "b"
    run(out, executor="serial")
    summary = run(out, executor="serial", resume=True, root_seed=None)
    assert summary.ran == 0 and summary.complete
    assert len(read_manifest(out)["sessions"]) == 2


def test_killed_batch_resumes_to_the_uninterrupted_table(tmp_path):
    out, ref = tmp_path / "killed", tmp_path / "ref"
    design = designs.grid({"a": [float(i) for i in range(20)]})
    kw = {"design": design, "replications": 3, "root_seed": 5}
    script = f"""
import sys; sys.path.insert(0, {str(TESTS)!r})
from batch_fakes import SCENARIO, slow_run
from aimarket import batch, designs
design = designs.grid({{"a": [float(i) for i in range(20)]}})
batch.run_batch(SCENARIO, {str(out)!r}, design=design, replications=3, root_seed=5,
                jobs=2, chunk_size=2, run_fn=slow_run)
"""
    proc = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while len(list((out / "outcomes").glob("part-*.parquet"))) < 4:
            assert proc.poll() is None, "batch finished before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    partial = read_outcomes(out)
    assert 0 < len(partial) < 60
    assert read_manifest(out)["status"] == "running"
    summary = batch.run_batch(
        SCENARIO, out, resume=True, jobs=2, chunk_size=7, run_fn=fake_run, **kw
    )
    assert summary.complete and summary.ran == 60 - len(partial)
    batch.run_batch(SCENARIO, ref, executor="serial", run_fn=fake_run, **kw)
    _assert_same_store(ref, out)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"replications": 2}, "replications"),
        ({"design": designs.grid({"a": [0.0]})}, "design digest"),
        ({"keep_timeseries": True}, "keep timeseries"),
        ({"root_seed": 43}, "--seed 43 differs"),
    ],
)
def test_mismatched_resume_is_refused(tmp_path, change, message):
    run(tmp_path / "b", executor="serial")
    with pytest.raises(UserError, match=message):
        run(tmp_path / "b", executor="serial", resume=True, **change)


def test_refusals_leave_no_folder(tmp_path):
    run(tmp_path / "b", executor="serial")
    with pytest.raises(UserError, match="already exists"):
        run(tmp_path / "b", executor="serial")
    with pytest.raises(UserError, match="no batch to resume"):
        run(tmp_path / "new", executor="serial", resume=True)
    with pytest.raises(UserError, match="replications"):
        run(tmp_path / "new", replications=0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["b"]


def test_plan_design_checks_keys_values_and_ranges():
    plan = batch.plan_design
    assert len(plan(SCENARIO, sweeps={"a": [1, 2], "b": [0, 1, 2]})) == 6
    lhs = plan(SCENARIO, sweeps={"c": [1, 2]}, ranges={"a": (0.0, 1.0)}, samples=5, root_seed=1)
    assert (lhs.kind, len(lhs), lhs.keys) == ("lhs", 10, ["c", "a"])
    assert (
        lhs.points
        == plan(
            SCENARIO, sweeps={"c": [1, 2]}, ranges={"a": (0.0, 1.0)}, samples=5, root_seed=1
        ).points
    )
    for kw, message in [
        ({"sweeps": {"nope": [1]}}, "nope: unknown key"),
        ({"sweeps": {"a": [1, -1]}}, "a: must be a number"),
        ({"ranges": {"a": (0.0, 1.0)}}, "needs --samples"),
        ({"ranges": {"a": (1.0, 0.0)}, "samples": 4}, "LOW must be below HIGH"),
        ({"ranges": {"a": (0.0, 1.0)}, "kind": "grid"}, "need --design lhs, sobol or morris"),
        ({"ranges": {"a": (0.0, 1.0)}, "sweeps": {"a": [1]}}, "both"),
        ({"ranges": {"a": (0.0, 1.0)}, "kind": "sobol", "samples": 6}, "power of 2"),
    ]:
        with pytest.raises(UserError, match=message):
            plan(SCENARIO, **kw)


def test_scenario_sweep_table_is_the_default_grid():
    from batch_fakes import FakeScenario

    scenario = FakeScenario(SCENARIO.data, sweep={"a": [1.0, 2.0], "c": [1, 2, 3]})
    assert len(batch.plan_design(scenario)) == 6
    only_c = batch.plan_design(scenario, sweeps={"c": [7, 8]})  # an explicit sweep replaces it
    assert (len(only_c), only_c.keys) == (2, ["c"])
    sampled = batch.plan_design(scenario, ranges={"a": (0.0, 1.0)}, samples=3)
    assert (len(sampled), sampled.keys) == (3, ["a"])


def _assert_same_store(expected: Path, actual: Path) -> None:
    pd.testing.assert_frame_equal(read_outcomes(expected), read_outcomes(actual))
    pd.testing.assert_frame_equal(read_events(expected), read_events(actual))
    pd.testing.assert_frame_equal(read_timeseries(expected), read_timeseries(actual))
    assert json.loads((actual / "manifest.json").read_text())["status"] == "complete"
