"""Conformance check for one strategy class, built in or a user's: ``check(cls)``.

Four parts, each a function raising ``AssertionError`` naming the property that fails:

- ``check_metadata``: registered under its name, a one-line description, a classifier
  (``uses``: list, ``stochastic``, ``adaptive``: bool), every parameter a ``Param`` with unit,
  meaning, a supported type and a default within its bounds.
- ``check_isolation``: the strategy's module imports neither the model, agent, regulation nor
  simulation modules, nor Mesa (the observation is the boundary of what it may know).
- ``check_decisions``: on random observations (hypothesis, the ``dev`` extra), each decision is
  of the type's decision class, amounts are finite and non-negative, spending stays within cash
  (and credits and revenue for labs), committed compute within free capacity, offers go only to
  raising labs, answers name only the offers, deals, requests and cases given, and the same
  observation and seed give the same decision.
- ``check_in_scenario``: every agent of the type plays the strategy in a scenario; each decision
  has the right class, money is conserved every month and the same seed gives the same outcome.
"""

from __future__ import annotations

import ast
import inspect
import json
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from aimarket.clauses import Exclusivity
from aimarket.scenario import AGENT_GROUPS, load_scenario
from aimarket.strategies import base as b
from aimarket.strategies.registry import REGISTRY

DECISIONS = {
    "hyperscaler": b.HyperscalerDecision,
    "lab": b.LabDecision,
    "chipmaker": b.ChipmakerDecision,
    "open_source": b.OpenSourceDecision,
    "regulator": b.RegulatorDecision,
}
FORBIDDEN = ("aimarket.model", "aimarket.agents", "aimarket.regulation", "aimarket.simulation")
EPS = 1e-9  # USD bn, eff-GW: rounding tolerance of the bounds


def check(
    cls: type[b.Strategy],
    scenario: str | None = None,
    ticks: int = 24,
    seeds: tuple[int, ...] = (0, 1),
    examples: int = 25,
) -> None:
    """All four checks of the module docstring: ``examples`` random observations, then
    ``ticks`` months of ``scenario`` (see ``check_in_scenario``) for each seed."""
    check_metadata(cls)
    check_isolation(cls)
    check_decisions(cls, examples)
    check_in_scenario(cls, scenario, ticks, seeds)


def check_metadata(cls: type[b.Strategy]) -> None:
    """Registered, described and classified; parameters with units, meanings, types, bounds."""
    assert REGISTRY.get((cls.agent_type, cls.name)) is cls, (
        f"{cls.__name__}: not registered as {cls.name!r}"
    )
    assert cls.description and "\n" not in cls.description, "description: one line needed"
    c = cls.classifier
    assert isinstance(c, dict) and {"uses", "stochastic", "adaptive"} <= set(c), (
        "classifier: a dict with uses, stochastic and adaptive needed"
    )
    assert isinstance(c["uses"], list), "classifier: uses must be a list"
    assert isinstance(c["stochastic"], bool) and isinstance(c["adaptive"], bool), (
        "classifier: stochastic and adaptive must be bool"
    )
    for key, param in cls.params.items():
        assert isinstance(param, b.Param), f"param {key}: not a Param"
        assert param.unit and param.meaning, f"param {key}: unit and meaning needed"
        assert param.type in (bool, int, float, str, list), f"param {key}: unsupported type"
        try:
            param.validate(param.default)
        except ValueError as err:
            raise AssertionError(f"param {key}: default {param.default!r} {err}") from None


def check_isolation(cls: type[b.Strategy]) -> None:
    """The strategy's module imports nothing that reaches the model or Mesa."""
    module = sys.modules[cls.__module__]
    imported = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported |= {f"{node.module}.{a.name}" for a in node.names}
    bad = {m for m in imported if m.startswith(FORBIDDEN) or m.split(".")[0] == "mesa"}
    assert not bad, f"{module.__name__} imports {sorted(bad)}"


def check_decisions(cls: type[b.Strategy], examples: int = 25) -> None:
    """Valid, bounded, deterministic decisions on ``examples`` random observations."""
    try:
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        from aimarket.strategies.observations import OBSERVATIONS
    except ModuleNotFoundError as e:
        if e.name != "hypothesis":
            raise
        raise ModuleNotFoundError(
            "the decision check needs hypothesis: pip install 'aimarket[dev]'", name=e.name
        ) from None
    kind = cls.agent_type

    @settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(obs=OBSERVATIONS[kind], seed=st.integers(0, 2**32 - 1))
    def decides_validly(obs: Any, seed: int) -> None:
        first = cls().decide(obs, np.random.default_rng(seed))
        again = cls().decide(obs, np.random.default_rng(seed))
        _assert_type(cls, first)
        BOUNDS[kind](obs, first)
        assert first == again, "not deterministic: same observation and seed, other decision"

    decides_validly()


def check_in_scenario(
    cls: type[b.Strategy],
    scenario: str | None = None,
    ticks: int = 24,
    seeds: tuple[int, ...] = (0, 1),
) -> None:
    """Every agent of the type plays ``cls`` for ``ticks`` months of ``scenario`` (default:
    ``symmetric``, or ``baseline`` when that has no agent of the type), twice per seed."""
    from aimarket.model import AIMarket

    kind = cls.agent_type
    group = next(g for g, t in AGENT_GROUPS.items() if t == kind)
    scen = load_scenario(scenario or "symmetric")
    if scenario is None and not scen.data[group]:
        scen = load_scenario("baseline")
    names = [a["name"] for a in scen.data[group]]
    assert names, f"{scen.name}: no {kind} agent to play {cls.name!r}"
    scen = scen.with_overrides({f"{group}.{n}.strategy": cls.name for n in names})
    original = cls.decide

    def decide(self: b.Strategy, obs: object, rng: np.random.Generator) -> object:
        return _assert_type(cls, original(self, obs, rng))

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


def _assert_type(cls: type[b.Strategy], decision: object) -> object:
    expected = DECISIONS[cls.agent_type]
    assert isinstance(decision, expected), (
        f"{cls.name}: decide returned {type(decision).__name__}, not {expected.__name__}"
    )
    return decision


def _amount(x: object) -> bool:
    """A finite, non-negative quantity."""
    return isinstance(x, int | float) and math.isfinite(x) and x >= 0


def _price(p: float | None) -> bool:
    """No change (None) or a finite positive price."""
    return p is None or (math.isfinite(p) and p > 0)


def _offers(offers: Iterable[b.OfferTerms], obs: Any, budget: float) -> None:
    raising = {r.lab for r in obs.public.raising}
    total = 0.0
    for o in offers:
        assert o.target in raising, "offers go only to labs that are raising"
        assert _amount(o.amount_bn) and _amount(o.exit_penalty_bn) and _amount(o.commit_gw), (
            "offer amounts must be finite and non-negative"
        )
        assert 0 <= o.credit_share <= 1 and 0 <= o.inhouse_chip_share <= 1, "shares in [0, 1]"
        assert o.duration_months >= 1, "offer lasts at least a month"
        total += o.amount_bn
    assert total <= budget + EPS, "offers exceed cash"


def _hyperscaler(obs: b.HyperscalerObs, d: b.HyperscalerDecision) -> None:
    cash = max(obs.cash_bn, 0.0)
    assert _amount(d.build_gw) and _amount(d.rd_bn), "build and R&D: finite, non-negative"
    assert d.build_gw * obs.build_cost_per_gw <= cash + EPS, "builds more than it can pay"
    assert 0 <= d.inhouse_share <= 1, "in-house share in [0, 1]"
    assert d.price is None or _amount(d.price), "reserve price: None or finite, non-negative"
    assert all(_amount(v) for v in d.sponsor_bn.values()), "sponsorship: finite, non-negative"
    assert set(d.sponsor_bn) <= set(obs.public.open_projects), "sponsors an unknown project"
    spent = d.rd_bn + sum(d.sponsor_bn.values())
    _offers(d.offers, obs, cash - spent)
    free = max(obs.capacity_eff_gw - obs.committed_gw, 0.0)
    assert sum(o.commit_gw for o in d.offers) <= free + EPS, "commits more than its free capacity"
    assert set(d.loosen) <= {r.id for r in obs.loosen_requests}, "answers an unknown request"
    assert all(_amount(v) for v in d.match_bn.values()), "match limits: finite, non-negative"
    assert set(d.match_bn) <= {deal.target for deal in obs.deals}, "matches for an unknown lab"


def _lab(obs: b.LabObs, d: b.LabDecision) -> None:
    assert _amount(d.training_budget_bn) and _amount(d.raise_bn), "amounts: finite, non-negative"
    funds = max(obs.cash_bn, 0.0) + sum(obs.credits_bn.values()) + obs.revenue_bn
    assert d.training_budget_bn <= funds + EPS, "trains beyond cash, credits and revenue"
    assert _price(d.price), "price: None or finite and positive"
    assert set(d.accept) <= {o.id for o in obs.offers}, "accepts an unknown offer"
    assert set(d.surplus_bn) <= set(d.accept), "values an offer it does not accept"
    assert all(math.isfinite(v) for v in d.surplus_bn.values()), "offer values: finite"
    own = {deal.id for deal in obs.deals}
    assert set(d.request_loosen) <= own and set(d.break_deals) <= own, "names an unknown deal"


def _chipmaker(obs: b.ChipmakerObs, d: b.ChipmakerDecision) -> None:
    assert _price(d.price), "price: None or finite and positive"
    assert _amount(d.expand_gw), "expansion: finite, non-negative"
    assert d.expand_gw <= obs.supply_gw * (obs.max_supply_growth_per_month - 1) + EPS, (
        "expands faster than its maximum supply growth"
    )
    _offers(d.offers, obs, max(obs.cash_bn, 0.0))
    assert all(o.exclusivity is Exclusivity.NONE and o.commit_gw == 0 for o in d.offers), (
        "a chipmaker sells no compute: no clause, no compute commitment"
    )
    assert set(d.priority) <= set(obs.public.compute_prices) | set(obs.sales_by_cloud), (
        "prioritises an unknown cloud"
    )


def _open_source(obs: b.OpenSourceObs, d: b.OpenSourceDecision) -> None:
    assert _amount(d.spend_bn) and d.spend_bn <= max(obs.cash_bn, 0.0) + EPS, (
        "spends beyond its cash"
    )


def _regulator(obs: b.RegulatorObs, d: b.RegulatorDecision) -> None:
    assert set(d.verdicts) <= {c.deal_id for c in obs.cases_due}, "rules on a case not due"
    known = {b.Verdict.CLEAR, b.Verdict.BLOCK, *b.Verdict.REMEDIES}
    assert set(d.verdicts.values()) <= known, "unknown verdict"
    assert set(d.grounds) <= set(d.verdicts), "grounds for a case it does not rule on"
    assert set(d.investigate) <= set(obs.months_concentrated), "investigates an unknown layer"
    assert set(d.strip) <= {c.deal_id for c in obs.clauses}, "strips an unknown clause"


BOUNDS: dict[str, Callable[[Any, Any], None]] = {
    "hyperscaler": _hyperscaler,
    "lab": _lab,
    "chipmaker": _chipmaker,
    "open_source": _open_source,
    "regulator": _regulator,
}
