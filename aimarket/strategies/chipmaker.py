"""Chipmaker strategies: pricing and production capacity."""

from __future__ import annotations

import numpy as np

from aimarket.strategies import register
from aimarket.strategies.base import ChipmakerDecision, ChipmakerObs, Param, Strategy


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
        orders = obs.demand_history[-1] if obs.demand_history else obs.supply_gw
        ratio = orders / max(obs.supply_gw, 1e-9)
        step = np.clip(ratio - 1.0, -0.5, 1.0) * p["price_step"]
        price = max(obs.price * (1 + step), obs.unit_cost * (1 + p["min_markup"]))
        expand = (
            obs.supply_gw * (obs.max_supply_growth_per_month - 1) if ratio > p["expand_at"] else 0.0
        )
        return ChipmakerDecision(price=price, expand_gw=expand)
