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


def _presumed(
    pre: dict[str, float],
    post: dict[str, float],
    share: dict[str, float],
    high: float,
    delta: float,
    presumption: float,
) -> bool:
    """2023 US Merger Guidelines, Guideline 1, on (modified) HHI: some layer with
    post - pre > delta and (post > high or combined share > presumption)."""
    return any(
        post[layer] - pre.get(layer, 0.0) > delta
        and (post[layer] > high or share.get(layer, 0.0) > presumption)
        for layer in post
    )


@register
class ThresholdBased(Strategy):
    """2023 US Merger Guidelines: structural presumptions on modified HHI (Guideline 1, partial
    ownership per Guideline 11), the investor's series of deals judged together (Guideline 8),
    vertical foreclosure (Guideline 5); remedies before blocks."""

    name = "threshold"
    agent_type = "regulator"
    description = (
        "2023 US Merger Guidelines: MHHI > 1800 with delta > 100 or share > 30 %, serial deals,"
        " vertical foreclosure; remedies first"
    )
    classifier = {"uses": ["case facts", "bloc HHI"], "stochastic": False, "adaptive": False}
    params = {
        "hhi_high": Param(
            1800.0,
            "HHI points",
            "highly concentrated market (2023 MG Guideline 1; R001)",
            ge=0,
            le=1e4,
        ),
        "hhi_delta": Param(
            100.0,
            "HHI points",
            "increase presumed anticompetitive (2023 MG Guideline 1; R002)",
            ge=0,
            le=1e4,
        ),
        "share_presumption": Param(
            0.30, "fraction", "combined share presumption (2023 MG Guideline 1; R003)", ge=0, le=1
        ),
        "vertical_presumption": Param(
            0.50,
            "fraction",
            "foreclosure share that alone makes a vertical deal harmful (2023 MG Guideline 5)",
            ge=0,
            le=1,
        ),
        "vertical_significant": Param(
            0.30,
            "fraction",
            "foreclosure share above which a deal with ability is harmful if foreclosure pays"
            " (EU Non-Horizontal Merger Guidelines 2008 para. 25 safe harbour: 30 %)",
            ge=0,
            le=1,
        ),
        "serial_min_delta": Param(
            20.0,
            "HHI points",
            "a deal's own MHHI increase below which the series it belongs to is not held"
            " against it (de minimis; ASSUMPTION)",
            ge=0,
            le=1e4,
        ),
        "remedy_first": Param(
            True, "-", "remedy (drop clause, cap stake, access commitment) rather than block"
        ),
        "investigate_after": Param(
            12, "months", "sustained concentration before investigating", ge=0
        ),
    }

    def threshold(self, key: str) -> float:
        """The current value of a threshold parameter (fixed here; adaptive rules move it)."""
        return self.p[key]

    def _presumed(self, pre: dict, post: dict, share: dict) -> bool:
        t = self.threshold
        return _presumed(pre, post, share, t("hhi_high"), t("hhi_delta"), t("share_presumption"))

    def presumed_harmful(self, case: CaseFacts) -> bool:
        """Horizontal presumption on the deal's own change of modified HHI."""
        return self._presumed(case.pre_mhhi, case.post_mhhi, case.combined_share)

    def serial_harmful(self, case: CaseFacts) -> bool:
        """The investor's deals in the look-back window, together, meet the presumption, and
        this deal adds more than ``serial_min_delta`` to some layer's MHHI."""
        own = max(
            (case.post_mhhi[k] - case.pre_mhhi.get(k, 0.0) for k in case.post_mhhi), default=0
        )
        return (
            case.serial_deals > 1
            and own > self.threshold("serial_min_delta")
            and self._presumed(case.serial_pre_mhhi, case.serial_post_mhhi, case.combined_share)
        )

    def vertical_harmful(self, case: CaseFacts) -> bool:
        """Ability (control or a binding clause) and a foreclosure share above the
        presumption, or above the significance level with foreclosure that pays."""
        share = case.foreclosure_share
        return share > self.threshold("vertical_presumption") or (
            share > self.threshold("vertical_significant") and case.foreclosure_pays
        )

    def grounds(self, case: CaseFacts) -> list[str]:
        """Theories of harm that hold: horizontal, serial, vertical."""
        out = []
        if self.presumed_harmful(case):
            out.append("horizontal")
        if self.serial_harmful(case):
            out.append("serial")
        if self.vertical_harmful(case):
            out.append("vertical")
        return out

    def _capped_fine(self, case: CaseFacts) -> bool:
        """A stake capped below control would meet no horizontal or serial presumption."""
        if (
            not case.capped_post_mhhi
            or case.control_before
            or case.stake_before >= case.stake_after
        ):
            return False
        fine = not self._presumed(case.pre_mhhi, case.capped_post_mhhi, case.combined_share)
        if case.serial_deals > 1 and case.capped_serial_post_mhhi:
            fine = fine and not self._presumed(
                case.serial_pre_mhhi, case.capped_serial_post_mhhi, case.combined_share
            )
        return fine

    def remedy(self, case: CaseFacts, grounds: list[str]) -> str:
        """The least intrusive remedy that answers every ground, else ``block``.

        Horizontal or serial harm from a new controlling stake: cap the stake just below
        control (structural). Vertical harm alone: drop the clause if the clause is the only
        tie, else an access commitment (behavioural; EU/UK practice accepts it for vertical
        concerns)."""
        structural = {"horizontal", "serial"} & set(grounds)
        if structural:
            if case.tie_by_control and self._capped_fine(case):
                return Verdict.CAP  # a capped stake removes control and so the vertical ability
            return Verdict.BLOCK
        if not (case.tie_by_control and not case.control_before) and case.exclusivity.binds:
            return Verdict.REMEDY
        return Verdict.ACCESS

    def verdict(self, case: CaseFacts) -> str:
        return self.judge(case)[0]

    def judge(self, case: CaseFacts) -> tuple[str, str]:
        """(verdict, grounds joined by '+')."""
        grounds = self.grounds(case)
        if not grounds:
            return Verdict.CLEAR, ""
        verdict = self.remedy(case, grounds) if self.p["remedy_first"] else Verdict.BLOCK
        return verdict, "+".join(grounds)

    def decide(self, obs: RegulatorObs, rng: np.random.Generator) -> RegulatorDecision:
        judged = {c.deal_id: self.judge(c) for c in obs.cases_due}
        return RegulatorDecision(
            verdicts={d: v for d, (v, _) in judged.items()},
            grounds={d: g for d, (_, g) in judged.items() if g},
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
            6, "months", "from the scenario start until clauses in force must go", ge=0
        ),
        "block_control": Param(
            False, "-", "block a gatekeeper's acquisition of a controlling stake"
        ),
    }

    def judge(self, case: CaseFacts) -> tuple[str, str]:
        verdict, grounds = super().judge(case)
        if not case.gatekeeper_involved:
            return verdict, grounds
        if self.p["block_control"] and case.tie_by_control and not case.control_before:
            return Verdict.BLOCK, grounds or "gatekeeper"
        if verdict == Verdict.CLEAR and case.exclusivity is not Exclusivity.NONE:
            return Verdict.REMEDY, "gatekeeper"
        return verdict, grounds

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
    (1 - ``max_tightening`` * s); above s = 0.5 remedies give way to blocks.
    """

    name = "adaptive"
    agent_type = "regulator"
    description = "threshold rules that tighten while concentration stays high, relax when it falls"
    classifier = {"uses": ["case facts", "bloc HHI history"], "stochastic": False, "adaptive": True}
    params = {
        **ThresholdBased.params,
        "learning_rate": Param(0.05, "1/month", "change of stringency per month", ge=0, le=1),
        "max_tightening": Param(
            0.5, "fraction", "largest cut of thresholds and delay at s = 1", ge=0, le=1
        ),
    }

    def __init__(self, **params: object) -> None:
        super().__init__(**params)
        self.stringency = 0.0

    def threshold(self, key: str) -> float:
        return self.p[key] * (1 - self.p["max_tightening"] * self.stringency)

    def judge(self, case: CaseFacts) -> tuple[str, str]:
        verdict, grounds = super().judge(case)
        if verdict in Verdict.REMEDIES and self.stringency > 0.5:
            return Verdict.BLOCK, grounds
        return verdict, grounds

    def decide(self, obs: RegulatorObs, rng: np.random.Generator) -> RegulatorDecision:
        high = any(v > self.p["hhi_high"] for v in obs.bloc_hhi.values())
        step = self.p["learning_rate"] if high else -self.p["learning_rate"]
        self.stringency = float(np.clip(self.stringency + step, 0.0, 1.0))
        return super().decide(obs, rng)
