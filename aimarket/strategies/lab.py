"""AI lab strategies: pricing, training budget, fundraising, offers and exclusivity.

``Balanced`` holds the pricing, runway and fundraising rules; the variants override only how
offers are valued (``value``; ``-inf`` refuses) and the clause policy (``is_short``,
``wants_loosening``, ``may_break``).
"""

from __future__ import annotations

import numpy as np

from aimarket.clauses import Exclusivity
from aimarket.deals import Cause
from aimarket.strategies.base import DealView, LabDecision, LabObs, OfferView, Param, Strategy
from aimarket.strategies.registry import register


def conflicts(deal: DealView | OfferView, offer: OfferView) -> bool:
    """Accepting ``offer`` from another investor breaks the clause of ``deal`` (a deal in force or
    an offer accepted first): ``deal`` has a clause and either one is exclusive."""
    return (
        deal.investor != offer.investor
        and deal.exclusivity is not Exclusivity.NONE
        and Exclusivity.EXCLUSIVE in (deal.exclusivity, offer.exclusivity)
    )


@register
class Balanced(Strategy):
    """Logit best-response pricing, spends to a runway target, weighs offers' strings."""

    name = "balanced"
    agent_type = "lab"
    description = "prices to the logit best response, spends to a runway, weighs offers' strings"
    classifier = {"uses": ["own state", "offers", "prices"], "stochastic": False, "adaptive": False}
    params = {
        "compute_growth_per_year": Param(
            3.0, "x/yr", "growth of the training compute it aims for", gt=0
        ),
        "min_runway_months": Param(
            6, "months", "never spends cash faster than this runway", kind=float, gt=0
        ),
        "raise_trigger_months": Param(
            12, "months", "raises money when runway falls below this", kind=float, ge=0
        ),
        "raise_target_months": Param(24, "months", "runway sought when raising", kind=float, ge=0),
        "price_sensitivity": Param(
            2.0,
            "utility per start serving cost",
            "assumed price coefficient of users' demand",
            gt=0,
        ),
        "price_adjust": Param(
            0.5, "fraction", "partial adjustment toward the target price", ge=0, le=1
        ),
        "credit_discount": Param(
            0.2, "fraction", "value lost per USD of credits vs cash", ge=0, le=1
        ),
        "planning_months": Param(
            24, "months", "horizon over which it prices a clause's costs", ge=1
        ),
        "shortfall_value": Param(
            1.0, "USD per USD", "value lost per USD of compute it needs but cannot buy", ge=0
        ),
        "capacity_headroom": Param(
            3.0, "x", "growth of its compute needs a partner must be able to serve", ge=1
        ),
        "patience_months": Param(6, "months", "shortfall window before it acts", ge=0),
        "shortfall_tolerance": Param(0.2, "fraction", "mean unmet share it tolerates", ge=0, le=1),
        "accept_cover": Param(
            1.5,
            "x",
            "accepts offers up to this times its ask (or a year of staff costs) (ASSUMPTION)",
            ge=0,
        ),
        "break_cash_cover": Param(
            1.2,
            "x",
            "breaks a refused clause only with cash above this times the penalty (ASSUMPTION)",
            ge=0,
        ),
    }

    def decide(self, obs: LabObs, rng: np.random.Generator) -> LabDecision:
        p = self.p
        markup = obs.price_unit_bn / (p["price_sensitivity"] * max(1.0 - obs.usage_share, 0.05))
        target = obs.serving_cost_per_unit + markup  # logit best response, USD bn per usage unit
        price = obs.price + p["price_adjust"] * (target - obs.price)
        free_cash = max(obs.cash_bn, 0.0) + sum(obs.credits_bn.values())
        serving = obs.serving_need_gw * obs.expected_compute_price
        growth = p["compute_growth_per_year"] ** (1 / 12)
        # grows from what it trained, holds its plan through a supplier's shortfall
        aim_gw = max(obs.training_gw * growth, obs.planned_training_gw, obs.maintenance_gw * growth)
        wanted = obs.staff_cost_bn + serving + aim_gw * obs.expected_compute_price
        affordable = obs.revenue_bn + free_cash / p["min_runway_months"]
        training = max(0.0, min(wanted, affordable) - obs.staff_cost_bn - serving)
        burn = max(wanted - obs.revenue_bn, 1e-6)
        runway = free_cash / burn
        raise_bn = burn * p["raise_target_months"] if runway < p["raise_trigger_months"] else 0.0
        accepted = self._accept(obs, raise_bn)
        request, broken = self._exclusivity(obs, accepted)
        return LabDecision(
            price=price,
            training_budget_bn=training,
            raise_bn=raise_bn,
            accept=[o.id for o in accepted],
            surplus_bn={o.id: self.value(obs, o) for o in accepted},
            request_loosen=request,
            break_deals=broken,
        )

    def value(self, obs: LabObs, offer: OfferView) -> float:
        """USD bn the offer is worth to the lab: the money (credits at a discount), plus what its
        compute contract saves against the spot market, less what binding itself costs in
        compute over its planning horizon, less the exit penalties of the clauses it would
        break. Shares sold at the market valuation cost nothing beyond the money they bring; a
        cloud taking a majority binds the lab as an exclusive clause does (a parent's cloud is
        its only provider)."""
        worth = offer.amount_bn * (1 - offer.credit_share * self.p["credit_discount"])
        clause = offer.exclusivity
        if offer.investor_type == "hyperscaler" and offer.stake_after >= 0.5:
            clause = Exclusivity.EXCLUSIVE
        conflict = sum(d.exit_penalty_bn for d in obs.deals if conflicts(d, offer))
        contract = self.contract_value(obs, offer)
        return worth + contract - self.binding_cost(obs, offer, clause) - conflict

    def contract_value(self, obs: LabObs, offer: OfferView) -> float:
        """USD bn the offer's take-or-pay compute is worth over ``planning_months`` (at most the
        term): on the compute it needs, the spot price plus its recent unmet share at
        ``shortfall_value``, less the contract price; compute beyond its needs is paid for and
        wasted."""
        if offer.commit_gw <= 0:
            return 0.0
        p = self.p
        months = min(offer.duration_months, p["planning_months"])
        prices = obs.public.compute_prices
        spot = prices.get(offer.investor, obs.expected_compute_price)
        recent = obs.shortfall_history[-6:]
        short = float(np.mean(recent)) if recent else 0.0
        need = obs.serving_need_gw + obs.planned_training_gw
        used = min(offer.commit_gw, need)
        gain = (
            used * spot * (1 + short * p["shortfall_value"]) - offer.commit_gw * offer.commit_price
        )
        return months * gain

    def binding_cost(self, obs: LabObs, offer: OfferView, clause: Exclusivity) -> float:
        """USD bn an exclusive tie to the offering cloud costs over ``planning_months`` (at most
        the term): its price above the cheapest cloud's on every USD of compute, and the compute
        it needs (growing ``capacity_headroom`` times) that the cloud's capacity cannot serve,
        valued at ``shortfall_value``. A right of first refusal leaves it free to buy elsewhere:
        no cost here."""
        if clause is not Exclusivity.EXCLUSIVE or offer.investor_type != "hyperscaler":
            return 0.0
        p = self.p
        months = min(offer.duration_months, p["planning_months"])
        prices = obs.public.compute_prices
        own = prices.get(offer.investor, obs.expected_compute_price)
        premium = max(own - min(prices.values(), default=own), 0.0) / max(own, 1e-9)
        need = max(obs.serving_need_gw + obs.planned_training_gw, 1e-9) * p["capacity_headroom"]
        short = max(0.0, 1.0 - offer.investor_capacity_eff_gw / need)
        spend = max(obs.spend_bn - obs.staff_cost_bn, 0.0)  # USD bn/month of compute
        return months * spend * (premium + short * p["shortfall_value"])

    def is_short(self, obs: LabObs) -> bool:
        """The last ``patience_months`` shortfalls exist and average above the tolerance."""
        n = int(self.p["patience_months"])
        window = obs.shortfall_history[-n:] if n > 0 else ()
        return len(window) >= n and float(np.mean(window or (0.0,))) > self.p["shortfall_tolerance"]

    def wants_loosening(self, obs: LabObs, deal: DealView, short: bool) -> bool:
        """Asks its investor to loosen ``deal``'s clause (no request may be pending)."""
        return short

    def may_break(self, obs: LabObs, deal: DealView) -> bool:
        """Breaks a clause whose loosening was refused if its cash covers the penalty well."""
        return obs.cash_bn > self.p["break_cash_cover"] * deal.exit_penalty_bn

    def _accept(self, obs: LabObs, raise_bn: float) -> list[OfferView]:
        scored = sorted(((self.value(obs, o), o) for o in obs.offers), key=lambda x: -x[0])
        accepted: list[OfferView] = []
        total = 0.0
        want = max(raise_bn, obs.staff_cost_bn * 12) * self.p["accept_cover"]
        for value, offer in scored:
            if value <= 0 or total >= want or any(conflicts(a, offer) for a in accepted):
                continue
            accepted.append(offer)
            total += offer.amount_bn
        return accepted

    def _exclusivity(
        self, obs: LabObs, accepted: list[OfferView]
    ) -> tuple[list[str], dict[str, str]]:
        """Request loosening when short of compute; break if refused, or if an accepted offer
        conflicts with a clause."""
        short = self.is_short(obs)
        request: list[str] = []
        broken: dict[str, str] = {}
        for d in obs.deals:
            if d.exclusivity is Exclusivity.NONE:
                continue
            if any(conflicts(d, o) for o in accepted):
                broken[d.id] = Cause.BETTER_OUTSIDE_OFFER
            elif short and d.loosen_refused and self.may_break(obs, d):
                broken[d.id] = Cause.CAPACITY_SHORTFALL
            elif not (d.loosen_requested or d.loosen_refused) and self.wants_loosening(
                obs, d, short
            ):
                request.append(d.id)
        return request, broken


@register
class LoyalPartner(Balanced):
    """Sticks with its investors: favours their follow-ons, never breaks a clause."""

    name = "loyal-partner"
    description = "favours its investors' follow-ons, refuses conflicting offers, never breaks"
    params = {
        **Balanced.params,
        "loyalty_bonus": Param(
            0.2, "fraction of amount", "extra value of a current investor", ge=0
        ),
    }

    def value(self, obs: LabObs, offer: OfferView) -> float:
        if any(conflicts(d, offer) for d in obs.deals):
            return float("-inf")
        partner = any(d.investor == offer.investor for d in obs.deals)
        bonus = self.p["loyalty_bonus"] * offer.amount_bn if partner else 0.0
        return super().value(obs, offer) + bonus

    def may_break(self, obs: LabObs, deal: DealView) -> bool:
        return False


@register
class MultiHomer(Balanced):
    """Buys compute from several clouds: refuses every clause, asks to loosen those it has."""

    name = "multi-homer"
    description = "refuses exclusive and ROFR clauses and asks to loosen any it is bound by"

    def value(self, obs: LabObs, offer: OfferView) -> float:
        if offer.exclusivity is not Exclusivity.NONE:
            return float("-inf")
        return super().value(obs, offer)

    def wants_loosening(self, obs: LabObs, deal: DealView, short: bool) -> bool:
        return True

    def may_break(self, obs: LabObs, deal: DealView) -> bool:
        return False


@register
class CapacitySeeker(Balanced):
    """Compute first: values an investor by its capacity, loosens then breaks when short."""

    name = "capacity-seeker"
    description = "values offers by the investor's capacity; loosens, then breaks, when short"
    classifier = {
        "uses": ["own state", "offers", "prices", "shortfall history"],
        "stochastic": False,
        "adaptive": False,
    }
    params = {
        **Balanced.params,
        "patience_months": Balanced.params["patience_months"].with_default(3),
        "shortfall_tolerance": Balanced.params["shortfall_tolerance"].with_default(0.05),
        "min_capacity_ratio": Param(
            3.0,
            "x",
            "refuses a clause from a cloud with less capacity than this times its need",
            ge=0,
        ),
    }

    def value(self, obs: LabObs, offer: OfferView) -> float:
        need = max(obs.serving_need_gw + obs.training_gw, 1e-6)
        small = offer.investor_capacity_eff_gw < self.p["min_capacity_ratio"] * need
        if offer.exclusivity is not Exclusivity.NONE and small:
            return float("-inf")
        return super().value(obs, offer)

    def may_break(self, obs: LabObs, deal: DealView) -> bool:
        return obs.cash_bn >= deal.exit_penalty_bn


@register
class IndependenceMaximiser(Balanced):
    """Keeps every investor small: refuses control and exclusivity, prefers small stakes."""

    name = "independence-maximiser"
    description = "refuses offers that hand an investor control; prefers small stakes from many"
    params = {
        **Balanced.params,
        "max_investor_stake": Param(
            0.2, "fraction", "largest stake it lets one investor hold", gt=0, le=1
        ),
        "stake_aversion": Param(
            1.0,
            "fraction of amount",
            "cost of a stake at max_investor_stake (linear below)",
            ge=0,
        ),
    }

    def value(self, obs: LabObs, offer: OfferView) -> float:
        cap = self.p["max_investor_stake"]
        if offer.stake_after >= cap or offer.exclusivity is Exclusivity.EXCLUSIVE:
            return float("-inf")
        cost = self.p["stake_aversion"] * offer.amount_bn * offer.stake_after / cap
        return super().value(obs, offer) - cost
