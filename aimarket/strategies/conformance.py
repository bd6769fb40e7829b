"""Conformance check for one strategy class, built in or a user's: ``check(cls)``.

It checks the metadata (registered under its name, a one-line description, a classifier, every
parameter a ``Param`` with unit and meaning) and then runs a scenario in which every agent of the
strategy's type plays it with its defaults: each decision must be of the type's decision class,
money must be conserved every month, and the same seed must give the same outcome. A failure
raises ``AssertionError`` naming the property.
"""

from __future__ import annotations

import json

import numpy as np

from aimarket.scenario import AGENT_GROUPS, load_scenario
from aimarket.strategies import REGISTRY
from aimarket.strategies import base as b

DECISIONS = {
    "hyperscaler": b.HyperscalerDecision,
    "lab": b.LabDecision,
    "chipmaker": b.ChipmakerDecision,
    "open_source": b.OpenSourceDecision,
    "regulator": b.RegulatorDecision,
}


def check(
    cls: type[b.Strategy],
    scenario: str | None = None,
    ticks: int = 24,
    seeds: tuple[int, ...] = (0, 1),
) -> None:
    """Check ``cls`` (see the module docstring) over ``ticks`` months of ``scenario`` (default:
    ``symmetric``, or ``baseline`` when that has no agent of the type) for each seed."""
    from aimarket.model import AIMarket

    kind = cls.agent_type
    assert REGISTRY.get((kind, cls.name)) is cls, f"{cls.__name__}: not registered as {cls.name!r}"
    assert cls.description and "\n" not in cls.description, "description: one line needed"
    assert isinstance(cls.classifier, dict), "classifier: a dict of metadata needed"
    for key, param in cls.params.items():
        assert isinstance(param, b.Param), f"param {key}: not a Param"
        assert param.unit and param.meaning, f"param {key}: unit and meaning needed"
    group = next(g for g, t in AGENT_GROUPS.items() if t == kind)
    scen = load_scenario(scenario or "symmetric")
    if scenario is None and not scen.data[group]:
        scen = load_scenario("baseline")
    names = [a["name"] for a in scen.data[group]]
    assert names, f"{scen.name}: no {kind} agent to play {cls.name!r}"
    scen = scen.with_overrides({f"{group}.{n}.strategy": cls.name for n in names})
    original = cls.decide

    def decide(self: b.Strategy, obs: object, rng: np.random.Generator) -> object:
        decision = original(self, obs, rng)
        expected = DECISIONS[kind]
        assert isinstance(decision, expected), (
            f"{cls.name}: decide returned {type(decision).__name__}, not {expected.__name__}"
        )
        return decision

    cls.decide = decide  # type: ignore[method-assign]
    try:
        for seed in seeds:
            outcomes = []
            for _ in range(2):
                model = AIMarket(scen, rng=seed)
                total = model.ledger.total()
                for _ in range(ticks):
                    model.step()
                    drift = abs(model.ledger.total() - total)
                    assert drift < 1e-6 * max(1.0, abs(total)), f"money not conserved ({drift})"
                outcomes.append(json.dumps(model.outcome(), sort_keys=True, default=str))
            assert outcomes[0] == outcomes[1], f"seed {seed}: two runs differ (not deterministic)"
    finally:
        cls.decide = original  # type: ignore[method-assign]
