"""AI lab strategies: pricing, training budget, fundraising, offers and exclusivity."""

from __future__ import annotations

import numpy as np

from aimarket.deals import Cause, Exclusivity
from aimarket.strategies import register
from aimarket.strategies.base import LabDecision, LabObs, OfferView, Param, Strategy

CLAUSE_WEIGHT = {Exclusivity.NONE: 0.0, Exclusivity.ROFR: 0.3, Exclusivity.EXCLUSIVE: 1.0}


@register
class Balanced(Strategy):
    """Logit best-response pricing, spends to a runway target, weighs offers' strings."""

    name = "balanced"
    agent_type = "lab"
    description = "prices to the logit best response, spends to a runway, weighs offers' strings"
    classifier = {"uses": ["own state", "offers", "prices"], "stochastic": False, "adaptive": False}
    params = {
        "compute_growth_per_year": Param(3.0, "x/yr", "growth of the training compute it aims for"),
        "min_runway_months": Param(6, "months", "never spends cash faster than this runway"),
        "raise_trigger_months": Param(12, "months", "raises money when runway falls below this"),
        "raise_target_months": Param(24, "months", "runway sought when raising"),
        "price_sensitivity": Param(2.0, "utility per reference cost", "assumed demand slope"),
        "price_adjust": Param(0.5, "fraction", "partial adjustment toward the target price"),
        "exclusivity_aversion": Param(0.3, "fraction of amount", "cost of a full exclusive clause"),
        "credit_discount": Param(0.2, "fraction", "value lost per USD of credits vs cash"),
        "control_aversion": Param(0.5, "fraction of amount", "cost of ceding a controlling stake"),
        "control_stake": Param(0.25, "fraction", "stake it counts as control"),
        "patience_months": Param(6, "months", "shortfall window before it acts"),
        "shortfall_tolerance": Param(0.2, "fraction", "mean unmet share it tolerates"),
    }

    def decide(self, obs: LabObs, rng: np.random.Generator) -> LabDecision:
        p = self.p
        cost = obs.expected_compute_price / max(obs.reference_compute_price, 1e-9)
        target = cost + 1.0 / (p["price_sensitivity"] * max(1.0 - obs.usage_share, 0.05))
        price = obs.price + p["price_adjust"] * (target - obs.price)
        free_cash = max(obs.cash_bn, 0.0) + sum(obs.credits_bn.values())
        serving = obs.serving_need_gw * obs.expected_compute_price
        aim_gw = max(obs.training_gw, obs.maintenance_gw) * p["compute_growth_per_year"] ** (1 / 12)
        wanted = obs.staff_cost_bn + serving + aim_gw * obs.expected_compute_price
        affordable = obs.revenue_bn + free_cash / p["min_runway_months"]
        training = max(0.0, min(wanted, affordable) - obs.staff_cost_bn - serving)
        burn = max(wanted - obs.revenue_bn, 1e-6)
        runway = free_cash / burn
        raise_bn = burn * p["raise_target_months"] if runway < p["raise_trigger_months"] else 0.0
        accept = self._accept(obs, raise_bn)
        request, broken = self._exclusivity(obs, accept)
        return LabDecision(
            price=price,
            training_budget_bn=training,
            raise_bn=raise_bn,
            accept=accept,
            request_loosen=request,
            break_deals=broken,
        )

    def value(self, obs: LabObs, offer: OfferView) -> float:
        """USD bn the offer is worth to the lab net of its strings."""
        p = self.p
        worth = offer.amount_bn * (1 - offer.credit_share * p["credit_discount"])
        clause = CLAUSE_WEIGHT[offer.exclusivity] * p["exclusivity_aversion"] * offer.amount_bn
        if offer.investor_capacity_eff_gw > 0 and offer.exclusivity is not Exclusivity.NONE:
            need = max(obs.serving_need_gw, 1e-6) * 3  # room to grow
            clause *= 1 + max(0.0, 1 - offer.investor_capacity_eff_gw / need)
        control = (
            p["control_aversion"] * offer.amount_bn if offer.stake >= p["control_stake"] else 0.0
        )
        conflict = sum(
            d.exit_penalty_bn
            for d in obs.deals
            if d.investor != offer.investor
            and Exclusivity.EXCLUSIVE in (d.exclusivity, offer.exclusivity)
            and d.exclusivity is not Exclusivity.NONE
        )
        return worth - clause - control - conflict

    def _accept(self, obs: LabObs, raise_bn: float) -> list[str]:
        scored = sorted(((self.value(obs, o), o) for o in obs.offers), key=lambda x: -x[0])
        accepted, total = [], 0.0
        want = max(raise_bn, obs.staff_cost_bn * 12) * 1.5
        for value, offer in scored:
            if value <= 0 or total >= want:
                continue
            accepted.append(offer.id)
            total += offer.amount_bn
        return accepted

    def _exclusivity(self, obs: LabObs, accepted: list[str]) -> tuple[list[str], dict[str, str]]:
        """Request loosening when short of compute; break if refused, or if an accepted offer
        conflicts with a clause."""
        p = self.p
        window = obs.shortfall_history[-int(p["patience_months"]) :]
        short = len(window) >= p["patience_months"] and np.mean(window) > p["shortfall_tolerance"]
        chosen = [o for o in obs.offers if o.id in accepted]
        request: list[str] = []
        broken: dict[str, str] = {}
        for d in obs.deals:
            if d.exclusivity is Exclusivity.NONE:
                continue
            if any(
                o.investor != d.investor and Exclusivity.EXCLUSIVE in (d.exclusivity, o.exclusivity)
                for o in chosen
            ):
                broken[d.id] = Cause.BETTER_OUTSIDE_OFFER
            elif short and d.loosen_refused and obs.cash_bn > 1.2 * d.exit_penalty_bn:
                broken[d.id] = Cause.CAPACITY_SHORTFALL
            elif short and not (d.loosen_requested or d.loosen_refused):
                request.append(d.id)
        return request, broken
