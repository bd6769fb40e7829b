"""Regulator strategies: merger-review verdicts and market investigations."""

from __future__ import annotations

import numpy as np

from aimarket.strategies import register
from aimarket.strategies.base import (
    CaseFacts,
    Param,
    RegulatorDecision,
    RegulatorObs,
    Strategy,
    Verdict,
)


@register
class ThresholdBased(Strategy):
    """2023 US Merger Guidelines structural presumptions on bloc HHI and combined share."""

    name = "threshold"
    agent_type = "regulator"
    description = (
        "2023 US Merger Guidelines presumptions: HHI > 1800 with delta > 100, share > 30 %"
    )
    classifier = {"uses": ["case facts", "bloc HHI"], "stochastic": False, "adaptive": False}
    params = {
        "hhi_high": Param(1800.0, "HHI points", "highly concentrated market"),
        "hhi_delta": Param(100.0, "HHI points", "increase presumed anticompetitive"),
        "share_presumption": Param(0.30, "fraction", "combined share presumption"),
        "remedy_first": Param(True, "-", "strip exclusivity rather than block when that suffices"),
        "investigate_after": Param(12, "months", "sustained concentration before investigating"),
    }

    def presumed_harmful(self, case: CaseFacts) -> bool:
        p = self.p
        return any(
            case.post_hhi[layer] - case.pre_hhi[layer] > p["hhi_delta"]
            and (
                case.post_hhi[layer] > p["hhi_high"]
                or case.combined_share[layer] > p["share_presumption"]
            )
            for layer in case.post_hhi
        )

    def verdict(self, case: CaseFacts) -> str:
        if not self.presumed_harmful(case):
            return Verdict.CLEAR
        if self.p["remedy_first"] and case.tie_by_clause and not case.tie_by_control:
            return Verdict.REMEDY
        return Verdict.BLOCK

    def decide(self, obs: RegulatorObs, rng: np.random.Generator) -> RegulatorDecision:
        return RegulatorDecision(
            verdicts={c.deal_id: self.verdict(c) for c in obs.cases_due},
            investigate=[
                layer
                for layer, months in obs.months_concentrated.items()
                if months >= self.p["investigate_after"]
            ],
        )
