"""Regulator strategies: what each rule clears, remedies, blocks and strips."""

from __future__ import annotations

import numpy as np

from aimarket.clauses import Exclusivity
from aimarket.model import AIMarket
from aimarket.strategies import make
from aimarket.strategies.base import CaseFacts, PublicInfo, RegulatorObs, Verdict
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
    big = _run(variant(symmetric, labs=labs, events=[_deal_event(0.6, 3.0)]), 8)
    small = _run(variant(symmetric, labs=labs, events=[_deal_event(0.05, 0.6)]), 8)
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
    model = AIMarket(variant(symmetric, regulators=regulators, deals=deals), rng=0)
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
