"""`aimarket batch`: real runs of a tiny scenario, the closing message, refusals with exit 2."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from batch_fakes import constant_run

from aimarket import batch
from aimarket.scenario import load_scenario
from aimarket.store import read_manifest, read_outcomes

pytest.importorskip("aimarket.simulation")
from aimarket.cli import main

MINI = """
name = "mini"
ticks = 3
[[hyperscalers]]
name = "H"
[[labs]]
name = "L"
[sweep]
"market.demand_growth_per_year" = [0.5, 1.0]
"""


@pytest.fixture
def mini(tmp_path) -> Path:
    path = tmp_path / "mini.toml"
    path.write_text(MINI)
    return path


def test_batch_runs_the_scenario_sweep_and_says_where_results_are(mini, tmp_path, capsys):
    out = tmp_path / "runs" / "b"
    code = main(["batch", str(mini), "-r", "2", "--ticks", "2", "-j", "2", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"results: {out}/" in captured.out
    assert captured.err.splitlines()[-1].startswith("batch: 4/4 runs (100%)")  # lines, no bar
    table = read_outcomes(out)
    assert len(table) == 4 and (table["status"] == "ok").all()
    assert list(table["market.demand_growth_per_year"]) == [0.5, 0.5, 1.0, 1.0]
    from aimarket.metrics import OUTCOME_FIELDS

    assert set(OUTCOME_FIELDS) <= set(table.columns)
    assert read_manifest(out)["design"]["keys"] == ["market.demand_growth_per_year"]


def test_lhs_design_from_the_command_line(mini, tmp_path, capsys):
    out = tmp_path / "lhs"
    argv = ["batch", str(mini), "--ticks", "1", "--design", "lhs", "--samples", "3"]
    argv += ["--range", "hyperscalers.H.capacity_gw=1:4", "--seed", "3", "-j", "1", "-o", str(out)]
    assert main(argv) == 0, capsys.readouterr().err
    table = read_outcomes(out)
    assert len(table) == 3  # 3 samples: an explicit design replaces the scenario's [sweep]
    assert table["hyperscalers.H.capacity_gw"].between(1, 4).all()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sweep", "market.nope=1,2"], "market.nope: unknown key"),
        (["--sweep", "market.demand_growth_per_year=fast"], "market.demand_growth_per_year"),
        (["--range", "market.control_stake=0.5:0.1", "--samples", "4"], "LOW must be below"),
        (["--range", "market.control_stake=0.1:0.5"], "needs --samples"),
        (["--sweep", "market.control_stake"], "expected KEY=V1,V2"),
        (["--resume"], "no batch to resume"),
        (["-r", "0"], "at least 1"),
    ],
)
def test_refusals_exit_2_with_one_line_and_leave_no_folder(mini, tmp_path, capsys, args, message):
    out = tmp_path / "refused"
    assert main(["batch", str(mini), "--out", str(out), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


def test_existing_folder_and_mismatched_resume_are_refused(mini, tmp_path, capsys):
    out = tmp_path / "b"
    batch.run_batch(load_scenario(mini), out, root_seed=1, run_fn=constant_run)
    assert main(["batch", str(mini), "--out", str(out)]) == 2
    assert "already exists: use --resume" in capsys.readouterr().err
    assert main(["batch", str(mini), "--out", str(out), "--resume", "-r", "3"]) == 2
    assert "differ from the recorded batch" in capsys.readouterr().err
    assert main(["batch", str(mini), "--out", str(out), "--resume", "--set", "ticks=5"]) == 2
    assert "scenario hash" in capsys.readouterr().err


def test_progress_lines_when_stderr_is_not_a_terminal_and_none_with_quiet(mini, tmp_path, capsys):
    args = ["batch", str(mini), "-r", "3", "--ticks", "2", "--executor", "serial", "--chunk-size"]
    assert main([*args, "1", "--out", str(tmp_path / "a")]) == 0
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("batch:")]
    assert lines[-1].startswith("batch: 6/6 runs (100%), 0 failed")
    assert main(["-q", *args, "1", "--out", str(tmp_path / "b")]) == 0
    assert "batch:" not in capsys.readouterr().err


def test_progress_lines_keep_coming_while_a_long_chunk_runs(monkeypatch, caplog):
    monkeypatch.setattr(batch, "PROGRESS_SECONDS", 0.01)
    caplog.set_level("INFO", logger="aimarket")
    progress = batch._LineProgress(total=6, initial=0)
    time.sleep(0.2)  # no chunk has finished yet
    progress.update(6)
    progress.close()
    lines = [r.message for r in caplog.records if r.message.startswith("batch:")]
    assert lines[0].startswith("batch: 0/6 runs (0%)") and len(lines) >= 3
    assert lines[-1].startswith("batch: 6/6 runs (100%)")
