"""Open-weight project strategies: how much of their funding goes into training."""

from __future__ import annotations

import numpy as np

from aimarket.strategies.base import OpenSourceDecision, OpenSourceObs, Param, Strategy
from aimarket.strategies.registry import register


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


@register
class FastFollower(Strategy):
    """Spends what keeps its lag near a target, from its own lag curve (3.3.7 of the ODD).

    Funding ``f*`` holding lag ``L*`` solves ``L* = min + (base - min) exp(-f*/scale)``; it spends
    ``f* + catch_up (f* - f)`` with ``f`` its mean funding over 12 months, within its cash.
    """

    name = "fast-follower"
    agent_type = "open_source"
    description = "spends what holds a target lag behind the frontier"
    classifier = {"uses": ["own cash", "own lag curve"], "stochastic": False, "adaptive": False}
    params = {
        "target_lag_months": Param(3.0, "months", "lag behind the frontier it aims to hold"),
        "catch_up": Param(1.0, "1", "extra spend per USD bn its mean funding falls short"),
    }

    def decide(self, obs: OpenSourceObs, rng: np.random.Generator) -> OpenSourceDecision:
        cash = max(obs.cash_bn, 0.0)
        span = obs.base_lag_months - obs.min_lag_months
        target = self.p["target_lag_months"] - obs.min_lag_months
        if target <= 0:
            return OpenSourceDecision(spend_bn=cash)
        needed = obs.funding_scale_bn_per_month * np.log(max(span / target, 1.0))
        spend = needed + self.p["catch_up"] * (needed - obs.mean_funding_bn)
        return OpenSourceDecision(spend_bn=float(np.clip(spend, 0.0, cash)))


@register
class HyperscalerSponsored(Strategy):
    """Spends its sponsors' money as it arrives and front-loads the rest of its cash.

    Spend = sponsorship this month + s(t) x the rest of its cash, with s falling linearly from
    ``front_share`` at month 0 to ``late_share`` at ``front_months``.
    """

    name = "hyperscaler-sponsored"
    agent_type = "open_source"
    description = "spends hyperscaler sponsorship at once and front-loads its other funds"
    classifier = {
        "uses": ["own cash", "sponsorship", "month"],
        "stochastic": False,
        "adaptive": False,
    }
    params = {
        "front_share": Param(1.0, "fraction/month", "share of its other cash spent at month 0"),
        "late_share": Param(0.5, "fraction/month", "share spent from front_months on"),
        "front_months": Param(24, "months", "months over which the share falls"),
    }

    def decide(self, obs: OpenSourceObs, rng: np.random.Generator) -> OpenSourceDecision:
        p = self.p
        cash = max(obs.cash_bn, 0.0)
        sponsored = min(max(obs.sponsorship_bn, 0.0), cash)
        early = max(0.0, 1.0 - obs.public.tick / max(p["front_months"], 1e-9))
        share = p["late_share"] + (p["front_share"] - p["late_share"]) * early
        return OpenSourceDecision(spend_bn=sponsored + share * (cash - sponsored))
