"""The deal book: every deal of a run, its lifecycle and the money that changes hands with it.

Creates deals, indexes the live ones (proposed, under review, active) by party, records review
state, closes deals (equity and credits paid, clauses in force), ends, loosens and strips clauses
and logs every transition as an event. An early end or loosening of a binding clause is an
exclusivity breakdown (docs/ODD.md). Look-ups read only the live index, so their cost does not
grow with the run's history.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict
from types import SimpleNamespace
from typing import Any

from aimarket.clauses import Exclusivity
from aimarket.deals import EQUITY_KINDS, Cause, Deal, EventLog, Kind, Status, Terms
from aimarket.ledger import Ledger, credit_account
from aimarket.strategies.base import RulingView

#: (investor, target, kind, clause): the identity of a deal for the cooling period after a block.
DealKey = tuple[str, str, str, str]


def deal_key(deal: Deal) -> DealKey:
    """The identity of a deal for the cooling period (investor, target, kind, clause)."""
    return (deal.investor, deal.target, deal.kind.value, deal.terms.exclusivity.value)


class DealBook:
    """Deals by id and the live ones by party.

    ``valuation`` gives a lab's pre-money valuation (USD bn); ``clock`` the current tick.
    """

    def __init__(
        self,
        ledger: Ledger,
        events: EventLog,
        firms: Mapping[str, Any],
        valuation: Callable[[Any], float],
        clock: Callable[[], int],
    ) -> None:
        self.ledger = ledger
        self.events = events
        self.firms = firms
        self.valuation = valuation
        self.clock = clock
        self.deals: dict[str, Deal] = {}  # every deal ever created, by id
        self.live: dict[str, Deal] = {}  # proposed, under review or active, in creation order
        self._live_by_party: dict[str, dict[str, Deal]] = defaultdict(dict)
        self.pending_reviews: dict[str, set[str]] = {}  # deal id -> regulators yet to rule
        self.conditional_breaks: dict[str, list[str]] = defaultdict(list)  # new -> old deal ids
        self.loosen_refused: dict[str, bool] = {}
        self.ever_restricted: set[str] = set()
        self.rulings: list[RulingView] = []  # every merger-review ruling, public record
        self.cooling: dict[DealKey, int] = {}  # blocked deal -> month it may be proposed again
        self.access_labs: set[str] = set()  # labs under an investigation's access commitment
        self._seq = 0

    # ------------------------------------------------------------------ look-ups
    def deals_of(self, name: str) -> list[Deal]:
        """Live deals (proposed, under review or active) with ``name`` as a party."""
        return list(self._live_by_party[name].values())

    def restriction(self, name: str) -> tuple[str, Exclusivity]:
        """The cloud whose clause binds ``name``, and the clause (the strictest in force)."""
        binding = [d for d in self._live_by_party[name].values() if d.restricts]
        if not binding:
            return "", Exclusivity.NONE
        strict = max(binding, key=lambda d: d.terms.exclusivity.strictness)
        return strict.investor, strict.terms.exclusivity

    def binding(self) -> Iterable[Deal]:
        """Deals with a binding clause in force, in creation order."""
        return (d for d in self.live.values() if d.restricts)

    def stake_of(self, deal: Deal) -> float:
        """Stake (fraction) the deal buys: its stated stake, else amount over post-money value."""
        t = deal.terms
        lab = self.firms[deal.target]
        return t.stake if t.stake is not None else t.amount_bn / (self.valuation(lab) + t.amount_bn)

    def stake_after(self, deal: Deal) -> float:
        """The investor's stake in the target once the deal closes (0 unless an investment in or
        an acquisition of a lab)."""
        lab = self.firms[deal.target]
        if lab.agent_type != "lab" or deal.kind not in EQUITY_KINDS:
            return 0.0
        new = self.stake_of(deal)
        return lab.cap_table.get(deal.investor, 0.0) * (1 - new) + new

    # ------------------------------------------------------------------ lifecycle
    def create(self, spec: Any, deal_id: str | None = None) -> Deal:
        """A new live deal from a scenario deal/event spec or an offer (``spec`` has the
        ``Terms`` fields plus ``kind``, ``investor`` and ``target``)."""
        self._seq += 1
        terms = Terms(
            amount_bn=spec.amount_bn,
            credit_share=spec.credit_share,
            exclusivity=Exclusivity(spec.exclusivity),
            duration_months=spec.duration_months,
            exit_penalty_bn=spec.exit_penalty_bn,
            commit_gw=spec.commit_gw,
            commit_price=spec.commit_price,
            inhouse_chip_share=spec.inhouse_chip_share,
            stake=spec.stake,
        )
        deal = Deal(
            deal_id or f"D{self._seq:04d}",
            Kind(spec.kind),
            spec.investor,
            spec.target,
            terms,
            signed_tick=self.clock(),
        )
        self.deals[deal.id] = self.live[deal.id] = deal
        self._live_by_party[deal.investor][deal.id] = deal
        self._live_by_party[deal.target][deal.id] = deal
        return deal

    def close(self, deal: Deal, status: Status) -> None:
        """Move a deal to a final status and out of the live index."""
        deal.status = status
        del self.live[deal.id]
        del self._live_by_party[deal.investor][deal.id]
        del self._live_by_party[deal.target][deal.id]

    def open_access(self, name: str) -> bool:
        """``name`` is under an access commitment: an investigation's, or a live deal's."""
        return name in self.access_labs or any(
            d.open_access and d.target == name for d in self._live_by_party[name].values()
        )

    def propose(self, investor: str, offer: Any) -> Deal | None:
        """An offer (``OfferTerms``) from ``investor`` to a lab, answered by the lab this month;
        refused (event ``refused``, None) while an identical deal's cooling period runs."""
        key = (investor, offer.target, Kind.INVESTMENT.value, Exclusivity(offer.exclusivity).value)
        if self.cooling.get(key, -1) > self.clock():
            self.events.add(
                self.clock(),
                "refused",
                agent=investor,
                counterparty=offer.target,
                cause=Cause.COOLING_PERIOD,
                value=offer.amount_bn,
            )
            return None
        spec = SimpleNamespace(kind="investment", investor=investor, stake=None, **asdict(offer))
        deal = self.create(spec)
        self.offer(deal)
        return deal

    def offer(self, deal: Deal) -> None:
        """Put a proposed deal before its target (answered this month). The ``offer`` event's
        cause says whether the target was bound by another investor's clause
        (``bound_elsewhere``) or controlled by another firm (``controlled_elsewhere``)."""
        target = self.firms[deal.target]
        partner, _ = self.restriction(deal.target)
        owner = target.controller() if target.agent_type == "lab" else ""
        if owner not in ("", deal.investor):
            cause = "controlled_elsewhere"
        elif partner not in ("", deal.investor):
            cause = "bound_elsewhere"
        else:
            cause = ""
        self.events.deal(self.clock(), "offer", deal, cause=cause, value=deal.terms.amount_bn)
        target.offers.append(deal)

    def reject(self, deal: Deal, cause: str | None = None) -> None:
        """The target turned the offer down (``cause``: its choice unless said)."""
        self.close(deal, Status.REJECTED)
        self.events.deal(self.clock(), "rejected", deal, cause=cause or Cause.STRATEGY_CHOICE)

    def sign(self, deal: Deal, reviewers: list[Any]) -> None:
        """Signed: notified to ``reviewers`` (regulators whose thresholds it meets), else
        active at once."""
        tick = self.clock()
        deal.signed_tick = tick
        self.events.deal(tick, "signed", deal, cause=Cause.SIGNED, value=deal.terms.amount_bn)
        if not reviewers:
            self.activate(deal)
            return
        deal.status = Status.UNDER_REVIEW
        self.pending_reviews[deal.id] = {r.name for r in reviewers}
        for r in reviewers:
            r.notify(deal)
        self.events.deal(tick, "under_review", deal, value=deal.terms.amount_bn)

    def activate(self, deal: Deal, began: int | None = None, pay: bool = True) -> None:
        """Close the deal: equity and credits change hands, clauses come into force.

        ``pay=False`` for deals in force at the start (already in the opening cap tables).
        """
        t = deal.terms
        tick = self.clock()
        began = tick if began is None else began
        lab = self.firms[deal.target]
        if deal.kind is Kind.INVESTMENT and lab.agent_type == "lab":
            cash = self.ledger.balance(deal.investor)
            amount = min(t.amount_bn, max(cash, 0.0)) if pay else t.amount_bn
            stake = t.stake if t.stake is not None else amount / (self.valuation(lab) + amount)
            if pay:
                self.ledger.transfer(
                    deal.investor, lab.name, amount * (1 - t.credit_share), "equity", deal.id
                )
                self.ledger.transfer(
                    deal.investor,
                    credit_account(lab.name, deal.investor),
                    amount * t.credit_share,
                    "equity_credits",
                    deal.id,
                )
                lab.issue_equity(deal.investor, stake)
            deal.stake_acquired = lab.cap_table.get(deal.investor, 0.0)
        if deal.kind is Kind.ACQUISITION:
            self._acquire(deal, lab)
            return
        if t.commit_price is None:
            t.commit_price = self.firms[deal.investor].price
        for old_id in self.conditional_breaks.pop(deal.id, []):
            if self.deals[old_id].active:
                self.end(self.deals[old_id], Status.BROKEN, Cause.BETTER_OUTSIDE_OFFER)
        deal.status = Status.ACTIVE
        deal.start_tick = began
        deal.end_tick = began + t.duration_months
        self.events.deal(tick, "active", deal, cause=Cause.CLEARED, value=t.amount_bn)
        if t.exclusivity.binds:
            self.ever_restricted.add(deal.id)
            self.events.deal(tick, "clause_in_force", deal, cause=t.exclusivity.value)

    def _acquire(self, deal: Deal, lab: Any) -> None:
        """Close an acquisition: the buyer pays ``amount_bn`` for the stake ``terms.stake`` buys
        (fraction of every other holding, the implicit founders' remainder included), each
        seller in proportion to its holding (less if the buyer's cash falls short: the stake
        bought shrinks alike); the deal is then completed (event ``sale``)."""
        t, buyer = deal.terms, deal.investor
        old = lab.cap_table.get(buyer, 0.0)
        new = t.stake if t.stake is not None else 1.0
        price = min(t.amount_bn, max(self.ledger.balance(buyer), 0.0))
        if t.amount_bn > 0:
            new *= price / t.amount_bn
        others = 1.0 - old
        sellers = {h: s for h, s in lab.cap_table.items() if h != buyer and s > 0}
        rest = max(others - sum(sellers.values()), 0.0)  # founders and earlier outside rounds
        if others > 1e-12:
            for holder, stake in [*sellers.items(), ("outside_investors", rest)]:
                payee = holder if holder in self.firms else "outside_investors"
                self.ledger.transfer(buyer, payee, price * stake / others, "acquisition")
        lab.issue_equity(buyer, new)
        deal.stake_acquired = lab.cap_table.get(buyer, 0.0)
        deal.start_tick = deal.end_tick = self.clock()
        self.close(deal, Status.COMPLETED)
        self.events.deal(self.clock(), "active", deal, cause=Cause.CLEARED, value=price)
        self._target_event("sale", deal, Cause.DISTRESS_SALE, value=price)

    def terminate(self, deal: Deal, cause: str) -> None:
        """End a live deal because a party left the market: an active deal ends by its terms
        (the target owes its exit penalty; no breakdown), a proposed or reviewed one lapses."""
        if deal.active:
            self.end(deal, Status.TERMINATED, cause)
            return
        self.close(deal, Status.TERMINATED)
        self.conditional_breaks.pop(deal.id, None)
        self.pending_reviews.pop(deal.id, None)
        self._target_event(Status.TERMINATED.value, deal, cause)

    def end(self, deal: Deal, status: Status, cause: str) -> None:
        """End an active deal; an early end of a clause in force is an exclusivity breakdown.
        Broken or terminated early, the target pays the exit penalty (as far as its cash goes)."""
        was_restricting = deal.restricts
        if status in (Status.BROKEN, Status.TERMINATED):
            penalty = min(deal.terms.exit_penalty_bn, max(self.ledger.balance(deal.target), 0.0))
            self.ledger.transfer(deal.target, deal.investor, penalty, "exit_penalty")
        self.close(deal, status)
        self._target_event(status.value, deal, cause)
        if was_restricting and status is Status.BROKEN:
            self._target_event("breakdown", deal, cause)

    def expire(self) -> None:
        """End the active deals whose term is over."""
        tick = self.clock()
        for deal in list(self.live.values()):
            if deal.active and deal.end_tick is not None and deal.end_tick <= tick:
                self.end(deal, Status.EXPIRED, Cause.EXPIRY)

    def loosen(self, deal: Deal, cause: str) -> None:
        """Renegotiate a clause one step looser (exclusive -> ROFR -> none): a breakdown."""
        deal.terms.exclusivity = deal.terms.exclusivity.looser()
        deal.loosen_requested = False
        self.events.deal(self.clock(), "renegotiated", deal, cause=cause)
        self._target_event("breakdown", deal, cause)

    def strip_clause(self, deal: Deal, regulator: str, event: str) -> None:
        """A regulator removes a clause in force: the deal stays, the clause goes (a breakdown)."""
        deal.terms.exclusivity = Exclusivity.NONE
        self.events.add(
            self.clock(),
            event,
            deal_id=deal.id,
            agent=regulator,
            counterparty=deal.target,
            cause=Cause.REGULATOR_REMEDY,
        )
        self._target_event("breakdown", deal, Cause.REGULATOR_REMEDY)

    def cap_stake(self, deal: Deal, cap: float) -> bool:
        """Cut the stake the deal buys so the investor ends with ``cap`` (fraction), the amount
        scaled alike; False (nothing changed) if the investor already holds ``cap`` or more."""
        lab = self.firms[deal.target]
        old = lab.cap_table.get(deal.investor, 0.0)
        new = self.stake_of(deal)
        capped = (cap - old) / max(1 - old, 1e-9)
        if capped <= 0 or new <= 0:
            return False
        if capped < new:
            deal.terms.amount_bn *= capped / new
            deal.terms.stake = capped
        return True

    def rule(
        self,
        deal: Deal,
        regulator: str,
        verdict: str,
        *,
        grounds: str = "",
        cooling_months: int = 0,
        cap: float = 0.0,
    ) -> None:
        """Apply one regulator's verdict (``clear``, ``remedy``, ``cap_stake``, ``access``,
        ``block``); the deal becomes active when every reviewer has cleared it.

        ``remedy`` drops the clause; ``cap_stake`` caps the stake at ``cap`` (a block if it
        cannot); ``access`` drops the clause and commits the parties to open access (the target
        buys compute from any cloud). A block starts a cooling period of ``cooling_months`` for
        the identical deal (``deal_key``)."""
        if deal.status is not Status.UNDER_REVIEW:
            return
        tick = self.clock()
        if verdict == "cap_stake" and not self.cap_stake(deal, cap):
            verdict = "block"
        kind, cause = _VERDICT_EVENTS.get(verdict, _VERDICT_EVENTS["clear"])
        until = tick
        if verdict == "block":
            self.close(deal, Status.BLOCKED)
            self.conditional_breaks.pop(deal.id, None)
            until = tick + cooling_months
            key = deal_key(deal)
            self.cooling[key] = max(self.cooling.get(key, 0), until)
        elif verdict in ("remedy", "access"):
            deal.terms.exclusivity = Exclusivity.NONE
            deal.open_access = deal.open_access or verdict == "access"
        self.rulings.append(
            RulingView(
                tick,
                regulator,
                deal.id,
                deal.investor,
                deal.target,
                deal.kind.value,
                deal.terms.exclusivity,
                verdict,
                grounds,
                until,
            )
        )
        self.events.add(
            tick,
            kind,
            deal_id=deal.id,
            agent=regulator,
            counterparty=deal.investor,
            cause=cause,
            value=deal.terms.amount_bn if verdict == "block" else 0.0,
        )
        if verdict != "clear":
            for ground in filter(None, grounds.split("+")):
                self.events.add(
                    tick,
                    "harm",
                    deal_id=deal.id,
                    agent=regulator,
                    counterparty=deal.investor,
                    cause=ground,
                )
        if verdict == "block":
            return
        pending = self.pending_reviews[deal.id]
        pending.discard(regulator)
        if not pending:
            self.activate(deal)

    def _target_event(self, kind: str, deal: Deal, cause: str, value: float = 0.0) -> None:
        """An event with the deal's target as agent and its investor as counterparty."""
        self.events.add(
            self.clock(),
            kind,
            deal_id=deal.id,
            agent=deal.target,
            counterparty=deal.investor,
            cause=cause,
            value=value,
        )


_VERDICT_EVENTS = {  # verdict -> (event kind, cause)
    "clear": ("cleared", Cause.CLEARED),
    "remedy": ("remedied", Cause.REGULATOR_REMEDY),
    "cap_stake": ("remedied", Cause.STAKE_CAP),
    "access": ("remedied", Cause.ACCESS_COMMITMENT),
    "block": ("blocked", Cause.REGULATOR_BLOCK),
}
