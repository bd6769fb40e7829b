"""Hyperscaler strategies: capacity building, pricing, chip sourcing and investment offers."""

from __future__ import annotations

import numpy as np

from aimarket.deals import Exclusivity
from aimarket.strategies import register
from aimarket.strategies.base import (
    HyperscalerDecision,
    HyperscalerObs,
    OfferTerms,
    Param,
    Strategy,
)


def demand_growth(history: tuple[float, ...], window: int = 6) -> float:
    """Monthly growth factor of a demand history over ``window`` months, clipped to [0.97, 1.12]."""
    if len(history) <= window or history[-window - 1] <= 1e-9:
        return 1.0
    return float(np.clip((history[-1] / history[-window - 1]) ** (1 / window), 0.97, 1.12))


@register
class CapacityPlanner(Strategy):
    """Builds to forecast demand, prices to utilisation, backs promising labs that are raising."""

    name = "capacity-planner"
    agent_type = "hyperscaler"
    description = "builds to forecast demand, prices to utilisation, invests in raising labs"
    classifier = {"uses": ["own demand", "raising labs"], "stochastic": False, "adaptive": False}
    params = {
        "headroom": Param(0.15, "fraction", "spare capacity targeted above forecast demand"),
        "capex_share": Param(0.3, "fraction/month", "most of cash spent on new capacity a month"),
        "target_utilisation": Param(0.9, "fraction", "utilisation at which the price is held"),
        "price_step": Param(0.05, "1/month", "price change per unit of excess utilisation"),
        "exclusivity": Param("none", "-", "clause asked for in offers: none, rofr or exclusive"),
        "credit_share": Param(0.5, "fraction", "share of an investment paid as compute credits"),
        "invest_share": Param(0.05, "fraction", "most of its cash offered to one lab"),
        "max_labs": Param(2, "count", "most labs it backs"),
        "capability_gap": Param(1.0, "OOM", "backs only labs within this gap of the frontier"),
        "penalty_share": Param(0.2, "fraction", "exit penalty as a share of the investment"),
        "duration_months": Param(60, "months", "term of its deals"),
        "rd_bn": Param(0.0, "USD bn/month", "in-house chip R&D spend"),
        "loosen_when_short": Param(True, "-", "agrees to loosen a clause it cannot serve"),
    }

    def decide(self, obs: HyperscalerObs, rng: np.random.Generator) -> HyperscalerDecision:
        p = self.p
        demand = obs.demand_history[-1] if obs.demand_history else obs.capacity_eff_gw
        growth = demand_growth(obs.demand_history)
        lead = obs.build_lead_months
        target = max(demand, obs.committed_gw) * growth**lead * (1 + p["headroom"])
        projected = (
            obs.capacity_eff_gw * obs.keep_per_month**lead
            + (obs.pipeline_gw + obs.waiting_gw) * obs.efficiency_new
        )
        budget = max(obs.cash_bn, 0.0) * p["capex_share"]
        build = max(target - projected, 0.0) / obs.efficiency_new
        build = min(build, budget / max(obs.build_cost_per_gw, 1e-9))
        utilisation = demand / max(obs.capacity_eff_gw, 1e-9)
        step = np.clip(utilisation - p["target_utilisation"], -0.5, 0.5) * p["price_step"]
        price = max(obs.price * (1 + step), obs.opex_per_eff_gw * 1.1)
        merchant = obs.build_cost_per_gw
        inhouse = (
            min(1.0, obs.inhouse_maturity)
            if obs.inhouse_maturity > 0
            and obs.inhouse_cost_per_gw / obs.inhouse_maturity < merchant
            else 0.0
        )
        inhouse = max(inhouse, obs.inhouse_commit_share)
        return HyperscalerDecision(
            build_gw=build,
            inhouse_share=inhouse,
            rd_bn=min(p["rd_bn"], max(obs.cash_bn, 0.0) * 0.1),
            price=price,
            offers=self._offers(obs),
            loosen={
                d.id: bool(p["loosen_when_short"]) and obs.shortfall_by_lab.get(d.target, 0.0) > 0
                for d in obs.loosen_requests
            },
        )

    def _offers(self, obs: HyperscalerObs) -> list[OfferTerms]:
        p = self.p
        room = int(p["max_labs"]) - len(obs.backed_labs)
        offers = []
        for r in sorted(obs.public.raising, key=lambda r: -r.capability):
            follow_on = r.lab in obs.backed_labs
            if (not follow_on and room <= 0) or r.controlled_by not in ("", obs.name):
                continue
            if r.restricted_to not in ("", obs.name):
                continue
            if r.capability < obs.public.frontier_capability - p["capability_gap"]:
                continue
            amount = min(r.ask_bn, max(obs.cash_bn, 0.0) * p["invest_share"])
            if amount <= 0.05:
                continue
            credits = amount * p["credit_share"]
            months = int(p["duration_months"])
            offers.append(
                OfferTerms(
                    target=r.lab,
                    amount_bn=amount,
                    credit_share=p["credit_share"],
                    exclusivity=Exclusivity(p["exclusivity"]),
                    duration_months=months,
                    exit_penalty_bn=amount * p["penalty_share"],
                    commit_gw=credits / (months * obs.price),
                )
            )
            room -= 0 if follow_on else 1
        return offers
