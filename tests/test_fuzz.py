"""Fuzzing: mutated scenario files and `--set` values end in exit 0 with strict, finite outputs,
or exit 2 with a one-line message and nothing written. Never a traceback."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimarket.cli import main

BASE: dict = {
    "name": "fuzz",
    "start": "2024-01",
    "ticks": 24,
    "market": {"usage_units": 0.3, "demand_growth_per_year": 3.0},
    "technology": {"research_noise": 0.3},
    "hyperscalers": [
        {"name": "A", "cash_bn": 50.0, "capacity_gw": 1.0},
        {"name": "B", "cash_bn": 50.0, "strategy": "exclusive-seeker"},
    ],
    "labs": [
        {"name": "L", "cash_bn": 5.0, "strategy_params": {"exclusivity_aversion": 0.3}},
        {"name": "M", "cash_bn": 5.0, "enters": "2024-06", "cap_table": {"A": 0.1}},
    ],
    "chipmakers": [{"name": "N", "supply_gw_per_month": 0.2}],
    "open_source": [{"name": "O"}],
    "regulators": [{"name": "R", "strategy": "gatekeeper", "gatekeepers": ["A"]}],
    "deals": [
        {"id": "D", "investor": "A", "target": "L", "amount_bn": 1.0, "start": "2023-06"},
    ],
    "events": [
        {"id": "E", "month": "2024-03", "investor": "B", "target": "L", "amount_bn": 2.0},
    ],
    "shocks": [{"month": "2024-04", "set": {"market.demand_growth_per_year": 2.0}}],
    "sweep": {"market.usage_units": [0.2, 0.4]},
}
HOSTILE = [
    math.nan, math.inf, -math.inf, -1, 0, -1.5, 1e308, 10**30, True, False, "abc", "", [], {},
    "2023-13", "1999-01", "2100-01", "suppliers", "credit:A", "A@B", "A", "L", "../../x",
    [[[[[[[[[1]]]]]]]]], {"x": {"y": 1}}, [1, "a"], "default", "roth-erev",
]  # fmt: skip


def toml(value: object) -> str:
    """Any of the mutated values as TOML (inline tables and arrays)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {toml(v)}" for k, v in value.items()) + "}"


def paths(node: object, prefix: tuple = ()) -> list[tuple]:
    """Every path into ``node`` (tables, arrays and leaves)."""
    out = [prefix] if prefix else []
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in items:
        out += paths(child, (*prefix, key))
    return out


PATHS = paths(BASE)


def mutate(data: dict, path: tuple, value: object) -> dict:
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = copy.deepcopy(value)
    return data


def assert_strict_and_finite(out: Path) -> None:
    def refuse(constant: str) -> None:
        raise AssertionError(f"{constant} in summary.json")

    json.loads((out / "summary.json").read_text(), parse_constant=refuse)
    for table in ("timeseries", "agents", "ledger"):
        data = pq.read_table(out / f"{table}.parquet")
        for name, column in zip(data.column_names, data.columns, strict=True):
            if column.type in ("double", "float"):
                assert not pc.any(pc.is_nan(column)).as_py(), f"{table}.{name}: NaN"
                assert not pc.any(pc.is_inf(column)).as_py(), f"{table}.{name}: infinite"


def outcome(tmp: Path, args: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    out = tmp / "out"
    code = main([*args, "--ticks", "3", "--out", str(out)])
    err = capsys.readouterr().err
    assert code in (0, 2), err
    if code == 0:
        assert_strict_and_finite(out)
    else:
        assert err.count("\n") == 1 and err.startswith("aimarket: error: "), err
        assert not out.exists()
    return code, err


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(PATHS), st.sampled_from(HOSTILE)), min_size=1, max_size=2
    ),
    copy_element=st.booleans(),
)
def test_mutated_scenario_files(tmp_path_factory, capsys, mutations, copy_element):
    data = BASE
    if copy_element:  # a duplicated named element (agents, deals) or shock
        data = mutate(data, ("labs",), [*BASE["labs"], BASE["labs"][0]])
    for path, value in mutations:
        try:
            data = mutate(data, path, value)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed the path
    tmp = tmp_path_factory.mktemp("fuzz")
    path = tmp / "s.toml"
    path.write_text("".join(f"{json.dumps(k)} = {toml(v)}\n" for k, v in data.items()))
    validated = main(["validate", str(path)])
    err = capsys.readouterr().err
    assert validated in (0, 2) and (validated == 0 or err.count("\n") == 1), err
    code, err = outcome(tmp, ["run", str(path)], capsys)
    if validated == 0 and code == 2:
        assert "mechanism" in err or "infinite" in err, f"validate said ok, run refused: {err}"


SET_KEYS = [
    "market.usage_units", "market.demand_growth_per_year", "market.cloud_price_sensitivity",
    "hyperscalers.AWS.capacity_gw", "hyperscalers.AWS.cash_bn", "hyperscalers.AWS.strategy",
    "labs.OpenAI.strategy_params.exclusivity_aversion", "labs.OpenAI.enters", "ticks", "start",
    "name", "regulators.US.gatekeepers", "deals.D005.start", "technology.research_noise",
]  # fmt: skip
SET_VALUES = [
    "nan", "inf", "-inf", "-1", "0", "1e308", "true", "abc", '""', "[]", "{}", "2023-13",
    '"1999-01"', '"2100-01"', "750", "1e-300", '["nobody"]', '"../../x"', "10000000000000000000",
]  # fmt: skip


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(key=st.sampled_from(SET_KEYS), value=st.sampled_from(SET_VALUES))
def test_hostile_set_values(tmp_path_factory, capsys, key, value):
    outcome(tmp_path_factory.mktemp("set"), ["run", "baseline", "--set", f"{key}={value}"], capsys)
