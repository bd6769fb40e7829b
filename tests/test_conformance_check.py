"""The strategy conformance check catches broken strategies (built-ins are checked in
test_strategy_conformance)."""

from __future__ import annotations

import sys

import pytest

from aimarket.strategies import REGISTRY, plugins, register
from aimarket.strategies.base import LabDecision, OpenSourceDecision, Strategy
from aimarket.strategies.conformance import check, check_decisions, check_isolation


class WrongDecision(Strategy):
    name = "test-wrong-decision"
    agent_type = "open_source"
    description = "returns a lab's decision"
    classifier = {"uses": [], "stochastic": False, "adaptive": False}

    def decide(self, obs, rng):
        return LabDecision()


class Unseeded(Strategy):
    name = "test-unseeded"
    agent_type = "open_source"
    description = "draws from its own unseeded generator"
    classifier = {"uses": ["own cash"], "stochastic": True, "adaptive": False}

    def __init__(self, **params):
        super().__init__(**params)
        import numpy as np

        self.own = np.random.default_rng()

    def decide(self, obs, rng):
        return OpenSourceDecision(spend_bn=float(self.own.uniform(0, 1)) * max(obs.cash_bn, 0))


class Overspender(Strategy):
    name = "test-overspender"
    agent_type = "open_source"
    description = "spends one USD bn more than its cash"
    classifier = {"uses": ["own cash"], "stochastic": False, "adaptive": False}

    def decide(self, obs, rng):
        return OpenSourceDecision(spend_bn=max(obs.cash_bn, 0) + 1)


BROKEN = (WrongDecision, Unseeded, Overspender)


@pytest.fixture
def broken_strategies():
    """Register the broken strategies for one test only (the registry is global)."""
    for cls in BROKEN:
        register(cls)
    yield
    for cls in BROKEN:
        del REGISTRY[(cls.agent_type, cls.name)]


@pytest.mark.usefixtures("broken_strategies")
def test_a_wrong_decision_type_and_hidden_randomness_fail():
    with pytest.raises(AssertionError, match="not OpenSourceDecision"):
        check(WrongDecision, ticks=3)
    with pytest.raises(AssertionError, match="not deterministic"):
        check(Unseeded, ticks=12)
    assert WrongDecision.decide is WrongDecision.__dict__["decide"]  # restored after the check


@pytest.mark.usefixtures("broken_strategies")
def test_spending_beyond_cash_and_a_missing_classifier_fail(monkeypatch):
    with pytest.raises(AssertionError, match="spends beyond its cash"):
        check(Overspender)
    monkeypatch.setattr(Overspender, "classifier", {"uses": "cash"})
    with pytest.raises(AssertionError, match="classifier"):
        check(Overspender)


def test_a_strategy_module_importing_the_model_fails(tmp_path):
    plugin = tmp_path / "peeker.py"
    plugin.write_text(
        "from aimarket.model import AIMarket\n"
        "from aimarket.strategies import register\n"
        "from aimarket.strategies.base import OpenSourceDecision, Strategy\n"
        "@register\n"
        "class Peeker(Strategy):\n"
        "    name = 'test-peeker'\n"
        "    agent_type = 'open_source'\n"
        "    description = 'imports the model'\n"
        "    def decide(self, obs, rng):\n"
        "        return OpenSourceDecision()\n"
    )
    plugins.load([str(plugin)])
    try:
        with pytest.raises(AssertionError, match=r"imports \['aimarket.model"):
            check_isolation(REGISTRY[("open_source", "test-peeker")])
    finally:
        del REGISTRY[("open_source", "test-peeker")]


def test_the_decision_check_without_hypothesis_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "hypothesis", None)
    with pytest.raises(
        ModuleNotFoundError, match=r"needs hypothesis: pip install 'aimarket\[dev\]'"
    ):
        check_decisions(WrongDecision)
