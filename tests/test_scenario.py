"""Scenario files: validation errors name file and key; extends and overrides resolve."""

from __future__ import annotations

from pathlib import Path

import pytest

from aimarket.cli import main
from aimarket.model import AIMarket
from aimarket.scenario import SCENARIO_DIR, ScenarioError, load_scenario


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text)
    return path


MINIMAL = """
name = "mini"
[[hyperscalers]]
name = "C"
[[labs]]
name = "L"
"""


@pytest.mark.parametrize("path", sorted(SCENARIO_DIR.glob("*.toml")), ids=lambda p: p.stem)
def test_every_shipped_scenario_validates_and_runs(path):
    scenario = load_scenario(path)
    model = AIMarket(scenario, rng=0)
    for _ in range(3):
        model.step()
    assert scenario.spec.description and scenario.spec.question


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        ("bogus = 1\n" + MINIMAL, "bogus", "unknown key"),
        (MINIMAL + "[market]\nusage_units = -1\n", "market.usage_units", "greater than 0"),
        (MINIMAL.replace('name = "L"', 'name = "L"\nbogus = 1'), "labs.L.bogus", "unknown key"),
        (
            MINIMAL.replace('name = "C"', 'name = "C"\ncash_bn = "lots"'),
            "hyperscalers.C.cash_bn",
            "number",
        ),
        (
            MINIMAL.replace('name = "L"', 'name = "L"\nstrategy = "nope"'),
            "labs.L.strategy",
            "unknown strategy",
        ),
        (
            MINIMAL.replace('name = "C"', 'name = "C"\nstrategy_params = { bogus = 1 }'),
            "hyperscalers.C.strategy_params.bogus",
            "unknown parameter",
        ),
        (
            MINIMAL.replace(
                'name = "L"', 'name = "L"\nstrategy = "roth-erev"\nstrategy_params.menu = ["nope"]'
            ),
            "labs.L.strategy_params.menu",
            "unknown strategy 'nope'",
        ),
        (
            MINIMAL.replace(
                'name = "L"', 'name = "L"\nstrategy = "roth-erev"\nstrategy_params.phi = 1.0'
            ),
            "labs.L.strategy_params.phi",
            "must be a number in [0, 1) (got 1.0)",
        ),
        (
            MINIMAL.replace('name = "L"', 'name = "L"\nstrategy_params.accept_cover = -5.0'),
            "labs.L.strategy_params.accept_cover",
            "must be a number >= 0 (got -5.0)",
        ),
        (
            MINIMAL.replace('name = "L"', 'name = "L"\nstrategy_params.accept_cover = "abc"'),
            "labs.L.strategy_params.accept_cover",
            "must be a number >= 0 (got 'abc')",
        ),
        (
            MINIMAL.replace('name = "L"', 'name = "L"\nstrategy_params.patience_months = 2.5'),
            "labs.L.strategy_params.patience_months",
            "must be a whole number >= 0",
        ),
        (
            MINIMAL.replace('name = "C"', 'name = "C"\nstrategy_params.exclusivity = "total"'),
            "hyperscalers.C.strategy_params.exclusivity",
            "must be one of none, rofr, exclusive",
        ),
        (
            MINIMAL.replace('name = "C"', 'name = "C"\nstrategy_params.loosen_when_short = 1'),
            "hyperscalers.C.strategy_params.loosen_when_short",
            "must be true or false",
        ),
        ('start = "2024-13"\n' + MINIMAL, "start", "pattern"),
        (
            MINIMAL + '[[deals]]\nid = "S"\nkind = "chip_supply"\ninvestor = "C"\ntarget = "L"\n',
            "deals.S.investor",
            "one of the chipmakers",
        ),
        (
            MINIMAL + '[[events]]\nid = "E"\nmonth = "2024-02"\ninvestor = "C"\ntarget = "C"\n',
            "events.E.target",
            "one of the labs",
        ),
        (
            MINIMAL
            + 'enters = "2024-06"\n[[events]]\nid = "E"\nmonth = "2024-02"\ninvestor = "C"\n'
            + 'target = "L"\n',
            "events.E.target",
            "'L' enters in 2024-06, after 2024-02",
        ),
    ],
)
def test_invalid_scenarios_name_file_key_and_reason(tmp_path, capsys, text, key, reason):
    path = write(tmp_path, "bad", text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(f"{path}: {key}:")
    assert reason in message
    assert main(["validate", str(path)]) == 2
    assert capsys.readouterr().err.strip() == f"aimarket: error: {message}"


def test_malformed_toml_and_missing_file(tmp_path):
    with pytest.raises(ScenarioError, match="syntax"):
        load_scenario(write(tmp_path, "broken", "name = "))
    with pytest.raises(ScenarioError, match="no such scenario"):
        load_scenario(tmp_path / "absent.toml")


def test_extends_inherits_and_child_overrides_show(tmp_path):
    write(tmp_path, "parent", "ticks = 10\n" + MINIMAL + "[market]\nusage_units = 2.0\n")
    child = write(
        tmp_path,
        "child",
        'extends = "parent"\nname = "child"\n[[labs]]\nname = "L"\ncash_bn = 99.0\n[[labs]]\nname = "M"\n',
    )
    scenario = load_scenario(child)
    assert scenario.ticks == 10 and scenario.data["market"]["usage_units"] == 2.0
    assert [lab["name"] for lab in scenario.data["labs"]] == ["L", "M"]
    assert scenario.data["labs"][0]["cash_bn"] == 99.0


def test_a_users_scenario_elsewhere_extends_a_shipped_one(tmp_path):
    own = write(
        tmp_path, "mine", 'extends = "baseline"\nname = "mine"\n[market]\nusage_units = 0.5\n'
    )
    scenario = load_scenario(own)
    assert scenario.data["market"]["usage_units"] == 0.5
    assert {h["name"] for h in scenario.data["hyperscalers"]} >= {"AWS", "Microsoft"}
    with pytest.raises(ScenarioError, match="extends: no scenario 'nope'"):
        load_scenario(write(tmp_path, "orphan", 'extends = "nope"\nname = "orphan"\n'))


def test_amazon_openai_extends_baseline_with_the_offer():
    scenario = load_scenario("amazon-openai")
    base = load_scenario("baseline")
    assert scenario.data["hyperscalers"] == base.data["hyperscalers"]
    assert [e["id"] for e in scenario.data["events"]] == ["AMZN-OAI"]


def test_dotted_overrides_address_named_elements():
    scenario = load_scenario("baseline", {"hyperscalers.AWS.capacity_gw": "3.5", "ticks": 12})
    aws = next(h for h in scenario.data["hyperscalers"] if h["name"] == "AWS")
    assert aws["capacity_gw"] == 3.5 and scenario.ticks == 12
    with pytest.raises(ScenarioError, match=r"hyperscalers\.Nobody\.capacity_gw: unknown key"):
        scenario.with_overrides({"hyperscalers.Nobody.capacity_gw": 1})
    with pytest.raises(ScenarioError, match=r"market\.nonsense: unknown key"):
        scenario.with_overrides({"market.nonsense": 1})


def test_every_parameter_documents_its_unit():
    from aimarket import scenario as module

    for model in (
        module.Technology,
        module.Market,
        module.Hyperscaler,
        module.Lab,
        module.Chipmaker,
        module.OpenSource,
        module.Regulator,
        module.DealSpec,
        module.Monopoly,
    ):
        for name, field in model.model_fields.items():
            assert field.description and field.description.startswith("["), (
                f"{model.__name__}.{name}"
            )


def test_content_hash_tracks_content():
    a, b = load_scenario("baseline"), load_scenario("baseline", {"ticks": 12})
    assert a.content_hash == load_scenario("baseline").content_hash != b.content_hash


def test_odd_parameter_tables_are_current():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "gen_params", SCENARIO_DIR.parent / "docs" / "gen_params.py"
    )
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = gen.ODD.read_text(encoding="utf-8")
    assert gen.with_tables(text) == text, "docs/ODD.md is stale: run python docs/gen_params.py"


def test_changing_a_strategy_by_key_resets_its_parameters():
    from aimarket.strategies import plugins

    plugins.load([str(Path(__file__).parent / "plugins" / "steady.py")])
    base = load_scenario("baseline")
    aws = "hyperscalers.AWS"
    assert base.with_overrides({f"{aws}.strategy": "capacity-planner"}).data["hyperscalers"][0][
        "strategy_params"
    ] == {"exclusivity": "rofr", "rd_bn": 0.3}  # same strategy as "default": kept
    swapped = base.with_overrides({f"{aws}.strategy": "test-steady"}).data["hyperscalers"]
    assert swapped[0]["strategy_params"] == {} and swapped[1]["strategy_params"]
    both = base.with_overrides(
        {f"{aws}.strategy": "test-steady", f"{aws}.strategy_params.rd_bn": 1}
    )
    assert both.data["hyperscalers"][0]["strategy_params"] == {"rd_bn": 1}
