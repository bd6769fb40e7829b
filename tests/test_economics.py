"""Economic mechanisms: demand and surplus in dollars, valuations from cash flows, and labs that
weigh a rival's offer against the clause they would break."""

from __future__ import annotations

import dataclasses
import itertools
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aimarket.clauses import Exclusivity
from aimarket.deals import Cause
from aimarket.markets import MarketState, bargaining, capital, compute, models
from aimarket.model import AIMarket
from aimarket.scenario import Market, load_scenario
from aimarket.strategies import make
from aimarket.strategies.base import LabDecision, OfferTerms
from tests.conftest import variant
from tests.test_strategies_behaviour import deal, lab_obs, offer

RNG = np.random.default_rng(0)


@settings(max_examples=200, deadline=None)
@given(
    caps=st.lists(st.floats(-2, 4), min_size=1, max_size=5),
    prices=st.lists(st.floats(0.01, 20), min_size=5, max_size=5),
    which=st.integers(0, 4),
    cut=st.floats(0.0, 0.99),
    open_capability=st.floats(-50, 4),
)
def test_a_price_cut_never_lowers_consumer_surplus(caps, prices, which, cut, open_capability):
    prices = np.array(prices[: len(caps)])
    which %= len(caps)
    args = (open_capability, 1.3, -1.0, 2.0, 2.0)
    _, _, before = models.model_choice(np.array(caps), prices, *args)
    cheaper = prices.copy()
    cheaper[which] *= 1 - cut
    shares, _, after = models.model_choice(np.array(caps), cheaper, *args)
    assert after >= before - 1e-12
    assert np.all(np.isfinite(shares))


def _market_clear(reference_price: float, lab_prices: list[float]):
    spec = SimpleNamespace(
        market=Market(),
        technology=SimpleNamespace(prehistory_frontier_growth_oom_per_month=0.0),
    )
    world = SimpleNamespace(spec=spec, tick=0, usage_units=2.0, inference_multiplier=1.0)
    labs = [SimpleNamespace(capability=2.0, price=p, usage_share=0.0) for p in lab_prices]
    state = MarketState(start_price=1.0, price_unit=1.0, reference_price=1.0)
    need = models.clear(state, labs, [], world, reference_price)
    return state, need, labs


def test_consumer_surplus_is_in_dollars_not_in_compute_cost_units():
    # Without open-weight models, users' surplus at given USD prices does not depend on what
    # compute costs (it used to halve with the compute price).
    dear, _, _ = _market_clear(2.0, [1.5, 2.0])
    cheap, _, _ = _market_clear(1.0, [1.5, 2.0])
    assert cheap.consumer_surplus == pytest.approx(dear.consumer_surplus)
    assert cheap.unit_cost == pytest.approx(dear.unit_cost / 2)
    lower, _, _ = _market_clear(2.0, [1.0, 2.0])
    assert lower.consumer_surplus > dear.consumer_surplus


def test_the_leading_labs_dollar_revenue_grows_with_the_market_over_two_years():
    model = AIMarket("baseline", rng=1)
    revenue, usage = [], []  # USD bn/month by lab; usage units
    for _ in range(24):
        model.step()
        revenue.append({lab.name: lab.revenue for lab in model.ctx.labs})
        usage.append(model.ctx.world.usage_units)
    assert 12 * revenue[0]["OpenAI"] == pytest.approx(2.0, rel=0.25)  # the calibrated ~2 bn ARR
    leader = max(revenue[-1], key=revenue[-1].get)
    assert revenue[-1][leader] > 2 * revenue[0][leader] and usage[-1] > 4 * usage[0]
    assert sum(revenue[-1].values()) > 2 * sum(revenue[0].values())
    path = [month[leader] for month in revenue]
    assert sum(b > a for a, b in itertools.pairwise(path)) >= 16


def test_demand_growth_fades_toward_the_long_run_and_a_shock_restarts_the_fade():
    sc = load_scenario(
        "baseline",
        {
            "market.demand_growth_per_year": 4.0,
            "market.long_run_demand_growth_per_year": 1.2,
            "market.demand_growth_fade_months": 12.0,
        },
    )
    world = AIMarket(sc, rng=1).ctx.world
    yearly = []
    for tick in range(120):
        world.tick = tick
        yearly.append(world.demand_growth_per_month() ** 12)
    assert yearly[0] == pytest.approx(4.0)
    assert all(b < a for a, b in itertools.pairwise(yearly))  # fades every month
    assert yearly[-1] == pytest.approx(1.2, rel=1e-3)
    assert np.log(yearly[12]) == pytest.approx(np.log(1.2) + np.log(4.0 / 1.2) * np.exp(-1.0))
    # demand-bust's shock sets growth to 1x (and the long run to 1x) in 2025-01, month 12
    bust = AIMarket("demand-bust", rng=1)
    for _ in range(14):
        bust.step()
    assert bust.ctx.world.demand_growth_from == 12
    assert bust.ctx.world.demand_growth_per_month() == pytest.approx(1.0)


def test_a_valuation_is_the_present_value_of_the_cash_flows():
    market = Market(
        required_return_per_year=1.2,
        operating_margin=0.25,
        long_run_growth_per_year=1.05,
        valuation_horizon_months=36,
        growth_fade_months=12.0,
    )
    r, g_long, g0 = 1.2 ** (1 / 12), 1.05 ** (1 / 12), 1.08
    revenue, pv = 1.0, 0.0
    for h in range(1, 37):
        g = np.exp(np.log(g_long) + (np.log(g0) - np.log(g_long)) * np.exp(-h / 12.0))
        revenue *= g
        pv += 0.25 * revenue / r**h
    pv += 0.25 * revenue * g_long / (r - g_long) / r**36
    assert capital.dcf_value(1.0, g0, market) == pytest.approx(pv, rel=1e-12)
    assert capital.dcf_value(1.0, 1.10, market) > capital.dcf_value(1.0, g0, market)
    with pytest.raises(ValueError, match="required_return"):
        Market(required_return_per_year=1.05, long_run_growth_per_year=1.1)


def _answer(amount: float, penalty: float, **obs_changes):
    bound = deal(Exclusivity.EXCLUSIVE, exit_penalty_bn=penalty)
    rival = offer(amount_bn=amount, investor="C2")
    obs = lab_obs(deals=(bound,), offers=(rival,), cash_bn=50.0, **obs_changes)
    return make("lab", "balanced", {}).decide(obs, RNG)


def test_a_bound_lab_stays_when_the_rivals_offer_is_worth_less_than_the_exit_penalty():
    d = _answer(amount=2.0, penalty=3.0)
    assert d.accept == [] and d.break_deals == {}


def test_a_bound_lab_leaves_for_a_rivals_offer_worth_more_than_the_exit_penalty():
    d = _answer(amount=5.0, penalty=3.0)
    assert d.accept == ["O1"] and d.break_deals == {"D1": Cause.BETTER_OUTSIDE_OFFER}


def test_an_exclusive_tie_costs_the_price_premium_and_the_shortfall_in_dollars():
    lab = make("lab", "balanced", {"planning_months": 10})
    obs = lab_obs(spend_bn=1.2, staff_cost_bn=0.2, serving_need_gw=1.0, planned_training_gw=1.0)
    prices = {"C1": 0.1, "C2": 0.125}
    obs = dataclasses.replace(obs, public=dataclasses.replace(obs.public, compute_prices=prices))
    exclusive = offer(exclusivity=Exclusivity.EXCLUSIVE, investor_capacity_eff_gw=3.0)
    # 10 months x 1.0 bn/month of compute x (20 % premium + 50 % of 2 x 3 eff-GW unserved)
    assert lab.binding_cost(obs, exclusive, Exclusivity.EXCLUSIVE) == pytest.approx(
        10 * 1.0 * (0.2 + 0.5)
    )
    assert lab.binding_cost(obs, exclusive, Exclusivity.ROFR) == 0.0
    big = dataclasses.replace(exclusive, investor_capacity_eff_gw=100.0, investor="C1")
    assert lab.binding_cost(obs, big, Exclusivity.EXCLUSIVE) == 0.0
    assert lab.value(obs, big) == pytest.approx(big.amount_bn)


# ----------------------------------------------------------------------------- compute market
@settings(max_examples=200, deadline=None)
@given(
    price=st.floats(0.05, 5.0),
    budget=st.floats(0.1, 100.0),
    capacity=st.floats(0.1, 50.0),
    reserve=st.floats(0.0, 1.0),
)
def test_spot_prices_move_toward_the_price_that_clears_budget_limited_demand(
    price, budget, capacity, reserve
):
    clearing = max(budget / capacity, reserve)  # eff-GW asked = budget / price
    step = compute.next_price(price, budget / price, capacity, reserve, adjust=0.5)
    assert min(price, clearing) - 1e-12 <= step or step == reserve
    assert step <= max(price, clearing) + 1e-12  # never overshoots
    assert step >= reserve
    once = compute.next_price(price, budget / price, capacity, reserve, adjust=1.0)
    assert once == pytest.approx(clearing)


def test_a_scarce_cloud_raises_its_price_and_an_idle_one_falls_to_its_reserve(symmetric):
    model = AIMarket(symmetric.with_overrides({"hyperscalers.CloudA.capacity_gw": 0.2}), rng=1)
    for _ in range(12):
        model.step()
    a, b = model.firms["CloudA"], model.firms["CloudB"]
    assert a.price > b.price  # the scarce cloud clears at a higher price
    idle = {f"hyperscalers.Cloud{x}.capacity_gw": 40.0 for x in "ABC"}
    glut = AIMarket(symmetric.with_overrides(idle), rng=1)
    for _ in range(36):
        glut.step()
    for h in glut.ctx.hyperscalers:
        assert h.price < 0.5 * symmetric.data["hyperscalers"][0]["compute_price"]
        assert h.price >= h.reserve


def test_contract_prices_split_the_gain_from_trade_nash_style():
    assert bargaining.nash_price(1.0, 3.0, 0.5) == 2.0
    assert bargaining.nash_price(1.0, 3.0, 1.0) == 3.0  # all bargaining power with the cloud
    assert bargaining.nash_price(1.0, 0.5, 0.5) == 1.0  # no gain from trade: the cloud's cost
    assert bargaining.buyer_value(2.0, 0.25, 1.0) == 2.5  # a short lab values a guarantee more
    cost = bargaining.capacity_cost(10.0, 0.1, 2.0, 0.98, 1.09)
    assert cost == pytest.approx((10.0 * (1.09 ** (1 / 12) - 1 + 0.02) + 0.1) / 2.0)


def test_a_cheaper_guaranteed_contract_is_worth_more_to_a_lab():
    lab = make("lab", "balanced", {"planning_months": 12})
    obs = lab_obs(serving_need_gw=1.0, planned_training_gw=1.0)
    cheap = offer(commit_gw=1.0, commit_price=0.05, duration_months=48)
    dear = dataclasses.replace(cheap, commit_price=0.2)
    spot = obs.public.compute_prices[cheap.investor]
    assert lab.contract_value(obs, cheap) == pytest.approx(12 * (spot - 0.05))
    assert lab.contract_value(obs, dear) < 0 < lab.contract_value(obs, cheap)


# ----------------------------------------------------------------------------- first refusal
def _rofr_case(limit: float, surplus: float):
    """LabA holds a right of first refusal for CloudA; it accepts CloudB's exclusive offer,
    worth ``surplus`` to it, while CloudA would pay at most ``limit`` to keep it."""
    held = {
        "id": "R",
        "investor": "CloudA",
        "target": "LabA",
        "exclusivity": "rofr",
        "duration_months": 48,
        "exit_penalty_bn": 1.0,
    }
    model = AIMarket(variant(load_scenario("symmetric"), deals=[held]), rng=1)
    model.step()
    lab, holder = model.firms["LabA"], model.firms["CloudA"]
    rival = model.book.propose("CloudB", OfferTerms("LabA", 5.0, exclusivity=Exclusivity.EXCLUSIVE))
    holder.match_bn = {"LabA": limit}
    before = lab.cash, holder.cash
    lab.apply(
        LabDecision(
            accept=[rival.id],
            surplus_bn={rival.id: surplus},
            break_deals={"R": Cause.BETTER_OUTSIDE_OFFER},
        )
    )
    return model, rival, before


def test_a_first_refusal_holder_that_values_the_lab_more_matches_and_the_lab_stays():
    model, rival, (lab_cash, holder_cash) = _rofr_case(limit=4.0, surplus=3.0)
    assert model.book.deals["R"].restricts  # the clause stays
    assert rival.status.value == "rejected"
    assert model.firms["LabA"].cash == pytest.approx(lab_cash + 3.0)
    assert model.firms["CloudA"].cash == pytest.approx(holder_cash - 3.0)
    kinds = {(e["kind"], e["cause"]) for e in model.events.rows}
    assert ("matched", "first_refusal") in kinds and ("rejected", "first_refusal") in kinds


def test_a_rival_offer_worth_more_than_the_holders_match_ends_the_first_refusal():
    model, rival, _ = _rofr_case(limit=2.0, surplus=3.0)
    ended = not model.book.deals["R"].restricts
    pending = "R" in model.book.conditional_breaks.get(rival.id, [])
    assert ended or pending  # broken now, or once the rival's deal clears review
    assert rival.status.value != "rejected"
