"""A user strategy: a cloud that rents compute to every lab and never takes stakes."""

import numpy as np

from aimarket.strategies import register
from aimarket.strategies.base import HyperscalerDecision, HyperscalerObs, Param, Strategy


@register
class Landlord(Strategy):
    """Builds to last month's demand plus a margin, never sells below its capacity cost, never
    invests."""

    name = "my-landlord"
    agent_type = "hyperscaler"
    description = "builds to recent demand plus a margin, sells at capacity cost or more, no stakes"
    classifier = {"uses": ["own demand", "own capacity"], "stochastic": False, "adaptive": False}
    params = {
        "margin": Param(0.2, "fraction", "spare capacity kept above last month's demand", ge=0),
        "capex_share": Param(0.2, "fraction/month", "most of its cash spent on shells", ge=0, le=1),
    }

    def decide(self, obs: HyperscalerObs, rng: np.random.Generator) -> HyperscalerDecision:
        p = self.p
        demand = obs.demand_history[-1] if obs.demand_history else obs.capacity_eff_gw
        coming = obs.capacity_eff_gw + (obs.pipeline_gw + obs.waiting_gw) * obs.efficiency_new
        gap_gw = max(demand * (1 + p["margin"]) - coming, 0.0) / obs.efficiency_new
        budget_gw = max(obs.cash_bn, 0.0) * p["capex_share"] / obs.build_cost_per_gw
        return HyperscalerDecision(
            build_gw=min(gap_gw, budget_gw),
            price=obs.capacity_cost_per_eff_gw,  # its reserve: the spot market clears above it
            loosen={d.id: True for d in obs.loosen_requests},  # never holds a lab to a clause
        )
