"""Regulator strategies: merger-review verdicts and market investigations."""

from __future__ import annotations

import numpy as np

from aimarket.clauses import Exclusivity
from aimarket.strategies.base import (
    CaseFacts,
    Param,
    RegulatorDecision,
    RegulatorObs,
    Strategy,
    Verdict,
)
from aimarket.strategies.registry import register


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

    def threshold(self, key: str) -> float:
        """The current value of a threshold parameter (fixed here; adaptive rules move it)."""
        return self.p[key]

    def presumed_harmful(self, case: CaseFacts) -> bool:
        t = self.threshold
        return any(
            case.post_hhi[layer] - case.pre_hhi[layer] > t("hhi_delta")
            and (
                case.post_hhi[layer] > t("hhi_high")
                or case.combined_share[layer] > t("share_presumption")
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
                if months >= self.threshold("investigate_after")
            ],
        )


@register
class LaissezFaire(Strategy):
    """Clears every notified deal and never investigates."""

    name = "laissez-faire"
    agent_type = "regulator"
    description = "clears every deal, never investigates"
    classifier = {"uses": [], "stochastic": False, "adaptive": False}

    def decide(self, obs: RegulatorObs, rng: np.random.Generator) -> RegulatorDecision:
        return RegulatorDecision(verdicts={c.deal_id: Verdict.CLEAR for c in obs.cases_due})


@register
class Gatekeeper(ThresholdBased):
    """DMA-like ex-ante rules on top of the structural presumptions.

    A designated gatekeeper may hold no exclusivity or ROFR clause: notified deals with one lose it
    (remedy), clauses already in force are stripped once the compliance period has passed, and a
    gatekeeper taking control of a lab is blocked when ``block_control`` is set.
    """

    name = "gatekeeper"
    agent_type = "regulator"
    description = "ex-ante rules: no exclusivity for designated gatekeepers, plus HHI presumptions"
    classifier = {
        "uses": ["case facts", "bloc HHI", "clauses in force", "gatekeeper list"],
        "stochastic": False,
        "adaptive": False,
    }
    params = {
        **ThresholdBased.params,
        "compliance_months": Param(
            6, "months", "from the scenario start until clauses in force must go"
        ),
        "block_control": Param(
            False, "-", "block a gatekeeper's acquisition of a controlling stake"
        ),
    }

    def verdict(self, case: CaseFacts) -> str:
        if not case.gatekeeper_involved:
            return super().verdict(case)
        if self.p["block_control"] and case.tie_by_control:
            return Verdict.BLOCK
        verdict = super().verdict(case)
        if verdict == Verdict.CLEAR and case.exclusivity is not Exclusivity.NONE:
            return Verdict.REMEDY
        return verdict

    def decide(self, obs: RegulatorObs, rng: np.random.Generator) -> RegulatorDecision:
        decision = super().decide(obs, rng)
        if obs.public.tick >= self.p["compliance_months"]:
            decision.strip = [c.deal_id for c in obs.clauses if c.gatekeeper_involved]
        return decision


@register
class Adaptive(ThresholdBased):
    """Threshold rules whose stringency rises while markets stay concentrated.

    Stringency s (0..1) moves each month by ``learning_rate`` up when any layer's bloc HHI is
    above ``hhi_high`` and down otherwise. The HHI thresholds and the investigation delay scale by
    (1 - ``max_tightening`` * s); above s = 0.5 exclusivity remedies give way to blocks.
    """

    name = "adaptive"
    agent_type = "regulator"
    description = "threshold rules that tighten while concentration stays high, relax when it falls"
    classifier = {"uses": ["case facts", "bloc HHI history"], "stochastic": False, "adaptive": True}
    params = {
        **ThresholdBased.params,
        "learning_rate": Param(0.05, "1/month", "change of stringency per month"),
        "max_tightening": Param(0.5, "fraction", "largest cut of thresholds and delay at s = 1"),
    }

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self.stringency = 0.0

    def threshold(self, key: str) -> float:
        return self.p[key] * (1 - self.p["max_tightening"] * self.stringency)

    def verdict(self, case: CaseFacts) -> str:
        verdict = super().verdict(case)
        return Verdict.BLOCK if verdict == Verdict.REMEDY and self.stringency > 0.5 else verdict

    def decide(self, obs: RegulatorObs, rng: np.random.Generator) -> RegulatorDecision:
        high = any(v > self.p["hhi_high"] for v in obs.bloc_hhi.values())
        step = self.p["learning_rate"] if high else -self.p["learning_rate"]
        self.stringency = float(np.clip(self.stringency + step, 0.0, 1.0))
        return super().decide(obs, rng)
