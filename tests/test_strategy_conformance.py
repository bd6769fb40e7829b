"""Every registered strategy, present and future, passes the conformance check
(``aimarket.strategies.conformance``: metadata, isolation, random observations, a scenario)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum

import pytest

from aimarket import strategies
from aimarket.model import AIMarket
from aimarket.strategies import REGISTRY
from aimarket.strategies.base import (
    ChipmakerObs,
    HyperscalerObs,
    LabObs,
    OpenSourceObs,
    RegulatorObs,
)
from aimarket.strategies.conformance import check
from tests.conftest import variant

ALL = sorted(REGISTRY)


@pytest.mark.parametrize(("agent_type", "name"), ALL)
def test_strategy_conforms(agent_type, name):
    check(REGISTRY[(agent_type, name)], ticks=12, seeds=(0,))


class Recorder:
    """Wraps a strategy and keeps every observation it is given."""

    def __init__(self, inner, seen: list) -> None:
        self.inner, self.seen = inner, seen

    def decide(self, obs, rng):
        self.seen.append(obs)
        return self.inner.decide(obs, rng)

    def announcements(self):
        return self.inner.announcements()


def _plain(value, path: str) -> None:
    """Observations hold only frozen dataclasses, tuples, dicts and scalars: no live objects."""
    if dataclasses.is_dataclass(value):
        assert type(value).__dataclass_params__.frozen, f"{path}: {type(value).__name__} mutable"
        for f in dataclasses.fields(value):
            _plain(getattr(value, f.name), f"{path}.{f.name}")
    elif isinstance(value, tuple):
        for i, item in enumerate(value):
            _plain(item, f"{path}[{i}]")
    elif isinstance(value, Mapping):
        for k, item in value.items():
            assert isinstance(k, str), path
            _plain(item, f"{path}[{k}]")
    else:
        assert isinstance(value, bool | int | float | str | Enum), f"{path}: {type(value)}"


def test_observations_handed_out_by_the_model_hold_no_live_objects(symmetric):
    project = {"name": "Open", "cash_bn": 0.5}
    model = AIMarket(variant(symmetric, open_source=[project]), rng=0)
    seen: list = []
    for agent in [*model.firms.values(), *model.ctx.regulators]:
        agent.strategy = Recorder(agent.strategy, seen)
    for _ in range(3):
        model.step()
    kinds = {type(obs) for obs in seen}
    assert kinds == {HyperscalerObs, LabObs, ChipmakerObs, OpenSourceObs, RegulatorObs}
    for obs in seen:
        _plain(obs, type(obs).__name__)
        with pytest.raises(TypeError):  # shared by every agent: no strategy may alter it
            obs.public.compute_prices["CloudA"] = 0.0


def test_every_agent_type_has_a_learner_and_three_built_ins():
    for agent_type in strategies.AGENT_TYPES:
        assert "roth-erev" in strategies.names(agent_type)
        assert len(strategies.names(agent_type)) >= 4
