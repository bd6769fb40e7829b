"""The capital market (outside rounds by expected return, controlling holders' funding when it
pays) and lab distress, sale and exit, with money conserved."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimarket import turnover
from aimarket.deals import Status
from aimarket.ledger import Ledger, credit_account
from aimarket.markets import capital
from aimarket.model import AIMarket
from aimarket.scenario import Market, load_scenario
from tests.conftest import variant

MARKET = Market()


@dataclass
class FakeLab:
    """The state the capital market reads of a lab."""

    name: str
    revenue: float  # USD bn/month
    growth: float  # shown monthly revenue growth factor
    spend: float = 0.5  # USD bn/month of compute
    capability: float = 1.0
    owner: str = ""
    cap_table: dict[str, float] = field(default_factory=dict)
    raise_bn: float = 5.0
    spec: SimpleNamespace = field(
        default_factory=lambda: SimpleNamespace(staff_cost_bn_per_month=0.1)
    )

    def revenue_growth(self) -> float:
        return self.growth

    def controller(self) -> str:
        return self.owner

    def issue_equity(self, investor: str, stake: float) -> None:
        for holder in self.cap_table:
            self.cap_table[holder] *= 1 - stake
        self.cap_table[investor] = self.cap_table.get(investor, 0.0) + stake


def _fund(labs, firms=None, pool=100.0, cash=1.0, market=MARKET):
    ledger = Ledger()
    for name in ("outside_investors", *(firms or {})):
        ledger.open(name, 1000.0)
    for lab in labs:
        ledger.open(lab.name, cash)
    capital.fund(
        labs,
        ledger,
        pool,
        market,
        0.5,  # open-weight capability, OOM
        lambda lab: capital.lab_valuation(lab, 0.5, market),
        firms or {},
    )
    return ledger


def test_a_lab_with_poor_prospects_raises_less_than_one_with_strong_prospects():
    strong = FakeLab("Strong", revenue=1.0, growth=1.08)  # covers its costs, grows ~2.5x a year
    poor = FakeLab("Poor", revenue=0.01, growth=1.0)  # burns 0.6 bn a month, no growth
    ledger = _fund([strong, poor])
    raised = {lab.name: ledger.balance(lab.name) - 1.0 for lab in (strong, poor)}
    assert raised["Strong"] > 0 and raised["Poor"] == 0.0
    assert ledger.flows["equity_outside"] == pytest.approx(raised["Strong"])
    # bought at the mark: the stake is the amount over the post-money valuation
    mark = capital.lab_valuation(strong, 0.5, MARKET)
    assert strong.cap_table["outside_investors"] == pytest.approx(
        raised["Strong"] / (mark + raised["Strong"])
    )


def test_outside_supply_rises_with_the_expected_return_spread_within_the_pool():
    asks = [10.0] * 5
    multiples = [0.8, 1.0, 1.05, 1.1, 1.5]  # value per USD invested at the mark
    supply = capital.outside_supply(asks, multiples, 1000.0, elasticity=5.0)
    assert supply[0] == supply[1] == 0.0  # no excess return: nothing
    assert np.all(np.diff(supply) >= 0) and supply[2] > 0
    assert supply[2] == pytest.approx(10.0 * 5.0 * 0.05)
    assert supply[-1] == pytest.approx(10.0)  # never more than the ask
    scarce = capital.outside_supply(asks, multiples, 3.0, elasticity=5.0)
    assert scarce.sum() == pytest.approx(3.0)  # the venture market's capacity binds
    assert np.all(np.diff(scarce) >= 0)


@settings(max_examples=100, deadline=None)
@given(
    asks=st.lists(st.floats(0.0, 50.0), min_size=1, max_size=6),
    base=st.floats(0.5, 2.0),
    lift=st.floats(0.0, 1.0),
    pool=st.floats(0.0, 100.0),
    elasticity=st.floats(0.0, 20.0),
)
def test_more_excess_return_never_lowers_supply_and_the_pool_bounds_it(
    asks, base, lift, pool, elasticity
):
    multiples = [base] * len(asks)
    low = capital.outside_supply(asks, multiples, np.inf, elasticity)
    high = capital.outside_supply(asks, [m + lift for m in multiples], np.inf, elasticity)
    assert np.all(high >= low - 1e-12) and np.all(high <= np.array(asks) + 1e-9)
    assert capital.outside_supply(asks, multiples, pool, elasticity).sum() <= pool + 1e-9


def test_the_expected_return_counts_cash_and_the_losses_still_to_fund():
    lab = FakeLab("Lab", revenue=0.05, growth=1.0, spend=1.0)
    need = capital.funding_need(lab, MARKET)
    path, discount = capital.revenue_path(0.05, 1.0, MARKET)
    assert need == pytest.approx(float(np.maximum(1.1 - path, 0) @ discount))
    grower = FakeLab("Grower", revenue=0.05, growth=1.15, spend=1.0)  # breaks even in ~2 years
    assert capital.funding_need(grower, MARKET) < need


def _cloud(name="Cloud", bought=0.0, price=1.0, cost=0.4):
    return SimpleNamespace(
        name=name,
        agent_type="hyperscaler",
        price=price,
        capacity_cost=cost,
        revenue_by_lab={"Lab": bought},
    )


def test_a_controlling_holder_funds_only_when_it_pays():
    def funded(stake: float, cloud, **lab) -> float:
        lab = FakeLab("Lab", owner="Cloud", cap_table={"Cloud": stake}, **lab)
        return _fund([lab], firms={"Cloud": cloud}, pool=0.0, cash=0.5).flows["group_funding"]

    good = {"revenue": 1.0, "growth": 1.08}  # a going concern worth far more than the money
    bad = {"revenue": 0.01, "growth": 1.0, "spend": 1.0, "capability": 0.0}  # burns, no lead
    assert funded(0.6, _cloud(), **good) == pytest.approx(5.0)  # the whole ask
    # worth less than its losses: the 60 % holder would get 60 cents of each dollar back
    assert funded(0.6, _cloud(), **bad) == 0.0
    # the same lab buying 1 bn a month of the holder's compute at a 60 % margin: it funds
    assert funded(0.6, _cloud(bought=1.0), **bad) > 0


def test_the_controller_gain_is_the_stake_in_the_value_saved_plus_the_margin():
    # a lab holding 1 bn asks 3 bn; 2 bn of it lifts its chance of reaching its plan 1/4 -> 3/4
    gain = capital.controller_gain(0.5, 2.0, 3.0, 1.0, going_bn=10.0, margin_bn=4.0)
    assert gain == pytest.approx(0.5 * (0.5 * 10.0 + 2.0) + 0.5 * 4.0)
    assert capital.controller_gain(1.0, 2.0, 3.0, 1.0, going_bn=-5.0, margin_bn=0.0) == 2.0
    # money a lab does not need (it holds 100 bn) is worth the stake in it: only a sole owner
    # breaks even, a 60 % holder would give 40 % of it away
    assert capital.controller_gain(0.6, 2.0, 3.0, 100.0, 10.0, 0.0) < 2.0


# ----------------------------------------------------------------- distress, sale and exit
def _starved(**changes):
    """Symmetric scenario with an open-weight model close behind the frontier: LabA has little
    cash, high staff costs, no lead and nobody funds it (no venture capital, clouds back no lab);
    CloudB holds 20 % of it under a live deal."""
    over = {
        "market.outside_capital_bn_per_month": 0.0,
        "labs.LabA.cash_bn": 0.3,
        "labs.LabA.staff_cost_bn_per_month": 0.3,
        "labs.LabA.capability": 0.0,
        "labs.LabA.cap_table": {"CloudB": 0.2},
    }
    for cloud in ("CloudA", "CloudB", "CloudC"):
        over[f"hyperscalers.{cloud}.strategy_params.max_labs"] = 0
    deals = [
        {"id": "I", "investor": "CloudB", "target": "LabA", "amount_bn": 0.5, "stake": 0.2}
        | {"exclusivity": "rofr", "duration_months": 60, "exit_penalty_bn": 0.05},
    ]
    open_weights = {"name": "Open", "base_lag_months": 3.0, "community_funding_bn_per_month": 0.0}
    scenario = load_scenario("symmetric")
    return variant(scenario, deals=deals, open_source=[open_weights], **changes).with_overrides(
        over
    )


def test_a_lab_that_cannot_pay_or_raise_is_distressed_then_exits_with_money_conserved():
    model = AIMarket(_starved(), rng=1, detail=True)
    lab = model.firms["LabA"]
    total = model.ledger.total()
    statuses = []
    for _ in range(8):
        model.step()
        statuses.append(lab.status())
        assert abs(model.ledger.total() - total) < 1e-9
    months = model.spec.market.distress_months
    # it pays its first month, then cannot: distressed for ``distress_months`` months (the
    # last ends in its exit)
    assert statuses[: months + 1] == ["active", *["distressed"] * (months - 1), "exited"]
    kinds = [(e["kind"], e["cause"]) for e in model.events.rows if e["agent"] == "LabA"]
    assert ("distress", "") in kinds and ("exit", "no_buyer") in kinds
    assert lab not in model.ctx.labs and lab.name not in model.ctx.blocs.layer_shares["models"]
    assert model.book.deals["I"].status is Status.TERMINATED
    assert ("terminated", "lab_exit") in kinds and ("breakdown", "lab_exit") not in kinds
    assert model.ledger.balance("LabA") == pytest.approx(0.0, abs=1e-12)
    assert not model.book.deals_of("LabA") and model.ctx.valuation(lab) == 0.0
    rows = [r for r in model.agent_rows if r["agent"] == "LabA"]
    assert [r["status"] for r in rows][-1] == "exited"
    assert model.outcome()["lab_exits"] == 1 and model.outcome()["lab_distress_episodes"] >= 1


def test_distress_cuts_training_and_unpaid_staff_costs_are_owed():
    model = AIMarket(_starved(), rng=1)
    ctx, lab = model.ctx, model.firms["LabA"]
    model.step()
    lab.training_budget = 0.4  # what its strategy wants to train with
    model.ledger.transfer("LabA", "suppliers", lab.cash, "test")  # it cannot pay its staff
    turnover.assess(ctx)
    assert lab.distressed and lab.training_budget == 0.0
    assert [e["kind"] for e in ctx.events.rows if e["agent"] == "LabA"] == ["distress"]
    lab.pay_staff()
    assert lab.arrears == pytest.approx(0.3)  # owed, not forgiven
    model.ledger.transfer("end_users", "LabA", 0.5, "test")
    lab.pay_staff()  # next month's staff costs and the arrears, as far as its cash goes
    assert lab.arrears == pytest.approx(0.1) and lab.cash == 0.0


def test_an_exiting_lab_pays_its_arrears_and_penalties_then_its_holders_pro_rata():
    model = AIMarket(_starved(), rng=1, detail=True)
    model.step()
    ctx, lab = model.ctx, model.firms["LabA"]
    total = model.ledger.total()
    model.ledger.transfer("end_users", "LabA", 10.0, "test")  # cash left at exit
    model.ledger.transfer("CloudC", credit_account("LabA", "CloudC"), 2.0, "equity_credits")
    lab.arrears = 1.0
    before = {n: model.ledger.balance(n) for n in ("CloudB", "CloudC", "outside_investors")}
    left = model.ledger.balance("LabA") - 1.0 - 0.05  # less its arrears and the exit penalty
    turnover.exit_lab(lab, ctx, "no_buyer")
    stake = lab.cap_table["CloudB"]
    gained = {n: model.ledger.balance(n) - before[n] for n in before}
    assert gained["CloudB"] == pytest.approx(0.05 + stake * left)
    assert gained["outside_investors"] == pytest.approx((1 - stake) * left)
    assert gained["CloudC"] == pytest.approx(2.0)  # unused credits back to their issuer
    assert model.ledger.balance("LabA") == pytest.approx(0.0, abs=1e-12)
    assert model.ledger.total() == pytest.approx(total)


def _for_sale(regulated: bool):
    """LabA distressed long enough, no lead, no revenue, buying 3 bn a month of compute from
    CloudA only: a cloud gains its margin on that compute by owning it."""
    scenario = _starved() if regulated else _starved(regulators=[])
    model = AIMarket(scenario, rng=1)
    model.step()
    ctx, lab = model.ctx, model.firms["LabA"]
    lab.distressed, lab.distress_months = True, model.spec.market.distress_months
    lab.spend, lab.providers = 3.0, {"CloudA"}
    lab.revenue_history = deque([0.0])
    ctx.hyperscalers[0].revenue_by_lab = {"LabA": 3.0}
    return model, ctx, lab


def test_a_distressed_lab_is_sold_to_the_firm_that_gains_most_from_owning_it():
    model, ctx, lab = _for_sale(regulated=False)
    gains = {h.name: turnover.buyer_gain(lab, h, ctx)[0] for h in ctx.hyperscalers}
    total = model.ledger.total()
    before = model.ledger.balance("CloudB")
    turnover.resolve(ctx)
    sale = [e for e in ctx.events.rows if e["kind"] == "sale"]
    buyer = max(gains, key=gains.get)
    assert buyer != "CloudA"  # it already earns the margin on all the lab's compute
    assert len(sale) == 1 and sale[0]["counterparty"] == buyer
    assert lab.cap_table[buyer] == pytest.approx(1.0) and lab.controller() == buyer
    assert lab.status() == "active" and lab in ctx.labs
    if buyer != "CloudB":  # CloudB sold its 20 % at the mark
        assert model.ledger.balance("CloudB") - before == pytest.approx(0.2 * sale[0]["value"])
    assert model.ledger.total() == pytest.approx(total)


def test_a_distress_sale_is_reviewed_like_any_merger_and_a_block_means_exit():
    _, ctx, lab = _for_sale(regulated=True)
    turnover.resolve(ctx)
    assert lab.sale is not None and lab.sale.status is Status.UNDER_REVIEW
    turnover.resolve(ctx)  # pending review: it waits
    assert lab in ctx.labs
    ctx.book.rule(lab.sale, "Authority", "block")
    turnover.resolve(ctx)
    assert lab.status() == "exited"
    assert [e["cause"] for e in ctx.events.rows if e["kind"] == "exit"] == ["sale_blocked"]


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    cash=st.floats(0.0, 3.0),
    staff=st.floats(0.0, 0.6),
    capability=st.floats(-1.0, 1.5),
    pool=st.floats(0.0, 2.0),
    backers=st.integers(0, 2),
    months=st.integers(1, 4),
)
def test_money_is_conserved_through_distress_sales_and_exits(
    seed, cash, staff, capability, pool, backers, months
):
    over = {
        "market.outside_capital_bn_per_month": pool,
        "market.distress_months": months,
        "labs.LabA.cash_bn": cash,
        "labs.LabA.staff_cost_bn_per_month": staff,
        "labs.LabA.capability": capability,
        "labs.LabB.cash_bn": cash / 2,
        "labs.LabB.staff_cost_bn_per_month": staff,
    }
    for cloud in ("CloudA", "CloudB", "CloudC"):
        over[f"hyperscalers.{cloud}.strategy_params.max_labs"] = backers
    model = AIMarket(_starved().with_overrides(over), rng=seed)
    total = model.ledger.total()
    for _ in range(15):
        model.step()
        assert abs(model.ledger.total() - total) < 1e-9 * max(1.0, abs(total))
        for lab in model.ctx.all_labs:
            assert lab.cash >= -1e-12 and lab.arrears >= 0
            if lab.exited:
                assert lab not in model.ctx.labs and not model.book.deals_of(lab.name)
                assert abs(lab.cash) < 1e-9 and not model.ledger.credits_of(lab.name)
    exits = [e for e in model.events.rows if e["kind"] == "exit"]
    assert len(exits) == sum(lab.exited for lab in model.ctx.all_labs)


# ----------------------------------------------------------------- entry
def _entrant(cost: float):
    sym = load_scenario("symmetric")
    labs = [dict(lab) for lab in sym.data["labs"]]
    labs[2] |= {"enters": "2024-04", "cash_bn": 30.0}
    open_weights = {"name": "Open", "base_lag_months": 3.0, "community_funding_bn_per_month": 0.0}
    scenario = variant(sym, labs=labs, open_source=[open_weights])
    return AIMarket(scenario.with_overrides({"market.entry_cost_bn": cost}), rng=0)


def test_a_listed_entrant_enters_when_its_value_as_a_follower_beats_the_entry_cost():
    free, dear = _entrant(0.0), _entrant(20.0)
    values = []
    for month in range(24):
        value = turnover.entry_value(dear.firms["LabC"], dear.ctx)
        values.append(value)
        for model in (free, dear):
            model.step()
        entered = {m: m.firms["LabC"] in m.ctx.labs for m in (free, dear)}
        assert entered[free] == (month >= 3)  # free entry: at its month
        if month >= 3 and not entered[dear]:
            assert value < 20.0  # not yet worth the cost
    entry = [e for e in dear.events.rows if e["kind"] == "entry"]
    assert len(entry) == 1 and entry[0]["tick"] > 3 and entry[0]["value"] >= 20.0
    assert dear.ledger.totals["entry_cost"] == pytest.approx(20.0)
    assert dear.outcome()["lab_entries"] == 1
    never = _entrant(1e6)
    for _ in range(12):
        never.step()
    assert never.firms["LabC"].status() == "inactive"
