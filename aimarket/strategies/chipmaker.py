"""Chipmaker strategies: pricing, production capacity, stakes in customers' labs, rationing.

``MerchantSeller`` holds the price and capacity rules; ``Kingmaker`` adds investment offers and
``StrategicRationer`` holds its price when short and serves its partners first.
"""

from __future__ import annotations

import numpy as np

from aimarket.strategies.base import (
    ChipmakerDecision,
    ChipmakerObs,
    OfferTerms,
    Param,
    Strategy,
    rounds_to_back,
)
from aimarket.strategies.registry import register


def order_ratio(obs: ChipmakerObs) -> float:
    """Last month's orders over supply (1 with no history)."""
    orders = obs.demand_history[-1] if obs.demand_history else obs.supply_gw
    return orders / max(obs.supply_gw, 1e-9)


@register
class MerchantSeller(Strategy):
    """Sells to all at a price that follows excess demand; expands when sold out."""

    name = "merchant-seller"
    agent_type = "chipmaker"
    description = "sells to all comers, prices to excess demand, expands capacity when sold out"
    classifier = {"uses": ["own orders"], "stochastic": False, "adaptive": False}
    params = {
        "price_step": Param(0.05, "1/month", "price change per unit of excess demand"),
        "min_markup": Param(0.2, "fraction", "lowest margin over unit cost"),
        "expand_at": Param(0.95, "fraction", "orders/supply ratio above which it expands"),
    }

    def decide(self, obs: ChipmakerObs, rng: np.random.Generator) -> ChipmakerDecision:
        p = self.p
        ratio = order_ratio(obs)
        step = np.clip(ratio - 1.0, -0.5, 1.0) * p["price_step"]
        price = max(
            obs.price * (1 + self.price_change(step)), obs.unit_cost * (1 + p["min_markup"])
        )
        expand = (
            obs.supply_gw * (obs.max_supply_growth_per_month - 1) if ratio > p["expand_at"] else 0.0
        )
        return ChipmakerDecision(price=price, expand_gw=expand)

    def price_change(self, step: float) -> float:
        """Relative price change this month given the excess-demand step."""
        return step


@register
class Kingmaker(MerchantSeller):
    """Invests in raising labs that run on its customers' clouds (or on any cloud)."""

    name = "kingmaker"
    description = "invests cash (no clauses) in raising labs whose compute runs on its customers"
    classifier = {
        "uses": ["own orders", "own sales", "raising labs"],
        "stochastic": False,
        "adaptive": False,
    }
    params = {
        **MerchantSeller.params,
        "invest_share": Param(0.05, "fraction", "most of its cash offered to one lab"),
        "max_labs": Param(3, "count", "most labs it backs"),
        "capability_gap": Param(1.0, "OOM", "backs only labs within this gap of the frontier"),
        "duration_months": Param(60, "months", "term of its deals"),
    }

    def decide(self, obs: ChipmakerObs, rng: np.random.Generator) -> ChipmakerDecision:
        decision = super().decide(obs, rng)
        decision.offers = self._offers(obs)
        return decision

    def _offers(self, obs: ChipmakerObs) -> list[OfferTerms]:
        """Cash offers to labs unrestricted or bound to a cloud that bought its chips."""
        p = self.p
        customers = {cloud for cloud, gw in obs.sales_by_cloud.items() if gw > 0}
        rounds = rounds_to_back(
            obs.public,
            obs.name,
            obs.backed_labs,
            int(p["max_labs"]),
            p["capability_gap"],
            max(obs.cash_bn, 0.0),
            lambda r: min(r.ask_bn, max(obs.cash_bn, 0.0) * p["invest_share"]),
            lambda r: r.restricted_to in ("", *customers),
        )
        months = int(p["duration_months"])
        return [OfferTerms(r.lab, amount, duration_months=months) for r, amount in rounds]


@register
class StrategicRationer(MerchantSeller):
    """When orders exceed supply it rations rather than prices: a capped price rise, and its
    largest customers (by GW bought over 12 months) are served first."""

    name = "strategic-rationer"
    description = "when supply is short, holds its price and serves its largest customers first"
    classifier = {"uses": ["own orders", "own sales"], "stochastic": False, "adaptive": False}
    params = {
        **MerchantSeller.params,
        "partners": Param(1, "count", "largest customers it serves first when short"),
        "max_rise": Param(0.01, "1/month", "largest relative price rise a month"),
    }

    def decide(self, obs: ChipmakerObs, rng: np.random.Generator) -> ChipmakerDecision:
        decision = super().decide(obs, rng)
        if order_ratio(obs) > 1.0:
            ranked = sorted(obs.sales_by_cloud.items(), key=lambda kv: (-kv[1], kv[0]))
            decision.priority = [cloud for cloud, gw in ranked[: int(self.p["partners"])] if gw > 0]
        return decision

    def price_change(self, step: float) -> float:
        return min(step, self.p["max_rise"])
