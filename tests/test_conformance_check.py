"""The strategy conformance check passes every built-in strategy and catches broken ones."""

from __future__ import annotations

import pytest

from aimarket.strategies import REGISTRY, register
from aimarket.strategies.base import LabDecision, OpenSourceDecision, Strategy
from aimarket.strategies.conformance import check

BUILT_IN = sorted(
    (key, cls) for key, cls in REGISTRY.items() if cls.__module__.startswith("aimarket.")
)


@pytest.mark.parametrize(("key", "cls"), BUILT_IN, ids=[f"{t}:{n}" for (t, n), _ in BUILT_IN])
def test_built_in_strategies_conform(key, cls):
    check(cls, ticks=12, seeds=(0,))


class WrongDecision(Strategy):
    name = "test-wrong-decision"
    agent_type = "open_source"
    description = "returns a lab's decision"

    def decide(self, obs, rng):
        return LabDecision()


class Unseeded(Strategy):
    name = "test-unseeded"
    agent_type = "open_source"
    description = "draws from its own unseeded generator"

    def __init__(self, **params):
        super().__init__(**params)
        import numpy as np

        self.own = np.random.default_rng()

    def decide(self, obs, rng):
        return OpenSourceDecision(spend_bn=float(self.own.uniform(0, obs.cash_bn)))


@pytest.fixture
def broken_strategies():
    """Register the broken strategies for one test only (the registry is global)."""
    for cls in (WrongDecision, Unseeded):
        register(cls)
    yield
    for cls in (WrongDecision, Unseeded):
        del REGISTRY[(cls.agent_type, cls.name)]


@pytest.mark.usefixtures("broken_strategies")
def test_a_wrong_decision_type_and_hidden_randomness_fail():
    with pytest.raises(AssertionError, match="not OpenSourceDecision"):
        check(WrongDecision, ticks=3)
    with pytest.raises(AssertionError, match="not deterministic"):
        check(Unseeded, ticks=12)
    assert WrongDecision.decide is WrongDecision.__dict__["decide"]  # restored after the check
