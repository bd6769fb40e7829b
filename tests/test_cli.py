"""The single-run commands: outputs, exit codes, no traceback, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from aimarket.cli import main
from aimarket.ledger import ROW_COLUMNS


def test_run_writes_every_output(tmp_path, capsys):
    out = tmp_path / "run"
    assert main(["run", "baseline", "--seed", "3", "--ticks", "12", "--out", str(out)]) == 0
    assert "regime:" in capsys.readouterr().out
    for name in ("timeseries", "agents", "events", "ledger"):
        assert not pd.read_parquet(out / f"{name}.parquet").empty or name == "events"
    agents = pd.read_parquet(out / "agents.parquet")
    assert {"tick", "agent", "type", "cash"} <= set(agents.columns)
    ledger = pd.read_parquet(out / "ledger.parquet")
    assert list(ledger.columns) == list(ROW_COLUMNS)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["ticks"] == 12 and "regime" in summary["outcome"]
    assert (out / "origin_flows.png").stat().st_size > 0


def test_circular_revenue_is_recomputed_from_the_ledgers_origin_column(tmp_path):
    """Revenue a cloud receives whose origin is that cloud or a firm of its group, over its cloud
    revenue, from ``ledger.parquet`` alone: the reported total, by origin kind and by cloud."""
    out = tmp_path / "run"
    assert main(["run", "baseline", "--seed", "3", "--ticks", "24", "--out", str(out)]) == 0
    outcome = json.loads((out / "summary.json").read_text())["outcome"]
    ledger = pd.read_parquet(out / "ledger.parquet")
    revenue = ledger[ledger.kind.isin(["compute", "compute_credit"])]
    home = revenue[revenue.origin_group == revenue.target_group]
    assert set(home.origin_kind) <= set(outcome["circular_revenue_share_by_origin"])
    assert home.origin.isin(revenue.target).any()  # the cloud's own credits or equity
    share = home.amount.sum() / revenue.amount.sum()
    assert 0 < share == pytest.approx(outcome["circular_revenue_share"], abs=1e-9)
    by_origin = home.groupby("origin_kind").amount.sum() / revenue.amount.sum()
    assert by_origin["group_funding"] > 0
    for kind, value in outcome["circular_revenue_share_by_origin"].items():
        assert by_origin.get(kind, 0.0) == pytest.approx(value, abs=1e-9), kind
    assert sum(outcome["circular_revenue_share_by_origin"].values()) == pytest.approx(share)
    for cloud, amount in home.groupby("target").amount.sum().items():
        assert outcome[f"circular_revenue.{cloud}"] == pytest.approx(amount, rel=1e-9)


def test_bad_input_exits_2_with_one_line_and_no_folder(tmp_path):
    out = tmp_path / "never"
    for args in (
        ["run", str(tmp_path / "missing.toml"), "--out", str(out)],
        ["run", "baseline", "--set", "market.bogus=1", "--out", str(out)],
        ["run", "baseline", "--set", "novalue", "--out", str(out)],
        ["run", "baseline", "--ticks", "0", "--out", str(out)],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "aimarket", *args], capture_output=True, text=True
        )
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr.startswith("aimarket: error:") and "Traceback" not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1
        assert not out.exists()


def test_existing_output_folder_is_refused(tmp_path):
    out = tmp_path / "taken"
    out.mkdir()
    assert main(["run", "symmetric", "--ticks", "2", "--out", str(out)]) == 2


def test_listing_reads_descriptions_without_the_schema_and_flags_unreadable_files(tmp_path):
    from aimarket.scenario_files import list_scenarios

    (tmp_path / "a.toml").write_text('name = "a"\ndescription = "first"\nno_such_key = 1\n')
    (tmp_path / "b.toml").write_text('extends = "a"\nname = "b"\n')  # descriptions not inherited
    (tmp_path / "c.toml").write_text("name = [\n")
    (tmp_path / "d.toml").write_text('extends = "missing"\n')
    listing = dict(list_scenarios(tmp_path))
    assert listing["a"] == "first" and listing["b"] == ""
    assert listing["c"].startswith("INVALID: ") and "(syntax)" in listing["c"]
    assert listing["d"].startswith("INVALID: ") and "extends" in listing["d"]


def test_validate_and_list_scenarios(capsys):
    assert main(["validate", "baseline", "amazon-openai", "symmetric"]) == 0
    assert main(["scenarios"]) == 0
    listing = capsys.readouterr().out
    assert "baseline" in listing and "amazon-openai" in listing
