"""Typed strategy parameters: every declared bound is enforced, and nothing else is refused."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimarket.cli import main
from aimarket.strategies import REGISTRY, make
from aimarket.strategies.base import Param, ParamError, Strategy
from aimarket.strategies.conformance import check_metadata

BUILT_IN = [c for c in REGISTRY.values() if c.__module__.startswith("aimarket.strategies.")]
NUMERIC = [
    (cls, key, p) for cls in BUILT_IN for key, p in cls.params.items() if p.type in (int, float)
]


def inside(p: Param, x: float) -> bool:
    return (
        math.isfinite(x)
        and (p.ge is None or x >= p.ge)
        and (p.gt is None or x > p.gt)
        and (p.le is None or x <= p.le)
        and (p.lt is None or x < p.lt)
    )


@pytest.mark.parametrize(("cls", "key", "p"), NUMERIC, ids=lambda x: getattr(x, "name", str(x)))
@settings(max_examples=30)
@given(x=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-(10**6), 10**6)))
def test_a_number_is_accepted_exactly_within_its_bounds(cls, key, p, x):
    if p.type is int and isinstance(x, float):
        with pytest.raises(ParamError):
            make(cls.agent_type, cls.name, {key: x})
        return
    if inside(p, x):
        assert make(cls.agent_type, cls.name, {key: x}).p[key] == x
    else:
        with pytest.raises(ParamError) as err:
            make(cls.agent_type, cls.name, {key: x})
        assert err.value.key == key and p.describe() in str(err.value)


@pytest.mark.parametrize("value", [True, "abc", "1", [1.0], None])
def test_numbers_refuse_booleans_text_and_lists(value):
    with pytest.raises(ParamError, match="must be a number >= 0"):
        make("lab", "balanced", {"accept_cover": value})


def test_every_default_is_within_its_own_bounds():
    for cls in BUILT_IN:
        check_metadata(cls)


def test_conformance_refuses_a_default_outside_its_bounds():
    class Bad(Strategy):
        name = "bad"
        agent_type = "lab"
        description = "d"
        classifier = {"uses": [], "stochastic": False, "adaptive": False}
        params = {"x": Param(-1.0, "u", "m", ge=0)}

    REGISTRY[("lab", "bad")] = Bad
    try:
        with pytest.raises(AssertionError, match=r"param x: default -1\.0 must be a number >= 0"):
            check_metadata(Bad)
    finally:
        del REGISTRY[("lab", "bad")]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["run", "baseline", "--set", "labs.OpenAI.strategy_params.accept_cover=-5"],
            "labs.OpenAI.strategy_params.accept_cover: must be a number >= 0 (got -5)",
        ),
        (
            ["batch", "baseline", "--sweep", "labs.OpenAI.strategy_params.credit_discount=0.1,2"],
            "labs.OpenAI.strategy_params.credit_discount: must be a number in [0, 1] (got 2)",
        ),
        (
            [
                "run",
                "baseline",
                "--set",
                "hyperscalers.AWS.strategy=roth-erev",
                "--set",
                "hyperscalers.AWS.strategy_params.menu=['capacity-planner:max_labs=-1']",
            ],
            "strategy_params.menu: strategy 'roth-erev': max_labs: must be a whole number >= 0",
        ),
    ],
)
def test_set_sweep_and_menus_refuse_out_of_bounds_values(tmp_path, capsys, args, message):
    assert main([*args, "--out", str(tmp_path / "out")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
