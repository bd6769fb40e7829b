"""Hypothesis generators of random observations, one per agent type, for the conformance check.

Needs hypothesis (the ``dev`` extra); ``aimarket.strategies.conformance`` imports this module
only when it checks decisions. Observations use three clouds, three labs, two chipmakers and up
to two open-weight projects, with amounts over wide ranges (cash may be negative).
"""

from __future__ import annotations

import dataclasses

from hypothesis import strategies as st

from aimarket.clauses import Exclusivity
from aimarket.strategies.base import (
    CaseFacts,
    ChipmakerObs,
    ClauseInForce,
    DealView,
    HyperscalerObs,
    LabObs,
    OfferView,
    OpenSourceObs,
    PublicInfo,
    RaiseInfo,
    RegulatorObs,
    RulingView,
)

CLOUDS = ("C1", "C2", "C3")
LABS = ("L1", "L2", "L3")
CHIPS = ("K1", "K2")
LAYERS = ("cloud", "models", "chips")

pos = st.floats(0.01, 200.0)
frac = st.floats(0.0, 1.0)
money = st.floats(-5.0, 500.0)
clauses = st.sampled_from(list(Exclusivity))


def _dict(keys: tuple[str, ...], values: st.SearchStrategy) -> st.SearchStrategy:
    return st.fixed_dictionaries({k: values for k in keys})


def _numbered(
    items: st.SearchStrategy, prefix: str, key: str = "deal_id", max_size: int = 4
) -> st.SearchStrategy:
    """Tuples of up to ``max_size`` items whose ``key`` field is ``prefix`` + position."""
    return st.lists(items, max_size=max_size).map(
        lambda xs: tuple(dataclasses.replace(x, **{key: f"{prefix}{i}"}) for i, x in enumerate(xs))
    )


raise_info = st.builds(
    RaiseInfo,
    lab=st.sampled_from(LABS),
    ask_bn=pos,
    valuation_bn=pos,
    capability=st.floats(0.0, 5.0),
    restricted_to=st.one_of(st.just(""), st.sampled_from(CLOUDS)),
    controlled_by=st.one_of(st.just(""), st.sampled_from((*CLOUDS, *CHIPS))),
)


ruling_view = st.builds(
    RulingView,
    tick=st.integers(0, 120),
    regulator=st.sampled_from(("R1", "R2")),
    deal_id=st.just(""),
    investor=st.sampled_from((*CLOUDS, *CHIPS)),
    target=st.sampled_from(LABS),
    kind=st.just("investment"),
    exclusivity=clauses,
    verdict=st.sampled_from(("clear", "remedy", "cap_stake", "access", "block")),
    grounds=st.sampled_from(("", "horizontal", "serial", "vertical", "horizontal+serial")),
    until=st.integers(0, 150),
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
        recent_rulings=tuple(draw(st.lists(ruling_view, max_size=3))),
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
    return _numbered(one, prefix, "id", max_size=3)


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
        revenue_by_lab=draw(st.dictionaries(st.sampled_from(LABS), st.floats(0.0, 5.0))),
        capacity_cost_per_eff_gw=draw(st.floats(0.0, 2.0)),
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
    commit_price=st.floats(0.0, 3.0),
)


@st.composite
def lab_obs(draw) -> LabObs:
    offers = draw(_numbered(offer_view, "O", "id"))
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
        serving_cost_per_unit=draw(pos),
        price_unit_bn=draw(pos),
        shortfall_history=tuple(draw(st.lists(frac, max_size=24))),
        valuation_bn=draw(pos),
        controlled_by=draw(st.sampled_from(("", *CLOUDS))),
        deals=draw(deal_views(CLOUDS, "L1", "D")),
        offers=offers,
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
    pre_mhhi=_dict(LAYERS, st.floats(0.0, 10_000.0)),
    post_mhhi=_dict(LAYERS, st.floats(0.0, 10_000.0)),
    combined_share=_dict(LAYERS, frac),
    gatekeeper_involved=st.booleans(),
    control_before=st.booleans(),
    serial_pre_mhhi=_dict(LAYERS, st.floats(0.0, 10_000.0)),
    serial_post_mhhi=_dict(LAYERS, st.floats(0.0, 10_000.0)),
    serial_deals=st.integers(1, 5),
    upstream_layer=st.sampled_from(("", "cloud", "chips")),
    upstream_share=frac,
    downstream_share=frac,
    foreclosure_gain_bn=st.floats(0.0, 5.0),
    foreclosure_cost_bn=st.floats(0.0, 5.0),
)
clause_in_force = st.builds(
    ClauseInForce,
    deal_id=st.just(""),
    investor=st.sampled_from(CLOUDS),
    target=st.sampled_from(LABS),
    exclusivity=st.sampled_from((Exclusivity.ROFR, Exclusivity.EXCLUSIVE)),
    gatekeeper_involved=st.booleans(),
)


regulator_obs = st.builds(
    RegulatorObs,
    public=public_info(),
    name=st.just("R1"),
    cases_due=_numbered(case_facts, "D"),
    bloc_hhi=st.dictionaries(st.sampled_from(LAYERS), st.floats(0.0, 10_000.0)),
    months_concentrated=st.dictionaries(
        st.sampled_from((*LAYERS, "cloud-models", "chips-cloud")), st.integers(0, 60)
    ),
    clauses=_numbered(clause_in_force, "F"),
    vertical_share=st.dictionaries(st.sampled_from(("cloud-models", "chips-cloud")), frac),
)

OBSERVATIONS = {
    "hyperscaler": hyperscaler_obs(),
    "lab": lab_obs(),
    "chipmaker": chipmaker_obs,
    "open_source": open_source_obs,
    "regulator": regulator_obs,
}
