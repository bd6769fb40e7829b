"""Tournaments: roles and designs, paired statistics (golden values), a known winner, CLI errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from aimarket import tournament
from aimarket.analysis.report import build_report
from aimarket.cli import main
from aimarket.errors import UserError
from aimarket.scenario import load_scenario
from aimarket.store import read_manifest
from aimarket.strategies import plugins

PLUGIN = str(Path(__file__).parent / "plugins" / "steady.py")
TWO = "test-steady,test-wasteful"


def test_roles_and_designs():
    scenario = load_scenario("symmetric")
    named = tournament.resolve_role(scenario, "CloudA")
    assert named.named and named.agents == ("CloudA",) and named.agent_type == "hyperscaler"
    typed = tournament.resolve_role(scenario, "hyperscalers")
    assert typed.agents == tournament.resolve_role(scenario, "hyperscaler").agents
    assert typed.agents == ("CloudA", "CloudB", "CloudC") and not typed.named
    design, labels = tournament.plan(typed, ["a", "b"])
    assert len(design) == 2 + 3 * 2 * 1
    assert design.points[0] == dict.fromkeys(design.keys, "a")
    assert labels[2] == {"profile": "a", "deviator": "CloudA", "to": "b"}
    assert design.points[2]["hyperscalers.CloudA.strategy"] == "b"
    assert design.points[2]["hyperscalers.CloudB.strategy"] == "a"
    assert len(tournament.plan(named, ["a", "b", "c"])[0]) == 3
    assert len(tournament.plan(typed, ["a", "b"], deviations=False)[0]) == 2
    with pytest.raises(UserError, match="not an agent or agent type"):
        tournament.resolve_role(scenario, "Nobody")
    with pytest.raises(UserError, match="has no open_source agent"):
        tournament.resolve_role(scenario, "open_source")


def test_regulators_are_paid_in_consumer_surplus(tmp_path):
    scenario = load_scenario("symmetric")
    regulator = tournament.resolve_role(scenario, "regulator")
    assert tournament.payoff_field(regulator, None) == "consumer_surplus"
    assert tournament.payoff_field(tournament.resolve_role(scenario, "lab"), None) == "payoff"
    out = tmp_path / "reg"
    names = ["threshold", "laissez-faire"]
    tournament.run(scenario, "Authority", names, out, replications=2, root_seed=2, ticks=3, jobs=1)
    res = tournament.load(out)
    assert res.spec["field"] == "consumer_surplus" and res.profiles["n"].tolist() == [2, 2]


def synthetic() -> tuple[pd.DataFrame, dict]:
    """Role X plays A, B, C over 4 replications; B's last run failed. C = A + 0.1 or 0.2."""
    a = [10.0, 12.0, 11.0, 13.0]
    pay = {
        "A": a,
        "B": [9.0, 12.5, 10.0, np.nan],
        "C": [v + d for v, d in zip(a, [0.1, 0.2] * 2, strict=True)],
    }
    rows = [
        {
            "run_id": 4 * p + r,
            "design_point": p,
            "replication": r,
            "payoff.X": v,
            "hhi_cloud_final": 1000.0 * (p + 1),
            "monopoly_like": r < p,
            "first_breakdown_tick": 5 if r == 0 else None,
            "status": "failed" if np.isnan(v) else "ok",
        }
        for p, s in enumerate("ABC")
        for r, v in enumerate(pay[s])
    ]
    spec = {
        "role": "X",
        "agent_type": "hyperscaler",
        "agents": ["X"],
        "named": True,
        "strategies": ["A", "B", "C"],
        "field": "payoff",
        "points": [{"profile": s, "deviator": None, "to": None} for s in "ABC"],
    }
    return pd.DataFrame(rows), spec


def test_paired_statistics_golden_values():
    res = tournament.analyze(*synthetic())
    prof = res.profiles.set_index("profile")
    assert list(res.profiles["profile"]) == ["C", "A", "B"]
    assert prof.loc["A", ["n", "mean", "lo", "hi"]].tolist() == pytest.approx(
        [4, 11.5, 9.445739743239479, 13.554260256760521]
    )
    assert prof.loc["B", ["n", "mean", "lo", "hi"]].tolist() == pytest.approx(
        [3, 10.5, 6.021657052485201, 14.978342947514799]
    )
    assert prof.loc["B", ["diff_to_best", "diff_lo", "diff_hi", "diff_p_value"]].tolist() == (
        pytest.approx([-0.6333333333333, -2.641237940549749, 1.3745712738830833, 0.3076015087749])
    )
    moves = res.switches.set_index(["profile", "to"])
    assert moves.loc[("A", "C"), ["n", "gain", "lo", "hi", "p_value"]].tolist() == pytest.approx(
        [4, 0.15, 0.058130688448145854, 0.2418693115518531, 0.013846832988859045]
    )
    assert moves.loc[("A", "C"), "improves"] and not moves.loc[("B", "A"), "improves"]
    stable = res.stability.set_index("profile")
    assert stable["stable_role"].to_dict() == {"A": False, "B": True, "C": True}
    assert stable.loc["A", "best_switch"] == "role → C"
    assert stable["stable_agents"].isna().all()
    market = res.market.set_index("profile")
    assert market["n"].tolist() == [4, 3, 4]
    assert market["hhi_cloud_final"].tolist() == [1000.0, 2000.0, 3000.0]
    assert market["p_monopoly_like"].tolist() == pytest.approx([0.0, 1 / 3, 0.5])
    assert market["p_breakdown"].tolist() == pytest.approx([0.25, 1 / 3, 0.25])
    assert (market["p_breakdown_lo"] < market["p_breakdown"]).all()


def test_the_strategy_that_wastes_cash_loses_and_is_unstable(tmp_path, capsys):
    out = tmp_path / "named"
    args = ["tournament", "symmetric", "--role", "CloudA", "--strategies", TWO, "-r", "3"]
    args += ["--ticks", "6", "--seed", "5", "--executor", "serial", "--plugin", PLUGIN]
    args += ["--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "test-steady" in printed and "stable" in printed
    res = tournament.load(out)
    assert res.profiles["profile"].tolist() == ["test-steady", "test-wasteful"]
    assert res.profiles["diff_to_best"].tolist() == pytest.approx([0.0, -3.0])  # 6 x 0.5 bn
    stable = res.stability.set_index("profile")["stable_role"]
    assert stable.to_dict() == {"test-steady": True, "test-wasteful": False}
    manifest = read_manifest(out)
    assert manifest["tournament"]["role"] == "CloudA"
    assert manifest["sessions"][0]["executor"] == "serial"
    assert manifest["plugins"] == [str(Path(PLUGIN).resolve())]
    assert main([*args, "--resume"]) == 0  # nothing left to run: the same tables
    assert capsys.readouterr().out == printed
    assert main([*args, "--resume", "--payoff", "value"]) == 0  # the same runs, another payoff
    by_value = capsys.readouterr().out
    assert "payoff = value: end-of-run firm value" in by_value and by_value != printed
    report = build_report(out).read_text()
    assert "Tournament" in report and "Ranking and stability" in report


def test_type_role_tests_single_agent_deviations(tmp_path):
    out = tmp_path / "typed"
    scenario = load_scenario("symmetric")
    plugins.load([PLUGIN])
    summary = tournament.run(
        scenario, "hyperscaler", TWO.split(","), out, replications=2, root_seed=1, ticks=4, jobs=1
    )
    assert summary.ok == 2 * (2 + 3 * 2)
    res = tournament.load(out)
    agents = res.switches[res.switches["deviator"] != "role"]
    gains = agents.groupby("profile")["gain"].agg(["min", "max"])
    assert gains.loc["test-steady"].tolist() == pytest.approx([-2.0, -2.0])
    assert gains.loc["test-wasteful"].tolist() == pytest.approx([2.0, 2.0])
    stable = res.stability.set_index("profile")
    assert stable["stable_agents"].to_dict() == {"test-steady": True, "test-wasteful": False}
    assert "Tournament" in build_report(out, strict=True).read_text()  # runs without any event


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--role", "Nobody", "--strategies", "capacity-planner,default"], "--role Nobody"),
        (["--role", "CloudA", "--strategies", "capacity-planner,nope"], "unknown hyperscaler"),
        (["--role", "CloudA", "--strategies", "capacity-planner"], "at least two"),
        (["--role", "CloudA", "--strategies", "balanced,capacity-planner"], "'balanced'"),
        (
            ["--role", "Authority", "--strategies", "threshold,adaptive", "--payoff", "payoff"],
            "none",
        ),
        (
            ["--role", "CloudA", "--strategies", "default,test-steady", "--payoff", "regime"],
            "numeric",
        ),
        (
            [
                "--role",
                "CloudA",
                "--strategies",
                "capacity-planner,roth-erev",
                "--scheduler",
                "x:1",
            ],
            "--scheduler needs --executor dask",
        ),
    ],
)
def test_cli_errors_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, extra, message):
    out = tmp_path / "never"
    assert main(["tournament", "symmetric", *extra, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
