"""The shipped scenario library: validity, inheritance, sweeps, calibration record, history."""

from __future__ import annotations

import csv
import importlib.util
import json
import re
from functools import cache
from pathlib import Path

import pytest

from aimarket.batch import plan_design
from aimarket.model import AIMarket
from aimarket.scenario import SCENARIO_DIR, load_scenario, value_at
from aimarket.simulation import simulate

SCENARIOS = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))
TEACHING = {"symmetric"}  # identical firms for tests and teaching: no default sweep
CALIBRATION_DOC = Path(__file__).resolve().parent.parent / "docs" / "calibration.md"
GEN_CALIBRATION = CALIBRATION_DOC.with_name("gen_calibration.py")
DEALS_CSV = Path(__file__).resolve().parents[2] / "shared" / "reference" / "deals.csv"
HISTORY_DEALS = {  # deals.csv id -> month it enters history-2019 (year-precision D004: mid-year)
    "D001": "2019-07",
    "D002": "2020-05",
    "D004": "2021-07",
    "D005": "2023-01",
    "D012": "2023-02",
    "D013": "2023-09",
    "D014": "2023-10",
}


@cache
def scenario(name: str):
    return load_scenario(name)


def test_the_library_holds_the_scenarios_users_start_from():
    expected = {"baseline", "amazon-openai", "history-2019", "strict-regulators"}
    expected |= {"laissez-faire", "open-source-surge", "chip-shortage", "in-house-chips"}
    expected |= {"demand-bust", "symmetric"}
    assert expected <= set(SCENARIOS)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_validates_and_runs_a_few_months(name):
    s = scenario(name)
    assert s.spec.description and s.spec.question
    result = simulate(s, seed=1, ticks=3)
    assert [row["tick"] for row in result.timeseries] == [0, 1, 2]


@pytest.mark.parametrize("name", sorted(set(SCENARIOS) - TEACHING))
def test_every_batch_ready_scenario_declares_a_valid_sweep(name):
    s = scenario(name)
    assert s.sweep, f"{name} has no [sweep]"
    design = plan_design(s)  # every key exists and every value validates
    assert set(design.keys) == set(s.sweep) and len(design) > 1


def test_a_child_inherits_from_baseline_and_its_overrides_show():
    base, child = scenario("baseline"), scenario("open-source-surge")
    key = "open_source.OpenWeights.community_funding_bn_per_month"
    assert value_at(child.data, key) == 1.5 != value_at(base.data, key)
    assert value_at(child.data, "hyperscalers.AWS.capacity_gw") == value_at(
        base.data, "hyperscalers.AWS.capacity_gw"
    )
    strict = scenario("strict-regulators")
    assert {r["strategy"] for r in strict.data["regulators"]} == {"gatekeeper"}
    assert value_at(strict.data, "regulators.EU.gatekeepers") == ["AWS", "Microsoft", "Google"]
    assert strict.sweep != base.sweep  # the sweep describes the child, it is not inherited


def calibration_rows() -> list[tuple[str, str, str, str]]:
    """(scenario, dotted key, value, unit) of every row of the calibrated-parameter tables."""
    row = re.compile(r"^\| ([\w-]+) \| `([^`]+)` \| ([^|]+) \| ([^|]+) \|")
    text = CALIBRATION_DOC.read_text(encoding="utf-8")
    return [m.groups() for line in text.splitlines() if (m := row.match(line))]


def test_calibrated_values_match_the_documented_table():
    rows = calibration_rows()
    assert {r[0] for r in rows} == {"baseline", "history-2019"}
    assert len(rows) > 100
    for name, key, documented, _unit in rows:
        actual = value_at(scenario(name).data, key)
        text = documented.strip()
        if isinstance(actual, str | list):
            assert actual == json.loads(text), (name, key)
        else:
            assert float(actual) == pytest.approx(float(text)), (name, key)


@pytest.mark.skipif(not DEALS_CSV.exists(), reason="reference tables are not beside the repo")
def test_the_calibration_tables_are_generated_from_the_scenario_files():
    """Needs the reference tables (confidence labels come from their rows); the values
    themselves are checked against the scenarios everywhere by the test above."""
    spec = importlib.util.spec_from_file_location("gen_calibration", GEN_CALIBRATION)
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    text = CALIBRATION_DOC.read_text(encoding="utf-8")
    assert "<!-- calibration:begin -->" in text
    assert gen.with_tables(text) == text, (
        "docs/calibration.md is stale: run docs/gen_calibration.py"
    )
    assert gen.confidence_of("deals.csv D012 (0.3-0.55)") == "low"  # the reference row's label
    assert gen.confidence_of("shares.csv market_share/.../Oracle/2022Q4") == "high"
    assert gen.confidence_of("as AWS") == ""


def test_every_calibration_row_names_a_source_or_an_assumption():
    text = CALIBRATION_DOC.read_text(encoding="utf-8")
    for line in text.splitlines():
        if re.match(r"^\| (baseline|history-2019) \| `", line):
            cells = [c.strip() for c in line.strip("|").split("|")]
            source, confidence, assumed = cells[4], cells[5], cells[6]
            assert confidence in {"high", "medium", "low", "fitted", "assumed", "definition"}
            assert source != "-" or assumed != "-", line


@pytest.mark.skipif(not DEALS_CSV.exists(), reason="reference tables are not beside the repo")
def test_history_deal_months_agree_with_the_reference_table():
    with DEALS_CSV.open(encoding="utf-8") as f:
        known = {r["deal_id"]: r["date"] for r in csv.DictReader(f)}
    for deal_id, month in HISTORY_DEALS.items():
        assert known[deal_id].startswith(month[:4]), deal_id


def test_history_2019_places_each_known_deal_at_its_date():
    model = AIMarket(scenario("history-2019"), rng=7)
    while model.date_of(model.tick) < "2024-06":
        model.step()
    signed = {e["deal_id"]: e["date"] for e in model.events.rows if e["kind"] == "signed"}
    active = {e["deal_id"] for e in model.events.rows if e["kind"] == "active"}
    for deal_id, month in HISTORY_DEALS.items():
        assert signed[deal_id] == month, deal_id
        assert deal_id in active, deal_id  # every known deal cleared review
    assert "D003" not in signed  # the GPT-3 licence has no counterpart in the model


def test_history_2019_scripts_nothing_after_2023():
    s = scenario("history-2019")
    assert s.spec.start == "2019-07" and s.ticks >= 12 * 11
    assert all(e.month <= "2023-12" for e in s.spec.events)
    assert all(sh.month <= "2023-12" for sh in s.spec.shocks)
