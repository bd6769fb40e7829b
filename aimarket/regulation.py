"""Competition regulators: notification, review queue, verdicts, market investigations.

A signed deal above a regulator's notification thresholds (deal size or stake) enters its queue;
at most ``caseload`` reviews run at once and each takes ``review_months``. A deal becomes active
only when every notified regulator has cleared it (suspensory review). The verdict comes from the
regulator's strategy given the case facts (``Information.case_facts``: modified HHI with and
without the deal, the investor's series of deals in a look-back window, vertical foreclosure
facts); remedies drop a clause, cap a stake below control or add an access commitment. A block
starts a cooling period in which the identical deal is not proposed again. A market
investigation opens when the strategy asks for one (typically after sustained concentration)
and ends after ``investigation_months`` by stripping exclusivity clauses of the leading bloc.
Ex-ante rules let a strategy strip clauses in force directly (e.g. those binding a gatekeeper).

A regulator *decides* (``Regulator.decide`` returns ``Rulings``, as a firm's strategy returns a
decision); the model *applies* them (``apply``) through the deal book, in the order given.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, ClassVar

import mesa

from aimarket import strategies
from aimarket.context import Context
from aimarket.deals import Cause, Deal, Status
from aimarket.information import CAP_MARGIN, Information
from aimarket.strategies.base import RegulatorObs


@dataclass(slots=True)
class Rulings:
    """One regulator's acts of one month, applied in this order."""

    verdicts: list[tuple[str, str]] = field(default_factory=list)  # (deal id, verdict)
    grounds: dict[str, str] = field(default_factory=dict)  # deal id -> theories of harm
    strip: list[str] = field(default_factory=list)  # deal ids whose clause goes (ex ante)
    opened: list[tuple[str, float]] = field(default_factory=list)  # (layer, its bloc HHI)
    concluded: list[str] = field(default_factory=list)  # layers whose investigation ends


class Regulator(mesa.Agent):
    """A competition authority of one jurisdiction."""

    agent_type: ClassVar[str] = "regulator"

    def __init__(self, model: mesa.Model, spec: Any, ctx: Context) -> None:
        super().__init__(model)
        self.ctx = ctx
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

    def track_concentration(
        self, bloc_hhi: dict[str, float], vertical: dict[str, float] | None = None
    ) -> None:
        """Count consecutive months of concentration: a layer's bloc HHI above
        ``investigation_hhi``; a pair's vertical share at least ``investigation_vertical_share``."""
        above = {layer: v > self.spec.investigation_hhi for layer, v in bloc_hhi.items()}
        above |= {
            pair: v >= self.spec.investigation_vertical_share
            for pair, v in (vertical or {}).items()
        }
        for key, flag in above.items():
            self.months_concentrated[key] = self.months_concentrated.get(key, 0) + 1 if flag else 0

    def decide(self, info: Information) -> Rulings:
        """Start queued reviews and rule on the cases due; open and conclude investigations."""
        book, tick = self.ctx.book, self.ctx.world.tick
        while self.queue and len(self.cases) < self.spec.caseload:
            deal_id = self.queue.popleft()
            if book.deals[deal_id].status is Status.UNDER_REVIEW:
                self.cases[deal_id] = tick + self.spec.review_months
        due = [d for d, t in sorted(self.cases.items()) if t <= tick]
        obs = RegulatorObs(
            public=info.public,
            name=self.name,
            cases_due=tuple(info.case_facts(book.deals[d], self.spec) for d in due),
            bloc_hhi=info.bloc_hhi(),
            months_concentrated={
                k: v for k, v in self.months_concentrated.items() if k not in self.investigations
            },
            clauses=info.clauses(self.spec.gatekeepers),
            vertical_share={k: v for k, (v, _) in info.vertical_shares().items()},
        )
        decision = self.strategy.decide(obs, self.model.rng)
        rulings = Rulings(strip=list(decision.strip), grounds=dict(decision.grounds))
        for deal_id in due:
            del self.cases[deal_id]
            rulings.verdicts.append((deal_id, decision.verdicts.get(deal_id, "clear")))
        for layer in decision.investigate:
            if layer not in self.investigations:
                self.investigations[layer] = tick + self.spec.investigation_months
                value = obs.bloc_hhi.get(layer, obs.vertical_share.get(layer, 0.0))
                rulings.opened.append((layer, value))
        for layer, end in list(self.investigations.items()):
            if end <= tick:
                del self.investigations[layer]
                self.months_concentrated[layer] = 0
                rulings.concluded.append(layer)
        return rulings


def sign(deal: Deal, ctx: Context) -> None:
    """Sign a deal: notified to the regulators whose thresholds it meets (suspensory review),
    else active at once."""
    stake = ctx.book.stake_after(deal)
    ctx.book.sign(deal, [r for r in ctx.regulators if r.notifiable(deal, stake)])


def apply(regulator: Regulator, rulings: Rulings, ctx: Context) -> None:
    """Carry out one regulator's rulings through the deal book; counts its actions."""
    book, tick = ctx.book, ctx.world.tick
    regulator.actions = 0
    cap = max(ctx.world.spec.market.control_stake - CAP_MARGIN, 0.0)
    for deal_id, verdict in rulings.verdicts:
        book.rule(
            book.deals[deal_id],
            regulator.name,
            verdict,
            grounds=rulings.grounds.get(deal_id, ""),
            cooling_months=regulator.spec.cooling_months,
            cap=cap,
        )
        regulator.actions += 1
    for deal_id in rulings.strip:
        deal = book.deals.get(deal_id)
        if deal is not None and deal.restricts:
            book.strip_clause(deal, regulator.name, "ex_ante_remedy")
            regulator.actions += 1
    for layer, value in rulings.opened:
        ctx.events.add(tick, "investigation_opened", agent=regulator.name, cause=layer, value=value)
        regulator.actions += 1
    for layer in rulings.concluded:
        investigation_remedy(layer, regulator.name, ctx)
        regulator.actions += 1


def investigation_remedy(market: str, regulator: str, ctx: Context) -> None:
    """Conclude an investigation of a layer or of an adjacent pair of layers.

    A layer: strip the binding clauses that tie its largest bloc together. A pair (vertical
    ties, e.g. ``cloud-models``): the bloc strongest in both layers loses its binding clauses and
    the labs its members control get an access commitment (they may buy compute from any cloud;
    ``DealBook.access_labs``)."""
    book, tick = ctx.book, ctx.world.tick
    if "-" in market:
        _, leader = ctx.blocs.vertical(market, review=True)
    else:
        shares = ctx.blocs.shares(market, review=True)
        leader = max(shares, key=lambda k: (shares[k], k), default="")
    members = ctx.blocs.members(leader)
    hits = [d for d in book.binding() if d.investor in members or d.target in members]
    for deal in hits:
        book.strip_clause(deal, regulator, "investigation_remedy")
    opened = []
    if "-" in market:
        opened = [lab.name for lab in ctx.labs if lab.parent() in members]
        opened = [name for name in opened if name not in book.access_labs]
        for name in opened:
            book.access_labs.add(name)
            ctx.events.add(
                tick,
                "investigation_remedy",
                agent=regulator,
                counterparty=name,
                cause=Cause.ACCESS_COMMITMENT,
            )
    if not hits and not opened:
        ctx.events.add(tick, "investigation_closed", agent=regulator, cause=market)
