"""Competition regulators: notification, review queue, verdicts, market investigations.

A signed deal above a regulator's notification thresholds (deal size or stake) enters its queue;
at most ``caseload`` reviews run at once and each takes ``review_months``. A deal becomes active
only when every notified regulator has cleared it (suspensory review). The verdict comes from the
regulator's strategy given the case facts (bloc HHI with and without the deal). A market
investigation opens when the strategy asks for one (typically after sustained concentration)
and ends after ``investigation_months`` by stripping exclusivity clauses of the leading bloc.
Ex-ante rules let a strategy strip clauses in force directly (e.g. those binding a gatekeeper).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import mesa

from aimarket import strategies
from aimarket.deals import Deal
from aimarket.strategies.base import ClauseInForce, RegulatorObs

if TYPE_CHECKING:
    from aimarket.model import AIMarket


class Regulator(mesa.Agent):
    """A competition authority of one jurisdiction."""

    agent_type = "regulator"
    model: AIMarket

    def __init__(self, model: AIMarket, spec: Any) -> None:
        super().__init__(model)
        self.name: str = spec.name
        self.spec = spec
        self.strategy = strategies.make(self.agent_type, spec.strategy, dict(spec.strategy_params))
        self.queue: deque[str] = deque()
        self.cases: dict[str, int] = {}  # deal id -> tick the verdict is due
        self.months_concentrated: dict[str, int] = {}
        self.investigations: dict[str, int] = {}  # layer -> tick it concludes
        self.actions = 0  # this month

    def notifiable(self, deal: Deal, stake: float) -> bool:
        return deal.terms.amount_bn >= self.spec.notify_amount_bn or stake >= self.spec.notify_stake

    def notify(self, deal: Deal) -> None:
        self.queue.append(deal.id)

    def track_concentration(self, bloc_hhi: dict[str, float]) -> None:
        for layer, value in bloc_hhi.items():
            above = value > self.spec.investigation_hhi
            self.months_concentrated[layer] = (
                self.months_concentrated.get(layer, 0) + 1 if above else 0
            )

    def step(self) -> None:
        """Start queued reviews, rule on the cases due, open and conclude investigations."""
        m, tick = self.model, self.model.tick
        self.actions = 0
        while self.queue and len(self.cases) < self.spec.caseload:
            deal_id = self.queue.popleft()
            if m.deals[deal_id].status == "under_review":
                self.cases[deal_id] = tick + self.spec.review_months
        due = [d for d, t in sorted(self.cases.items()) if t <= tick]
        obs = RegulatorObs(
            public=m.public,
            name=self.name,
            cases_due=tuple(m.case_facts(m.deals[d], self) for d in due),
            bloc_hhi=m.current_bloc_hhi(),
            months_concentrated={
                k: v for k, v in self.months_concentrated.items() if k not in self.investigations
            },
            clauses=tuple(
                ClauseInForce(
                    deal_id=d.id,
                    investor=d.investor,
                    target=d.target,
                    exclusivity=d.terms.exclusivity,
                    gatekeeper_involved=bool({d.investor, d.target} & set(self.spec.gatekeepers)),
                )
                for d in m.live.values()
                if d.restricts
            ),
        )
        decision = self.strategy.decide(obs, m.rng)
        for deal_id in due:
            del self.cases[deal_id]
            m.rule(m.deals[deal_id], self, decision.verdicts.get(deal_id, "clear"))
            self.actions += 1
        for deal_id in decision.strip:
            deal = m.deals.get(deal_id)
            if deal is not None and deal.restricts:
                m.strip_clause(deal, self, "ex_ante_remedy")
                self.actions += 1
        for layer in decision.investigate:
            if layer not in self.investigations:
                self.investigations[layer] = tick + self.spec.investigation_months
                m.events.add(
                    tick,
                    "investigation_opened",
                    agent=self.name,
                    cause=layer,
                    value=obs.bloc_hhi.get(layer, 0.0),
                )
                self.actions += 1
        for layer, end in list(self.investigations.items()):
            if end <= tick:
                del self.investigations[layer]
                self.months_concentrated[layer] = 0
                m.investigation_remedy(layer, self)
                self.actions += 1
