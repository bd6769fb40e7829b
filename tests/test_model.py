"""Invariants and economic sanity of the model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aimarket.blocs import bloc_map, bloc_shares, hhi, join_blocs
from aimarket.model import AIMarket
from aimarket.scenario import load_scenario
from aimarket.simulation import simulate
from tests.conftest import variant


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    seed=st.integers(0, 2**32 - 1),
    demand=st.floats(1.0, 6.0),
    capital=st.floats(0.0, 10.0),
    name=st.sampled_from(["symmetric", "baseline", "amazon-openai"]),
)
def test_money_is_conserved_and_cash_reconciles(seed, demand, capital, name):
    scenario = load_scenario(
        name,
        {"market.demand_growth_per_year": demand, "market.outside_capital_bn_per_month": capital},
    )
    model = AIMarket(scenario, rng=seed, detail=True)
    opening = {n: model.ledger.balance(n) for n in model.firms}
    total = model.ledger.total()
    for _ in range(30):
        model.step()
        assert abs(model.ledger.total() - total) < 1e-6 * max(1.0, abs(total))
        for h in model.ctx.hyperscalers:
            assert h.capacity_gw >= 0 and h.capacity_eff >= 0 and h.waiting_gw >= -1e-12
        row = model.rows[-1]
        for layer in ("cloud", "chips"):
            shares = model.ctx.blocs.layer_shares[layer]
            assert not shares or abs(sum(shares.values()) - 1.0) < 1e-9
        assert (
            abs(sum(model.ctx.blocs.layer_shares["models"].values()) + row["open_share"] - 1.0)
            < 1e-9
        )
    net = dict.fromkeys(model.firms, 0.0)
    for _, source, target, amount, *_ in model.ledger.rows:
        if source in net:
            net[source] -= amount
        if target in net:
            net[target] += amount
    for n, firm in model.firms.items():
        assert firm.cash == pytest.approx(opening[n] + net[n], abs=1e-6)
        assert firm.cash >= -1e-9


def test_same_seed_same_run_different_seed_differs():
    scenario = load_scenario("baseline")
    a, b, c = (simulate(scenario, s, ticks=36) for s in (7, 7, 8))
    assert a.outcome == b.outcome and a.timeseries == b.timeseries and a.events == b.events
    assert a.timeseries != c.timeseries


NO_NOISE = {  # and no investment offers, whose sequential order breaks the symmetry
    **{f"hyperscalers.Cloud{x}.strategy_params.max_labs": 0 for x in "ABC"},
    "technology.research_noise": 0.0,
    "technology.construction_delay_months": 0.0,
    "market.demand_noise": 0.0,
}


@pytest.mark.parametrize(("noise", "tolerance"), [(False, 1e-9), (True, 0.05)])
def test_symmetric_firms_split_every_layer_evenly(symmetric, noise, tolerance):
    scenario = symmetric if noise else symmetric.with_overrides(NO_NOISE)
    out = simulate(scenario, 1).outcome
    assert out["hhi_cloud_final"] == pytest.approx(10_000 / 3, rel=tolerance)
    assert out["hhi_models_final"] == pytest.approx(10_000 / 3, rel=tolerance)


def _mean_price(scenario, ticks=12):
    rows = simulate(scenario, 1, ticks=ticks).timeseries
    return np.mean([r["compute_price"] for r in rows])


def test_more_capacity_lowers_the_compute_price(symmetric):
    scarce = symmetric.with_overrides({f"hyperscalers.Cloud{x}.capacity_gw": 0.8 for x in "ABC"})
    ample = symmetric.with_overrides({f"hyperscalers.Cloud{x}.capacity_gw": 3.0 for x in "ABC"})
    assert _mean_price(ample) < _mean_price(scarce)


def test_exclusive_lab_buys_nowhere_else_while_the_clause_is_in_force(symmetric):
    deal = {
        "id": "X",
        "investor": "CloudA",
        "target": "LabA",
        "exclusivity": "exclusive",
        "duration_months": 24,
        "exit_penalty_bn": 50.0,
    }
    model = AIMarket(variant(symmetric, deals=[deal]), rng=3)
    for _ in range(36):
        model.step()
        lab = model.firms["LabA"]
        if model.book.deals["X"].restricts:
            assert lab.providers <= {"CloudA"}
    assert model.book.deals["X"].status == "expired"
    assert len(model.firms["LabB"].providers) > 1  # others multi-home


def test_stronger_open_models_lower_closed_labs_markups(symmetric):
    """Open-weight projects buy compute too (raising its price), so the test compares what labs
    charge over their serving cost."""

    def lab_markup(funding: float) -> float:
        project = {
            "name": "Open",
            "base_lag_months": 24.0,
            "min_lag_months": 1.0,
            "funding_scale_bn_per_month": 0.5,
            "community_funding_bn_per_month": funding,
        }
        model = AIMarket(variant(symmetric, open_source=[project]), rng=2)
        for _ in range(24):
            model.step()
        unit = model.ctx.world.inference_multiplier
        return float(
            np.mean([lab.price - model.info.expected_price(lab) / unit for lab in model.ctx.labs])
        )

    assert lab_markup(3.0) < lab_markup(0.0)


def test_capacity_shortfall_breaks_exclusivity_mechanistically(symmetric):
    """A lab whose exclusive partner cannot grow with it asks to loosen the clause."""
    deal = {
        "id": "X",
        "investor": "CloudA",
        "target": "LabA",
        "exclusivity": "exclusive",
        "duration_months": 120,
        "exit_penalty_bn": 0.1,
    }
    tight = variant(symmetric, deals=[deal]).with_overrides(
        {
            "hyperscalers.CloudA.capacity_gw": 0.15,
            "hyperscalers.CloudA.cash_bn": 0.0,
            "hyperscalers.CloudA.other_income_bn_per_month": 0.0,
            "hyperscalers.CloudA.pipeline_gw": 0.0,
            "labs.LabA.cash_bn": 30.0,  # the cash to grow: no outside round needed
        }
    )
    result = simulate(tight, 4, ticks=48)
    breakdowns = [e for e in result.events if e["kind"] == "breakdown"]
    assert breakdowns and breakdowns[0]["cause"] == "capacity_shortfall"
    assert result.outcome["first_breakdown_tick"] == breakdowns[0]["tick"]


def test_a_follow_on_clause_is_part_of_the_same_arrangement(symmetric):
    """Two contracts of one cloud-lab pair, each loosened twice (exclusive -> ROFR -> none):
    four breakdowns of one arrangement."""
    deals = [
        {"id": i, "investor": "CloudA", "target": "LabA", "exclusivity": "exclusive"}
        | {"duration_months": 120, "exit_penalty_bn": 0.1}
        for i in ("X", "Y")
    ]
    tight = variant(symmetric, deals=deals).with_overrides(
        {
            "hyperscalers.CloudA.capacity_gw": 0.15,
            "hyperscalers.CloudA.cash_bn": 0.0,
            "hyperscalers.CloudA.other_income_bn_per_month": 0.0,
            "hyperscalers.CloudA.pipeline_gw": 0.0,
            "labs.LabA.cash_bn": 30.0,  # the cash to grow: no outside round needed
        }
    )
    o = simulate(tight, 4, ticks=48).outcome
    assert o["exclusive_arrangements"] == 1 and o["arrangement_breakdowns"] == 1
    assert o["exclusivity_breakdowns"] == 4


def _transfers(rows: list[tuple]) -> list[tuple[tuple[str, str, str], float]]:
    """Whole transfers ((source, target, kind), USD bn) from ledger rows split by origin."""
    out: dict[int, list] = {}
    for _, source, target, amount, kind, *_, serial in rows:
        out.setdefault(serial, [(source, target, kind), 0.0])[1] += amount
    return [(key, amount) for key, amount in out.values()]


def test_chip_supply_contract_is_paid_at_its_committed_price(symmetric):
    deal = {
        "id": "S",
        "kind": "chip_supply",
        "investor": "ChipCo",
        "target": "CloudA",
        "commit_gw": 0.01,
        "commit_price": 5.0,  # USD bn/GW, well below the list price
        "duration_months": 36,
    }
    model = AIMarket(variant(symmetric, deals=[deal]), rng=1, detail=True)
    list_price = model.firms["ChipCo"].price
    assert list_price > 5.0
    for _ in range(24):
        model.step()
    paid = [
        amount
        for (source, target, kind), amount in _transfers(model.ledger.rows)
        if (source, target, kind) == ("CloudA", "ChipCo", "chips")
    ]
    assert any(abs(a - 0.01 * 5.0) < 1e-12 for a in paid)  # the contract volume at 5 USD bn/GW
    others = [
        amount
        for (source, target, kind), amount in _transfers(model.ledger.rows)
        if source in ("CloudB", "CloudC") and target == "ChipCo" and kind == "chips"
    ]
    assert others and not any(abs(a - 0.01 * 5.0) < 1e-12 for a in others)


def test_an_untied_fringe_counts_as_many_small_firms():
    shares = {"A": 0.4, "B": 0.3, "Fringe": 0.3}
    alone = bloc_shares(shares, {}, {"Fringe": 3})
    assert hhi(alone.values()) == pytest.approx(10_000 * (0.4**2 + 0.3**2 + 3 * 0.1**2))
    assert max(alone.values()) == 0.4
    tied = bloc_shares(shares, {"A": "A", "Fringe": "A", "B": "B"}, {"Fringe": 3})
    assert tied == pytest.approx({"A": 0.7, "B": 0.3})


def test_a_fringe_cloud_lowers_measured_cloud_concentration(symmetric):
    def cloud_hhi(firms: int) -> float:
        overrides = {"ticks": 3, "hyperscalers.CloudC.firms": firms}
        model = AIMarket(symmetric, overrides=overrides, rng=1)
        for _ in range(3):
            model.step()
        return model.rows[-1]["hhi_cloud"]

    one, fringe = cloud_hhi(1), cloud_hhi(10)
    assert one == pytest.approx(10_000 / 3, rel=0.1)
    assert fringe == pytest.approx(10_000 * (2 / 9 + 1 / 90), rel=0.1)  # two firms + ten tenths


def test_a_signed_exclusive_deal_under_review_deters_a_rival_offer(symmetric):
    """The lab counts the exit penalty of an exclusive deal it signed, even before it clears."""
    common = {"target": "LabA", "amount_bn": 1.0, "duration_months": 48}
    signed = {"id": "X", "month": "2024-01", "type": "deal", "investor": "CloudA"}
    signed |= {"exclusivity": "exclusive", "exit_penalty_bn": 5.0, **common}
    rival = {"id": "R", "month": "2024-02", "type": "offer", "investor": "CloudB", **common}
    quiet = {f"hyperscalers.Cloud{x}.strategy_params.invest_share": 0.0 for x in "ABC"}
    model = AIMarket(variant(symmetric, events=[signed, rival]).with_overrides(quiet), rng=1)
    model.step()
    model.step()
    assert model.book.deals["X"].status == "under_review"
    assert model.book.deals["R"].status == "rejected"


def _outside_equity_by_month(overrides: dict, months: int = 36) -> list[float]:
    model = AIMarket(load_scenario("baseline", overrides), rng=3)
    raised = []
    for _ in range(months):
        model.step()
        raised.append(model.ledger.flows["equity_outside"])
    return raised


def test_a_growing_outside_capital_pool_funds_more_and_never_more_than_the_pool():
    scarce = {"market.outside_capital_bn_per_month": 0.2}
    flat = _outside_equity_by_month(scarce)
    growing = _outside_equity_by_month({**scarce, "market.outside_capital_growth_per_year": 3.0})
    for month, amount in enumerate(growing):
        assert amount <= 0.2 * 3.0 ** (month / 12) + 1e-9  # pool of that month
    assert max(flat) <= 0.2 + 1e-9
    # once labs show growth their rounds beat the required return and ask more than either pool
    assert sum(growing) > 1.5 * sum(flat)


def test_a_shock_to_the_outside_capital_pool_restarts_its_growth():
    scenario = load_scenario("baseline", {"market.outside_capital_growth_per_year": 2.0})
    shock = {"month": scenario.spec.start, "set": {"market.outside_capital_bn_per_month": 1.0}}
    data = {**scenario.data, "shocks": [shock]}
    data["market"] = {**data["market"], "outside_capital_bn_per_month": 9.0}
    model = AIMarket(type(scenario).from_data(data, origin="<test>"), rng=0)
    for _ in range(13):
        model.step()
    assert model.ctx.world.outside_capital == pytest.approx(
        1.0 * 2.0
    )  # twelve months of growth from 1.0


def test_a_lab_that_enters_later_is_out_of_every_market_until_its_month(symmetric):
    labs = [dict(lab) for lab in symmetric.data["labs"]]
    labs[1]["enters"] = "2024-07"  # the symmetric scenario starts in 2024-01
    model = AIMarket(variant(symmetric, labs=labs), rng=0)
    late = model.firms[labs[1]["name"]]
    cash = late.cash
    for _ in range(6):
        model.step()
        assert late.usage_share == 0 and late.cash == cash and late not in model.ctx.labs
        assert late.name not in model.ctx.blocs.layer_shares["models"]
        assert all(late.name not in h.shortfall_by_lab for h in model.ctx.hyperscalers)
    model.step()  # 2024-07
    assert late in model.ctx.labs and late.usage_share > 0 and late.cash != cash


@settings(max_examples=200, deadline=None)
@given(
    ties=st.lists(st.tuples(st.sampled_from("ABCDEFG"), st.sampled_from("ABCDEFG")), max_size=8),
    new=st.tuples(st.sampled_from("ABCDEFG"), st.sampled_from("ABCDEFG")),
)
def test_joining_two_blocs_equals_rebuilding_the_bloc_graph(ties, new):
    firms = list("ABCDEFG")
    assert join_blocs(bloc_map(firms, ties), *new) == bloc_map(firms, [*ties, new])
