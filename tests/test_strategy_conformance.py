"""Every registered strategy, present and future: valid, bounded, deterministic decisions on
random observations, and no reach beyond the observation."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import math
import sys
from collections.abc import Mapping
from enum import Enum

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimarket import strategies
from aimarket.deals import Exclusivity
from aimarket.model import AIMarket
from aimarket.strategies import REGISTRY, make
from aimarket.strategies.base import (
    CaseFacts,
    ChipmakerDecision,
    ChipmakerObs,
    ClauseInForce,
    DealView,
    HyperscalerDecision,
    HyperscalerObs,
    LabDecision,
    LabObs,
    OfferView,
    OpenSourceDecision,
    OpenSourceObs,
    Param,
    PublicInfo,
    RaiseInfo,
    RegulatorDecision,
    RegulatorObs,
    Verdict,
)
from tests.conftest import variant

CLOUDS = ("C1", "C2", "C3")
LABS = ("L1", "L2", "L3")
CHIPS = ("K1", "K2")
LAYERS = ("cloud", "models", "chips")
EPS = 1e-9

pos = st.floats(0.01, 200.0)
frac = st.floats(0.0, 1.0)
money = st.floats(-5.0, 500.0)
clauses = st.sampled_from(list(Exclusivity))


def _dict(keys: tuple[str, ...], values: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({k: values for k in keys})


raise_info = st.builds(
    RaiseInfo,
    lab=st.sampled_from(LABS),
    ask_bn=pos,
    valuation_bn=pos,
    capability=st.floats(0.0, 5.0),
    restricted_to=st.one_of(st.just(""), st.sampled_from(CLOUDS)),
    controlled_by=st.one_of(st.just(""), st.sampled_from((*CLOUDS, *CHIPS))),
)


@st.composite
def public_info(draw) -> PublicInfo:
    raising = tuple(draw(st.lists(raise_info, max_size=3, unique_by=lambda r: r.lab)))
    lead = max((r.capability for r in raising), default=0.0)
    return PublicInfo(
        tick=draw(st.integers(0, 120)),
        frontier_capability=lead + draw(st.floats(0.0, 1.5)),
        open_capability=draw(st.floats(-50.0, 5.0)),
        compute_prices=draw(_dict(CLOUDS, pos)),
        chip_prices=draw(_dict(CHIPS, pos)),
        chip_performance=draw(_dict(CHIPS, pos)),
        model_shares=draw(_dict(LABS, frac)),
        cloud_shares=draw(_dict(CLOUDS, frac)),
        raising=raising,
        usage_growth_per_month=draw(st.floats(0.9, 1.2)),
        open_projects=draw(st.sampled_from(((), ("P1",), ("P1", "P2")))),
    )


def deal_views(investors, target, prefix: str) -> st.SearchStrategy:
    one = st.builds(
        DealView,
        id=st.just(""),
        investor=st.sampled_from(investors),
        target=st.just(target) if isinstance(target, str) else st.sampled_from(target),
        exclusivity=clauses,
        commit_gw=st.floats(0.0, 5.0),
        exit_penalty_bn=st.floats(0.0, 20.0),
        months_left=st.integers(0, 60),
        loosen_requested=st.booleans(),
        loosen_refused=st.booleans(),
    )
    return st.lists(one, max_size=3).map(
        lambda ds: tuple(dataclasses.replace(d, id=f"{prefix}{i}") for i, d in enumerate(ds))
    )


@st.composite
def hyperscaler_obs(draw) -> HyperscalerObs:
    deals = draw(deal_views(("C1",), LABS, "D"))
    requests = tuple(d for d in deals if draw(st.booleans()))
    return HyperscalerObs(
        public=draw(public_info()),
        name="C1",
        cash_bn=draw(money),
        capacity_eff_gw=draw(pos),
        capacity_gw=draw(pos),
        pipeline_gw=draw(st.floats(0.0, 10.0)),
        waiting_gw=draw(st.floats(0.0, 10.0)),
        build_lead_months=draw(st.integers(1, 36)),
        keep_per_month=draw(st.floats(0.9, 1.0)),
        efficiency_new=draw(st.floats(0.5, 10.0)),
        demand_history=tuple(draw(st.lists(st.floats(0.0, 50.0), max_size=24))),
        committed_gw=draw(st.floats(0.0, 50.0)),
        price=draw(pos),
        opex_per_eff_gw=draw(st.floats(0.0, 1.0)),
        build_cost_per_gw=draw(st.floats(1.0, 60.0)),
        inhouse_maturity=draw(frac),
        inhouse_cost_per_gw=draw(st.floats(1.0, 60.0)),
        inhouse_capacity_gw=draw(st.floats(0.0, 1.0)),
        inhouse_commit_share=draw(frac),
        backed_labs=tuple(draw(st.lists(st.sampled_from(LABS), max_size=2, unique=True))),
        deals=deals,
        loosen_requests=requests,
        shortfall_by_lab=draw(st.dictionaries(st.sampled_from(LABS), st.floats(0.0, 5.0))),
        holdings_bn=draw(st.floats(0.0, 100.0)),
    )


offer_view = st.builds(
    OfferView,
    id=st.just(""),
    investor=st.sampled_from((*CLOUDS, *CHIPS)),
    investor_type=st.sampled_from(("hyperscaler", "chipmaker")),
    amount_bn=pos,
    credit_share=frac,
    exclusivity=clauses,
    duration_months=st.integers(1, 120),
    exit_penalty_bn=st.floats(0.0, 20.0),
    commit_gw=st.floats(0.0, 5.0),
    inhouse_chip_share=frac,
    stake=frac,
    investor_capacity_eff_gw=st.floats(0.0, 50.0),
    stake_after=frac,
)


@st.composite
def lab_obs(draw) -> LabObs:
    offers = draw(st.lists(offer_view, max_size=4))
    return LabObs(
        public=draw(public_info()),
        name="L1",
        cash_bn=draw(money),
        credits_bn=draw(st.dictionaries(st.sampled_from(CLOUDS), st.floats(0.0, 10.0))),
        capability=draw(st.floats(0.0, 5.0)),
        price=draw(st.floats(0.1, 10.0)),
        usage_share=draw(frac),
        revenue_bn=draw(st.floats(0.0, 10.0)),
        spend_bn=draw(st.floats(0.0, 10.0)),
        staff_cost_bn=draw(st.floats(0.0, 2.0)),
        serving_need_gw=draw(st.floats(0.0, 10.0)),
        training_gw=draw(st.floats(0.0, 10.0)),
        planned_training_gw=draw(st.floats(0.0, 10.0)),
        maintenance_gw=draw(st.floats(0.0, 10.0)),
        expected_compute_price=draw(pos),
        reference_compute_price=draw(pos),
        shortfall_history=tuple(draw(st.lists(frac, max_size=24))),
        valuation_bn=draw(pos),
        controlled_by=draw(st.sampled_from(("", *CLOUDS))),
        deals=draw(deal_views(CLOUDS, "L1", "D")),
        offers=tuple(dataclasses.replace(o, id=f"O{i}") for i, o in enumerate(offers)),
    )


chipmaker_obs = st.builds(
    ChipmakerObs,
    public=public_info(),
    name=st.just("K1"),
    cash_bn=money,
    supply_gw=pos,
    max_supply_growth_per_month=st.floats(1.0, 1.2),
    price=pos,
    unit_cost=pos,
    demand_history=st.lists(st.floats(0.0, 500.0), max_size=24).map(tuple),
    sales_by_cloud=st.dictionaries(st.sampled_from(CLOUDS), st.floats(0.0, 50.0)),
    backed_labs=st.lists(st.sampled_from(LABS), max_size=3, unique=True).map(tuple),
    holdings_bn=st.floats(0.0, 100.0),
)
open_source_obs = st.builds(
    OpenSourceObs,
    public=public_info(),
    name=st.just("P1"),
    cash_bn=money,
    lag_months=st.floats(1.0, 24.0),
    mean_funding_bn=st.floats(0.0, 5.0),
    sponsorship_bn=st.floats(0.0, 5.0),
    min_lag_months=st.floats(0.0, 3.0),
    base_lag_months=st.floats(3.0, 24.0),
    funding_scale_bn_per_month=pos,
)
case_facts = st.builds(
    CaseFacts,
    deal_id=st.just(""),
    investor=st.sampled_from((*CLOUDS, *CHIPS)),
    target=st.sampled_from(LABS),
    amount_bn=pos,
    stake_after=frac,
    exclusivity=clauses,
    tie_by_control=st.booleans(),
    tie_by_clause=st.booleans(),
    pre_hhi=_dict(LAYERS, st.floats(0.0, 10_000.0)),
    post_hhi=_dict(LAYERS, st.floats(0.0, 10_000.0)),
    combined_share=_dict(LAYERS, frac),
    gatekeeper_involved=st.booleans(),
)
clause_in_force = st.builds(
    ClauseInForce,
    deal_id=st.just(""),
    investor=st.sampled_from(CLOUDS),
    target=st.sampled_from(LABS),
    exclusivity=st.sampled_from((Exclusivity.ROFR, Exclusivity.EXCLUSIVE)),
    gatekeeper_involved=st.booleans(),
)


def _numbered(items: st.SearchStrategy, prefix: str) -> st.SearchStrategy:
    return st.lists(items, max_size=4).map(
        lambda xs: tuple(dataclasses.replace(x, deal_id=f"{prefix}{i}") for i, x in enumerate(xs))
    )


regulator_obs = st.builds(
    RegulatorObs,
    public=public_info(),
    name=st.just("R1"),
    cases_due=_numbered(case_facts, "D"),
    bloc_hhi=st.dictionaries(st.sampled_from(LAYERS), st.floats(0.0, 10_000.0)),
    months_concentrated=st.dictionaries(st.sampled_from(LAYERS), st.integers(0, 60)),
    clauses=_numbered(clause_in_force, "F"),
)

OBSERVATIONS = {
    "hyperscaler": hyperscaler_obs(),
    "lab": lab_obs(),
    "chipmaker": chipmaker_obs,
    "open_source": open_source_obs,
    "regulator": regulator_obs,
}
DECISIONS = {
    "hyperscaler": HyperscalerDecision,
    "lab": LabDecision,
    "chipmaker": ChipmakerDecision,
    "open_source": OpenSourceDecision,
    "regulator": RegulatorDecision,
}
ALL = sorted(REGISTRY)


def amount(x: float) -> bool:
    """A finite, non-negative quantity."""
    return isinstance(x, int | float) and math.isfinite(x) and x >= 0


def check_offers(offers, obs, budget: float) -> None:
    raising = {r.lab for r in obs.public.raising}
    total = 0.0
    for o in offers:
        assert o.target in raising, "offers go only to labs that are raising"
        assert amount(o.amount_bn) and amount(o.exit_penalty_bn) and amount(o.commit_gw)
        assert 0 <= o.credit_share <= 1 and 0 <= o.inhouse_chip_share <= 1
        assert o.duration_months >= 1
        total += o.amount_bn
    assert total <= budget + EPS, "offers exceed cash"


def check_hyperscaler(obs: HyperscalerObs, d: HyperscalerDecision) -> None:
    cash = max(obs.cash_bn, 0.0)
    assert amount(d.build_gw) and amount(d.rd_bn)
    assert d.build_gw * obs.build_cost_per_gw <= cash + EPS, "builds more than it can pay"
    assert 0 <= d.inhouse_share <= 1
    assert d.price is None or (math.isfinite(d.price) and d.price > 0)
    assert all(amount(v) for v in d.sponsor_bn.values())
    assert set(d.sponsor_bn) <= set(obs.public.open_projects)
    spent = d.rd_bn + sum(d.sponsor_bn.values())
    check_offers(d.offers, obs, cash - spent)
    free = max(obs.capacity_eff_gw - obs.committed_gw, 0.0)
    assert sum(o.commit_gw for o in d.offers) <= free + EPS, "commits more than its free capacity"
    assert set(d.loosen) <= {r.id for r in obs.loosen_requests}


def check_lab(obs: LabObs, d: LabDecision) -> None:
    assert amount(d.training_budget_bn) and amount(d.raise_bn)
    funds = max(obs.cash_bn, 0.0) + sum(obs.credits_bn.values()) + obs.revenue_bn
    assert d.training_budget_bn <= funds + EPS, "trains beyond cash, credits and revenue"
    assert d.price is None or (math.isfinite(d.price) and d.price > 0)
    assert set(d.accept) <= {o.id for o in obs.offers}
    own = {deal.id for deal in obs.deals}
    assert set(d.request_loosen) <= own and set(d.break_deals) <= own


def check_chipmaker(obs: ChipmakerObs, d: ChipmakerDecision) -> None:
    assert d.price is None or (math.isfinite(d.price) and d.price > 0)
    assert amount(d.expand_gw)
    assert d.expand_gw <= obs.supply_gw * (obs.max_supply_growth_per_month - 1) + EPS
    check_offers(d.offers, obs, max(obs.cash_bn, 0.0))
    assert all(o.exclusivity is Exclusivity.NONE and o.commit_gw == 0 for o in d.offers), (
        "a chipmaker sells no compute: no clause, no compute commitment"
    )
    assert set(d.priority) <= set(obs.public.compute_prices) | set(obs.sales_by_cloud)


def check_open_source(obs: OpenSourceObs, d: OpenSourceDecision) -> None:
    assert amount(d.spend_bn) and d.spend_bn <= max(obs.cash_bn, 0.0) + EPS


def check_regulator(obs: RegulatorObs, d: RegulatorDecision) -> None:
    assert set(d.verdicts) <= {c.deal_id for c in obs.cases_due}
    assert set(d.verdicts.values()) <= {Verdict.CLEAR, Verdict.REMEDY, Verdict.BLOCK}
    assert set(d.investigate) <= set(obs.months_concentrated)
    assert set(d.strip) <= {c.deal_id for c in obs.clauses}


CHECKS = {
    "hyperscaler": check_hyperscaler,
    "lab": check_lab,
    "chipmaker": check_chipmaker,
    "open_source": check_open_source,
    "regulator": check_regulator,
}


@pytest.mark.parametrize(("agent_type", "name"), ALL)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), seed=st.integers(0, 2**32 - 1))
def test_decisions_are_valid_bounded_and_deterministic(agent_type, name, data, seed):
    obs = data.draw(OBSERVATIONS[agent_type])
    first = make(agent_type, name, {}).decide(obs, np.random.default_rng(seed))
    again = make(agent_type, name, {}).decide(obs, np.random.default_rng(seed))
    assert isinstance(first, DECISIONS[agent_type])
    CHECKS[agent_type](obs, first)
    assert first == again, "same observation and seed must give the same decision"


@pytest.mark.parametrize(("agent_type", "name"), ALL)
def test_strategy_is_documented(agent_type, name):
    cls = REGISTRY[(agent_type, name)]
    assert cls.description and "\n" not in cls.description
    assert {"uses", "stochastic", "adaptive"} <= set(cls.classifier)
    assert isinstance(cls.classifier["uses"], list)
    assert isinstance(cls.classifier["stochastic"], bool)
    assert isinstance(cls.classifier["adaptive"], bool)
    for key, param in cls.params.items():
        assert isinstance(param, Param), key
        assert param.unit and param.meaning, f"{name}.{key} needs a unit and a meaning"


FORBIDDEN = ("aimarket.model", "aimarket.agents", "aimarket.regulation", "aimarket.simulation")


@pytest.mark.parametrize(("agent_type", "name"), ALL)
def test_strategy_module_cannot_reach_the_model(agent_type, name):
    module = sys.modules[REGISTRY[(agent_type, name)].__module__]
    imported = set()
    for node in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(node, ast.Import):
            imported |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
            imported |= {f"{node.module}.{a.name}" for a in node.names}
    bad = {m for m in imported if m.startswith(FORBIDDEN) or m.split(".")[0] == "mesa"}
    assert not bad, f"{module.__name__} imports {sorted(bad)}"


class Recorder:
    """Wraps a strategy and keeps every observation it is given."""

    def __init__(self, inner, seen: list) -> None:
        self.inner, self.seen = inner, seen

    def decide(self, obs, rng):
        self.seen.append(obs)
        return self.inner.decide(obs, rng)


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
    for agent in [*model.firms.values(), *model.regulators]:
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
