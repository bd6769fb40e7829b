"""A user strategy: a cloud that rents compute to every lab and never takes stakes."""

import numpy as np

from aimarket.strategies import register
from aimarket.strategies.base import HyperscalerDecision, HyperscalerObs, Param, Strategy


@register
class Landlord(Strategy):
    """Builds to last month's demand plus a margin, prices to utilisation, never invests."""

    name = "my-landlord"
    agent_type = "hyperscaler"
    description = "builds to recent demand plus a margin, prices to utilisation, never invests"
    classifier = {"uses": ["own demand", "own capacity"], "stochastic": False, "adaptive": False}
    params = {
        "margin": Param(0.2, "fraction", "spare capacity kept above last month's demand", ge=0),
        "capex_share": Param(0.2, "fraction/month", "most of its cash spent on shells", ge=0, le=1),
        "price_step": Param(
            0.05, "1/month", "price change per unit of utilisation above 90 %", ge=0
        ),
    }

    def decide(self, obs: HyperscalerObs, rng: np.random.Generator) -> HyperscalerDecision:
        p = self.p
        demand = obs.demand_history[-1] if obs.demand_history else obs.capacity_eff_gw
        coming = obs.capacity_eff_gw + (obs.pipeline_gw + obs.waiting_gw) * obs.efficiency_new
        gap_gw = max(demand * (1 + p["margin"]) - coming, 0.0) / obs.efficiency_new
        budget_gw = max(obs.cash_bn, 0.0) * p["capex_share"] / obs.build_cost_per_gw
        utilisation = demand / max(obs.capacity_eff_gw, 1e-9)
        price = obs.price * (1 + p["price_step"] * np.clip(utilisation - 0.9, -0.5, 0.5))
        return HyperscalerDecision(
            build_gw=min(gap_gw, budget_gw),
            price=max(price, 1.1 * obs.opex_per_eff_gw),
            loosen={d.id: True for d in obs.loosen_requests},  # never holds a lab to a clause
        )
