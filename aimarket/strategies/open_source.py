"""Open-weight project strategies: how much of their funding goes into training."""

from __future__ import annotations

import numpy as np

from aimarket.strategies import register
from aimarket.strategies.base import OpenSourceDecision, OpenSourceObs, Param, Strategy


@register
class CommunityFunded(Strategy):
    """Spends what it receives on training, keeping a small reserve."""

    name = "community-funded"
    agent_type = "open_source"
    description = "spends its funding on training as it arrives, keeping a small reserve"
    classifier = {"uses": ["own cash"], "stochastic": False, "adaptive": False}
    params = {"spend_share": Param(0.9, "fraction/month", "share of cash spent on training")}

    def decide(self, obs: OpenSourceObs, rng: np.random.Generator) -> OpenSourceDecision:
        return OpenSourceDecision(spend_bn=max(obs.cash_bn, 0.0) * self.p["spend_share"])
