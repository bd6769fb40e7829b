"""Regulator strategies: what each rule clears, remedies, blocks and strips."""

from __future__ import annotations

from dataclasses import replace
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from aimarket import money, regulation
from aimarket.blocs import vertical_share
from aimarket.clauses import Exclusivity
from aimarket.deals import Status
from aimarket.ledger import ROW_COLUMNS
from aimarket.markets import compute
from aimarket.model import AIMarket
from aimarket.strategies import make
from aimarket.strategies.base import (
    CaseFacts,
    OfferTerms,
    PublicInfo,
    RaiseInfo,
    RegulatorObs,
    Verdict,
    rounds_to_back,
)
from tests.conftest import variant


def _run(scenario, months: int) -> AIMarket:
    model = AIMarket(scenario, rng=0)
    for _ in range(months):
        model.step()
    return model


def _controlled_labs(symmetric) -> list[dict]:
    labs = [dict(lab) for lab in symmetric.data["labs"]]
    labs[0]["cap_table"] = {"CloudA": 0.6}  # CloudA already controls LabA
    return labs


def _deal_event(stake: float, amount: float) -> dict:
    return {
        "id": "M",
        "month": "2024-03",
        "type": "deal",
        "investor": "CloudA",
        "target": "LabB",
        "amount_bn": amount,
        "stake": stake,
    }


def test_threshold_rule_blocks_a_merger_like_deal_and_clears_a_small_one(symmetric):
    labs = _controlled_labs(symmetric)
    alone = {"hyperscalers.CloudA.strategy_params.max_labs": 0}  # no other stakes: not serial

    def scenario(event: dict):
        return variant(symmetric, labs=labs, events=[event]).with_overrides(alone)

    big = _run(scenario(_deal_event(0.6, 3.0)), 8)
    small = _run(scenario(_deal_event(0.05, 0.6)), 8)
    assert big.book.deals["M"].status == "blocked"
    assert small.book.deals["M"].status == "active"
    assert big.firms["LabB"].cap_table.get("CloudA", 0.0) < 0.05  # the blocked stake never moved


def test_laissez_faire_clears_the_merger_the_threshold_rule_blocks(symmetric):
    regulators = [{"name": "Authority", "strategy": "laissez-faire"}]
    scenario = variant(
        symmetric,
        labs=_controlled_labs(symmetric),
        regulators=regulators,
        events=[_deal_event(0.6, 3.0)],
    )
    model = _run(scenario, 8)
    assert model.book.deals["M"].status == "active"
    assert model.firms["LabB"].cap_table["CloudA"] > 0.5  # diluted a little by later rounds


def _exclusive(deal_id: str, investor: str, target: str) -> dict:
    return {
        "id": deal_id,
        "investor": investor,
        "target": target,
        "amount_bn": 0.2,
        "exclusivity": "exclusive",
        "duration_months": 60,
    }


def test_gatekeeper_strips_designated_firms_clauses_after_the_compliance_period(symmetric):
    regulators = [
        {
            "name": "Authority",
            "strategy": "gatekeeper",
            "gatekeepers": ["CloudA"],
            "strategy_params": {"compliance_months": 4},
        }
    ]
    deals = [_exclusive("GK", "CloudA", "LabA"), _exclusive("FREE", "CloudB", "LabB")]
    scenario = variant(symmetric, regulators=regulators, deals=deals)
    # LabA holds the cash it needs: it seeks no round, so no rival offer tempts it to break
    model = AIMarket(scenario.with_overrides({"labs.LabA.cash_bn": 50.0}), rng=0)
    for _ in range(4):
        model.step()
    assert model.book.deals["GK"].restricts  # still inside the compliance period
    model.step()
    assert not model.book.deals["GK"].restricts
    assert model.book.deals["GK"].active  # the deal stays, only the clause goes
    assert model.book.deals["FREE"].terms.exclusivity is Exclusivity.EXCLUSIVE
    kinds = [(e["kind"], e["deal_id"]) for e in model.events.rows]
    assert ("ex_ante_remedy", "GK") in kinds and ("breakdown", "GK") in kinds


def _case(gatekeeper: bool, exclusivity: Exclusivity, delta: float = 0.0) -> CaseFacts:
    layers = ("cloud", "models")
    return CaseFacts(
        deal_id="C",
        investor="CloudA",
        target="LabA",
        amount_bn=1.0,
        stake_after=0.05,
        exclusivity=exclusivity,
        tie_by_control=False,
        tie_by_clause=exclusivity is not Exclusivity.NONE,
        pre_mhhi=dict.fromkeys(layers, 2000.0),
        post_mhhi=dict.fromkeys(layers, 2000.0 + delta),
        combined_share=dict.fromkeys(layers, 0.2),
        gatekeeper_involved=gatekeeper,
    )


def _obs(tick: int, bloc_hhi: float, cases: tuple[CaseFacts, ...] = ()) -> RegulatorObs:
    public = PublicInfo(tick, 1.0, 0.0, {}, {}, {}, {}, {}, (), 1.0)
    return RegulatorObs(
        public=public,
        name="Authority",
        cases_due=cases,
        bloc_hhi={"cloud": bloc_hhi},
        months_concentrated={"cloud": tick},
    )


def test_gatekeeper_remedies_a_gatekeepers_clause_that_the_threshold_rule_clears():
    rng = np.random.default_rng(0)
    case = _case(gatekeeper=True, exclusivity=Exclusivity.ROFR)
    other = _case(gatekeeper=False, exclusivity=Exclusivity.ROFR)
    gate = make("regulator", "gatekeeper", {}).decide(_obs(0, 1000.0, (case,)), rng)
    plain = make("regulator", "threshold", {}).decide(_obs(0, 1000.0, (case,)), rng)
    assert gate.verdicts == {"C": Verdict.REMEDY}
    assert plain.verdicts == {"C": Verdict.CLEAR}
    assert make("regulator", "gatekeeper", {}).verdict(other) == Verdict.CLEAR


def test_adaptive_regulator_tightens_under_sustained_concentration_and_relaxes_after():
    rng = np.random.default_rng(0)
    adaptive = make("regulator", "adaptive", {"learning_rate": 0.1})
    case = _case(gatekeeper=False, exclusivity=Exclusivity.NONE, delta=80.0)  # below 100 delta
    assert adaptive.verdict(case) == Verdict.CLEAR
    for tick in range(8):
        adaptive.decide(_obs(tick, 5000.0), rng)
    assert adaptive.threshold("hhi_delta") < 80.0
    assert adaptive.verdict(case) != Verdict.CLEAR
    investigate = adaptive.decide(_obs(8, 5000.0), rng).investigate
    assert investigate == ["cloud"]  # 8 months < 12, but the delay has shrunk
    for tick in range(20):
        adaptive.decide(_obs(tick, 500.0), rng)
    assert adaptive.stringency == 0.0
    assert adaptive.verdict(case) == Verdict.CLEAR


def test_a_clause_is_broken_for_a_rival_offer_only_once_the_rival_deal_clears(symmetric):
    """LabA, exclusive with CloudA, accepts CloudB's controlling stake: the old clause ends when
    the new deal clears review, and survives when the new deal is blocked (a strict vertical
    rule without remedies: CloudB's third of the cloud layer forecloses)."""
    old = _exclusive("OLD", "CloudA", "LabA") | {"exit_penalty_bn": 0.1}
    offer = {
        "id": "NEW",
        "month": "2024-02",
        "investor": "CloudB",
        "target": "LabA",
        "amount_bn": 5.0,
        "stake": 0.6,
    }
    status = {}
    for strategy in ("threshold", "laissez-faire"):
        regulators = [{"name": "Authority", "strategy": strategy, "review_months": 3}]
        if strategy == "threshold":
            strict = {"vertical_presumption": 0.3, "remedy_first": False}
            regulators[0]["strategy_params"] = strict
        scenario = variant(symmetric, regulators=regulators, deals=[old], events=[offer])
        model = AIMarket(scenario, rng=0)
        for _ in range(3):
            model.step()
        assert model.book.deals["NEW"].status == "under_review"
        assert model.book.deals["OLD"].restricts  # still bound while the rival deal is reviewed
        for _ in range(3):
            model.step()
        status[strategy] = (model.book.deals["NEW"].status, model.book.deals["OLD"].status)
    assert status == {"threshold": ("blocked", "active"), "laissez-faire": ("active", "broken")}


# ---------------------------------------------------------------- constructed cases, known answers
def _vertical(upstream: float, downstream: float, gain: float, cost: float, **kw) -> CaseFacts:
    """A cloud taking control of a lab: no horizontal overlap (MHHI unchanged)."""
    flat = dict.fromkeys(("cloud", "models", "chips"), 1500.0)
    return CaseFacts(
        deal_id="V",
        investor="CloudA",
        target="LabA",
        amount_bn=5.0,
        stake_after=0.6,
        exclusivity=kw.pop("exclusivity", Exclusivity.NONE),
        tie_by_control=kw.pop("tie_by_control", True),
        tie_by_clause=False,
        pre_mhhi=flat,
        post_mhhi=flat,
        combined_share={"cloud": upstream, "models": downstream, "chips": 0.0},
        gatekeeper_involved=False,
        capped_post_mhhi=flat,
        upstream_layer="cloud",
        upstream_share=upstream,
        downstream_share=downstream,
        foreclosure_gain_bn=gain,
        foreclosure_cost_bn=cost,
        **kw,
    )


def test_a_vertical_deal_that_forecloses_is_challenged_and_one_that_does_not_is_cleared():
    rule = make("regulator", "threshold", {})
    strict = make("regulator", "threshold", {"remedy_first": False})
    dominant = _vertical(0.6, 0.2, gain=0.1, cost=1.0)  # 60 % of compute: Guideline 5 > 50 %
    pays = _vertical(0.35, 0.2, gain=2.0, cost=1.0)  # significant share and foreclosure pays
    small = _vertical(0.2, 0.1, gain=2.0, cost=1.0)  # below the 30 % safe harbour
    unprofitable = _vertical(0.35, 0.2, gain=0.1, cost=1.0)
    assert rule.judge(dominant) == (Verdict.ACCESS, "vertical")  # behavioural remedy
    assert strict.judge(dominant) == (Verdict.BLOCK, "vertical")
    assert rule.judge(pays) == (Verdict.ACCESS, "vertical")
    assert rule.judge(small) == (Verdict.CLEAR, "")
    assert rule.judge(unprofitable) == (Verdict.CLEAR, "")
    # an exclusive clause alone gives the ability; dropping it is the remedy
    clause = _vertical(0.6, 0.2, 0.1, 1.0, tie_by_control=False, exclusivity=Exclusivity.EXCLUSIVE)
    assert rule.judge(clause) == (Verdict.REMEDY, "vertical")
    # a follow-on by the firm already in control creates no new ability
    assert rule.judge(_vertical(0.6, 0.2, 0.1, 1.0, control_before=True)) == (Verdict.CLEAR, "")


def test_two_small_deals_that_together_cross_the_threshold_are_caught():
    """A controlling cloud's two 3.5 % stakes in two rival labs: each alone raises MHHI by about
    65 points (< 100); together by about 130 (> 100, in a market above 1,800)."""
    base = dict.fromkeys(("cloud", "models", "chips"), 3400.0)
    one = base | {"models": 3465.0}
    both = base | {"models": 3530.0}
    case = replace(
        _vertical(0.0, 0.0, 0.0, 0.0, tie_by_control=False),
        upstream_layer="",
        pre_mhhi=base,
        post_mhhi=one,
        capped_post_mhhi=one,
        serial_pre_mhhi=base,
        serial_post_mhhi=both,
        capped_serial_post_mhhi=both,
        serial_deals=2,
    )
    rule = make("regulator", "threshold", {})
    assert not rule.presumed_harmful(case)
    assert rule.judge(case) == (Verdict.BLOCK, "serial")
    assert rule.judge(replace(case, serial_deals=1)) == (Verdict.CLEAR, "")


def _two_small_stakes(symmetric, same_month: bool) -> AIMarket:
    labs = _controlled_labs(symmetric)
    events = [
        _deal_event(0.035, 0.6) | {"id": "S1", "target": "LabB"},
        _deal_event(0.035, 0.6) | {"id": "S2", "target": "LabC"},
    ]
    if not same_month:
        events = events[:1]
    return _run(variant(symmetric, labs=labs, events=events), 8)


def test_a_series_of_small_stakes_is_judged_together_in_a_run(symmetric):
    alone = _two_small_stakes(symmetric, same_month=False)
    together = _two_small_stakes(symmetric, same_month=True)
    assert alone.book.deals["S1"].status == "active"
    assert {together.book.deals[d].status for d in ("S1", "S2")} == {"blocked"}
    grounds = {(e["deal_id"], e["cause"]) for e in together.events.rows if e["kind"] == "harm"}
    assert grounds == {("S1", "serial"), ("S2", "serial")}


def test_mhhi_in_the_case_facts_matches_a_hand_computation(symmetric):
    """CloudA controls LabA (60 %) and buys a stated 15 % of LabB: the models MHHI rises by
    s_A s_B * 0.15 / 0.6 (LabA's controller's interest in LabB over its interest in LabA)."""
    model = _run(variant(symmetric, labs=_controlled_labs(symmetric)), 3)
    deal = model.book.create(SimpleNamespace(**_deal_event(0.15, 0.6), **_TERMS))
    case = model.info.case_facts(deal, model.ctx.regulators[0].spec)
    s = model.ctx.blocs.layer_shares["models"]
    control = model.firms["LabA"].cap_table["CloudA"]  # 60 % unless rounds diluted it
    expected = 10_000 * s["LabA"] * s["LabB"] * 0.15 / control
    assert case.post_mhhi["models"] - case.pre_mhhi["models"] == pytest.approx(expected)
    assert case.post_mhhi["cloud"] == pytest.approx(case.pre_mhhi["cloud"])
    assert not case.tie_by_control and case.upstream_layer == "cloud"


_TERMS = {
    "kind": "investment",
    "credit_share": 0.0,
    "exclusivity": "none",
    "duration_months": 48,
    "exit_penalty_bn": 0.0,
    "commit_gw": 0.0,
    "commit_price": None,
    "inhouse_chip_share": 0.0,
}


def test_a_capped_stake_closes_below_control(symmetric):
    model = _run(symmetric, 2)
    deal = model.book.create(SimpleNamespace(**_deal_event(0.6, 3.0), **_TERMS))
    model.book.sign(deal, model.ctx.regulators)
    model.book.rule(deal, "Authority", Verdict.CAP, cap=0.24)
    assert deal.active and deal.terms.amount_bn == pytest.approx(3.0 * 0.24 / 0.6)
    assert model.firms["LabB"].cap_table["CloudA"] == pytest.approx(0.24)
    assert [e["cause"] for e in model.events.rows if e["kind"] == "remedied"] == ["stake_cap"]


def test_an_access_commitment_keeps_a_controlled_lab_free_to_buy_from_any_cloud(symmetric):
    model = _run(symmetric, 2)
    clouds = [h.name for h in model.ctx.hyperscalers]
    deal = model.book.create(SimpleNamespace(**_deal_event(0.6, 3.0), **_TERMS))
    model.book.sign(deal, model.ctx.regulators)
    model.book.rule(deal, "Authority", Verdict.ACCESS)
    lab = model.firms["LabB"]
    assert lab.parent() == "CloudA"
    assert compute.allowed(lab, model.book, clouds) == clouds
    model.book.end(deal, Status.EXPIRED, "expiry")
    assert compute.allowed(lab, model.book, clouds) == ["CloudA"]  # for the deal's term only


def test_no_identical_proposal_within_the_cooling_period_after_a_block(symmetric):
    model = _run(variant(symmetric, labs=_controlled_labs(symmetric)), 2)
    deal = model.book.create(SimpleNamespace(**_deal_event(0.6, 3.0), **_TERMS))
    model.book.sign(deal, model.ctx.regulators)
    model.book.rule(deal, "Authority", Verdict.BLOCK, grounds="horizontal", cooling_months=6)
    offer = OfferTerms("LabB", 3.0)
    assert model.book.propose("CloudA", offer) is None  # the deal book's guard
    assert model.book.propose("CloudA", replace(offer, exclusivity=Exclusivity.ROFR)) is not None
    refused = [e for e in model.events.rows if e["kind"] == "refused"]
    assert [(e["agent"], e["counterparty"], e["cause"]) for e in refused] == [
        ("CloudA", "LabB", "cooling_period")
    ]
    # the strategies' rule: the block is public, and rounds_to_back skips the lab
    model.step()
    public = model.info.public
    assert public.blocked("CloudA", "LabB") and not public.blocked("CloudB", "LabB")
    raising = replace(public, raising=(RaiseInfo("LabB", 2.0, 10.0, 1.0, "", ""),))
    backed = rounds_to_back(raising, "CloudA", (), 3, 9.0, 10.0, lambda r: 1.0, lambda r: True)
    assert backed == []
    assert rounds_to_back(raising, "CloudB", (), 3, 9.0, 10.0, lambda r: 1.0, lambda r: True)
    for _ in range(6):
        model.step()
    assert model.book.propose("CloudA", offer) is not None  # the cooling period is over


def test_repeated_blocks_stop_in_a_full_run():
    """In ``baseline`` no investor re-proposes a deal to a target within the cooling period of
    its block (the built-in offers skip such targets; the deal book would refuse them)."""
    model = AIMarket("baseline", rng=1)
    while model.running:
        model.step()
    cooling = model.ctx.regulators[0].spec.cooling_months
    blocks = [e for e in model.events.rows if e["kind"] == "blocked"]
    proposed = [e for e in model.events.rows if e["kind"] == "proposed"]
    for b in blocks:
        deal = model.book.deals[b["deal_id"]]
        again = [
            p
            for p in proposed
            if (p["agent"], p["counterparty"]) == (deal.investor, deal.target)
            and b["tick"] < p["tick"] < b["tick"] + cooling
        ]
        assert again == []


def test_regulators_measure_the_cloud_layer_without_captive_revenue(symmetric):
    """CloudA controls LabA, which may buy only from its parent: that revenue is captive. The
    regulator's cloud shares (case facts, MHHI, bloc HHI) leave it out, recomputed here from the
    ledger rows of the last month; the recorded layer shares keep it."""
    model = AIMarket(variant(symmetric, labs=_controlled_labs(symmetric)), rng=0, detail=True)
    for _ in range(3):
        model.step()
    rows = pd.DataFrame(model.ledger.rows, columns=list(ROW_COLUMNS))
    sales = rows[(rows.tick == model.ctx.world.tick) & rows.kind.isin(money.CLOUD_REVENUE)]
    captive = (sales.source_group == sales.target_group) | (
        sales.origin_group == sales.target_group
    )
    revenue = sales.groupby("target").amount.sum()
    merchant = sales[~captive].groupby("target").amount.sum().reindex(revenue.index, fill_value=0)
    expected, with_captive = merchant / merchant.sum(), revenue / revenue.sum()
    assert with_captive["CloudA"] > expected["CloudA"] + 0.05  # captive revenue matters here
    deal = model.book.create(SimpleNamespace(**_deal_event(0.15, 0.6), **_TERMS))
    case = model.info.case_facts(deal, model.ctx.regulators[0].spec)
    assert case.upstream_share == pytest.approx(expected["CloudA"])
    assert case.combined_share["cloud"] == pytest.approx(expected["CloudA"])
    hhi = 10_000 * (expected**2).sum()  # clouds hold no stakes in clouds: MHHI = HHI
    assert case.pre_mhhi["cloud"] == pytest.approx(hhi)
    assert model.info.bloc_hhi()["cloud"] == pytest.approx(hhi)  # LabA has no cloud share
    assert model.rows[-1]["hhi_cloud"] == pytest.approx(10_000 * (with_captive**2).sum())


def test_a_vertical_market_investigation_opens_access_to_the_leading_blocs_labs(symmetric):
    model = _run(variant(symmetric, labs=_controlled_labs(symmetric)), 3)
    regulator = model.ctx.regulators[0]
    blocs = model.ctx.blocs
    share = model.info.vertical_shares()["cloud-models"]
    recorded = vertical_share(blocs.shares("cloud"), blocs.shares("models"))
    assert share[1] == recorded[1] == "CloudA"  # CloudA's bloc: its cloud and LabA
    assert 0.2 < share[0] < recorded[0]  # without LabA's (captive) purchases from its parent
    for _ in range(2):
        regulator.track_concentration({}, {"cloud-models": 0.9})
    assert regulator.months_concentrated["cloud-models"] == 2
    clouds = [h.name for h in model.ctx.hyperscalers]
    assert compute.allowed(model.firms["LabA"], model.book, clouds) == ["CloudA"]
    regulation.investigation_remedy("cloud-models", "Authority", model.ctx)
    assert model.book.access_labs == {"LabA"}
    assert compute.allowed(model.firms["LabA"], model.book, clouds) == clouds


def test_the_foreclosure_cost_counts_only_compute_sold_to_labs(monkeypatch):
    """Input foreclosure withholds compute from rival labs: the sales it gives up are the
    investor's share of the clouds' sales to labs, not of their sales to every buyer."""
    from aimarket import information

    seen = []
    case_facts = information.Information.case_facts

    def spy(self, deal, spec):
        facts = case_facts(self, deal, spec)
        to_labs = sum(sum(h.revenue_by_lab.values()) for h in self.ctx.hyperscalers)
        everyone = sum(h.revenue for h in self.ctx.hyperscalers)
        seen.append((facts, spec.foreclosure_margin_up, to_labs, everyone))
        return facts

    monkeypatch.setattr(information.Information, "case_facts", spy)
    model = AIMarket("baseline", rng=1)
    for _ in range(8):
        model.step()
    clouds = [s for s in seen if s[0].upstream_layer == "cloud" and s[0].upstream_share > 0]
    assert clouds
    for facts, margin, to_labs, everyone in clouds:
        expected = margin * facts.upstream_share * to_labs * (1 - facts.downstream_share)
        assert facts.foreclosure_cost_bn == pytest.approx(expected)
        assert to_labs < everyone  # clouds also sell to other buyers, which do not count
