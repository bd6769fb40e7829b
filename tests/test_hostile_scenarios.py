"""Hostile scenario files and command lines get a one-line answer naming file, key and reason,
exit 2 and nothing written; valid runs write strict JSON."""

from __future__ import annotations

import json
import time

import pandas as pd
import pytest

from aimarket.cli import main
from aimarket.scenario import MAX_AGENTS, MAX_DEPTH, ScenarioError, load_scenario

MINIMAL = """
name = "mini"
[[hyperscalers]]
name = "C"
[[labs]]
name = "L"
"""
DEAL = '[[deals]]\nid = "D"\ninvestor = "C"\ntarget = "L"\n'
EVENT = '[[events]]\nid = "E"\nmonth = "2024-03"\ninvestor = "C"\ntarget = "L"\n'


def _strict(text: str) -> object:
    def refuse(constant: str) -> None:
        raise AssertionError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


def lab(extra: str) -> str:
    return MINIMAL.replace('name = "L"', f'name = "L"\n{extra}')


CASES = [
    (
        MINIMAL + "[market]\ndemand_growth_per_year = inf\n",
        "market.demand_growth_per_year",
        "finite",
    ),
    (MINIMAL + "[market]\nno_ai_utility = nan\n", "market.no_ai_utility", "finite"),
    (lab("capability = inf"), "labs.L.capability", "finite"),
    (
        MINIMAL.replace('name = "C"', 'name = "C"\ncash_bn = true'),
        "hyperscalers.C.cash_bn",
        "number",
    ),
    (
        lab("strategy_params.accept_cover = nan"),
        "labs.L.strategy_params.accept_cover",
        "got nan",
    ),
    (
        lab("strategy_params.break_cash_cover = [1]"),
        "labs.L.strategy_params.break_cash_cover",
        "got [1]",
    ),
    (MINIMAL.replace('"C"', '"suppliers"'), "(top level)", "reserved"),
    (MINIMAL.replace('"L"', '"credit:x"'), "(top level)", "reserved"),
    (MINIMAL + DEAL + DEAL, "(top level)", "duplicate deal ids"),
    (MINIMAL + DEAL + EVENT.replace('"E"', '"D"'), "(top level)", "duplicate deal ids"),
    (MINIMAL + DEAL + 'start = "2030-01"\n', "deals.D.start", "after the scenario start"),
    (MINIMAL + DEAL + 'start = "2010-01"\n', "deals.D.start", "has ended by the start"),
    (MINIMAL + EVENT.replace("2024-03", "2023-12"), "events.E.month", "before the start"),
    (lab('enters = "2023-06"'), "labs.L.enters", "before the start"),
    (
        MINIMAL + '[[shocks]]\nmonth = "2023-01"\nset = { "market.usage_units" = 2 }\n',
        "shocks.0.month",
        "before the start",
    ),
    (
        MINIMAL + '[[shocks]]\nmonth = "2025-01"\nset = { "market.bogus" = 2 }\n',
        "shocks.0.set.market.bogus",
        "unknown key",
    ),
    (
        MINIMAL + '[[shocks]]\nmonth = "2025-01"\nset = { "market.usage_units" = -2 }\n',
        "shocks.0.set.market.usage_units",
        "greater than 0",
    ),
    (
        MINIMAL + '[[regulators]]\nname = "R"\ngatekeepers = ["Nobody"]\n',
        "regulators.R.gatekeepers",
        "unknown firm 'Nobody'",
    ),
    (MINIMAL + "[sweep]\n'market.bogus' = [1, 2]\n", "market.bogus", "unknown key"),
    (MINIMAL + "[sweep]\nticks = [12, 24]\n", "sweep.ticks", "cannot be swept"),
    (MINIMAL + "x = " + "[" * 5000 + "]" * 5000 + "\n", "(syntax)", "nested"),
    (MINIMAL + "[market]\nbloc_ties = " + "[" * 9 + "]" * 9 + "\n", "(syntax)", "nested deeper"),
    ('extends = "../outside/x"\n' + MINIMAL, "extends", "no scenario '../outside/x'"),
]


@pytest.mark.parametrize(("text", "key", "reason"), CASES)
def test_hostile_files_are_refused_with_file_key_and_reason(tmp_path, capsys, text, key, reason):
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.toml").write_text(MINIMAL)
    (tmp_path / "in").mkdir()
    path = tmp_path / "in" / "bad.toml"
    path.write_text(text)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"aimarket: error: {path}: {key}:"), err
    assert reason in err
    command = "batch" if "[sweep]" in text else "run"  # `run` does not read the [sweep] table
    assert main([command, str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_extends_reaches_its_own_subfolders_and_shipped_scenarios(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "parent.toml").write_text("ticks = 7\n" + MINIMAL)
    (tmp_path / "child.toml").write_text('extends = "sub/parent"\nname = "child"\n')
    (tmp_path / "b.toml").write_text('extends = "baseline"\nname = "b"\n')
    assert load_scenario(tmp_path / "child.toml").ticks == 7
    assert load_scenario(tmp_path / "b.toml").data["labs"] == load_scenario("baseline").data["labs"]


def test_size_limits_answer_quickly(tmp_path):
    labs = "".join(f'[[labs]]\nname = "L{i}"\n' for i in range(MAX_AGENTS))
    path = tmp_path / "many.toml"
    path.write_text(MINIMAL + labs)
    start = time.perf_counter()
    with pytest.raises(ScenarioError, match=f"at most {MAX_AGENTS}"):
        load_scenario(path)
    assert time.perf_counter() - start < 5
    path.write_text(MINIMAL + "# padding\n" * 300_000)
    with pytest.raises(ScenarioError, match="larger than"):
        load_scenario(path)
    assert MAX_DEPTH >= 5  # the deepest valid key: labs[].strategy_params.menu[] entries


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "baseline", "--seed", "-1"], "--seed -1: must be between 0"),
        (["run", "baseline", "--ticks", "100000"], "--ticks 100000: must be between 1 and 1200"),
        (["batch", "baseline", "--ticks", "0"], "--ticks 0: must be between 1 and 1200"),
        (["batch", "baseline", "--sweep", "ticks=12"], "ticks: cannot be swept"),
        (["run", "baseline", "--set", "market.usage_units=inf"], "market.usage_units: Input"),
        (["run", "baseline", "--set", "labs.OpenAI.cash_bn=true"], "labs.OpenAI.cash_bn: Input"),
        (
            ["run", "baseline", "--set", "market.cloud_price_sensitivity=750"],
            "month 1: mechanism 'capex_shell' produced the amount nan",
        ),
    ],
)
def test_hostile_command_lines_exit_2_with_one_line(tmp_path, capsys, args, message):
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err, err
    assert not (tmp_path / "out").exists()


def test_a_scenario_name_is_a_label_not_a_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("../../escape", "/abs/olute", ".."):
        assert main(["run", "symmetric", "--ticks", "2", "--set", f"name={name}"]) == 0
    made = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert made == ["abs-olute-seed0", "escape-seed0", "scenario-seed0"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"]


def test_summary_json_is_strict_and_undefined_values_are_null(tmp_path):
    assert main(["run", "symmetric", "--ticks", "3", "--out", str(tmp_path / "s")]) == 0
    summary = _strict((tmp_path / "s" / "summary.json").read_text())
    assert summary["outcome"]["open_gap_months_final"] is None


def test_an_economy_without_compute_reports_what_is_undefined_as_null(tmp_path, capsys):
    sets = [
        f"--set=hyperscalers.Cloud{c}.{key}=0"
        for c in "ABC"
        for key in ("capacity_gw", "pipeline_gw", "cash_bn")
    ]
    args = ["run", "symmetric", "--ticks", "4", "--out", str(tmp_path / "s"), *sets]
    assert main([*args, "--set=market.enterprise_compute_gw=0"]) == 0
    assert "no cloud had compute in 4 of 4 months" in capsys.readouterr().out
    outcome = _strict((tmp_path / "s" / "summary.json").read_text())["outcome"]
    for key in ("regime", "consumer_surplus", "hhi_cloud_final", "top_bloc_share_models_final"):
        assert outcome[key] is None, key
    assert outcome["hhi_chips_final"] is not None  # chips are still a market
    series = pd.read_parquet(tmp_path / "s" / "timeseries.parquet")
    assert series["hhi_models"].isna().all() and series["consumer_surplus"].isna().all()


def test_an_economy_with_compute_has_every_layer_defined(tmp_path):
    assert main(["run", "symmetric", "--ticks", "3", "--out", str(tmp_path / "s")]) == 0
    outcome = _strict((tmp_path / "s" / "summary.json").read_text())["outcome"]
    assert outcome["regime"] == "competitive" and outcome["consumer_surplus"] > 0
