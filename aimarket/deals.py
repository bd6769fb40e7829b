"""Deals and offers: terms, lifecycle states, causes and the event log (data only).

A deal moves through ``proposed -> under_review -> active -> broken | expired`` or ends
``blocked`` / ``rejected``. A renegotiation (exclusivity loosened) keeps the deal active and is
logged. Every transition is an event with a cause, so breakdowns can be counted by cause.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from aimarket.clauses import Exclusivity


class Status(StrEnum):
    PROPOSED = "proposed"
    UNDER_REVIEW = "under_review"
    ACTIVE = "active"
    BROKEN = "broken"
    EXPIRED = "expired"
    BLOCKED = "blocked"
    REJECTED = "rejected"
    TERMINATED = "terminated"  # ended early because its target left the market (exit)
    COMPLETED = "completed"  # an acquisition that closed: the stakes changed hands


class Cause(StrEnum):
    """Why a deal changed state."""

    CAPACITY_SHORTFALL = "capacity_shortfall"
    BETTER_OUTSIDE_OFFER = "better_outside_offer"
    REGULATOR_REMEDY = "regulator_remedy"
    REGULATOR_BLOCK = "regulator_block"
    STAKE_CAP = "stake_cap"  # remedy: the stake is capped just below control
    ACCESS_COMMITMENT = "access_commitment"  # remedy: the target stays free to buy from any cloud
    COOLING_PERIOD = "cooling_period"  # an identical deal was blocked within the cooling period
    FIRST_REFUSAL = "first_refusal"  # the holder of a right of first refusal matched the offer
    STRATEGY_CHOICE = "strategy_choice"
    LAB_DISTRESS = "lab_distress"
    LAB_EXIT = "lab_exit"  # its target lab exited: the deal ends by its terms
    NO_BUYER = "no_buyer"  # a distressed lab exits: no firm gains from buying it
    SALE_BLOCKED = "sale_blocked"  # a distressed lab exits: its sale was blocked
    DISTRESS_SALE = "distress_sale"  # a distressed lab sold to the firm that values it most
    EXPIRY = "expiry"
    SIGNED = "signed"
    CLEARED = "cleared"


class Kind(StrEnum):
    INVESTMENT = "investment"  # equity (and optional credits, compute commitment, exclusivity)
    COMPUTE = "compute"  # a compute contract without equity
    CHIP_SUPPLY = "chip_supply"  # reserved chip volume per month at a fixed price
    ACQUISITION = "acquisition"  # the investor buys the other holders' stakes (a distress sale)


#: Deals that give the investor shares in the target: new shares (investment) or existing ones
#: bought from the other holders (acquisition).
EQUITY_KINDS = (Kind.INVESTMENT, Kind.ACQUISITION)


@dataclass(slots=True)
class Terms:
    """What the investor (or seller) and the target agree. Units in the field comments."""

    amount_bn: float = 0.0  # USD bn of equity investment paid at closing
    credit_share: float = 0.0  # fraction of amount_bn paid as credits on the investor's product
    exclusivity: Exclusivity = Exclusivity.NONE
    duration_months: int = 48  # months from activation to expiry
    exit_penalty_bn: float = 0.0  # USD bn the target pays the investor to break the deal early
    commit_gw: float = 0.0  # eff-GW of compute (or GW of chips) per month, take-or-pay
    commit_price: float | None = None  # USD bn per eff-GW-month (chips: per GW); None = list price
    inhouse_chip_share: float = 0.0  # fraction of committed compute run on the investor's own chips
    stake: float | None = None  # fraction of the target acquired; None = amount / post-money value


@dataclass(slots=True)
class Deal:
    """One agreement between an investor/seller and a target."""

    id: str
    kind: Kind
    investor: str
    target: str
    terms: Terms
    status: Status = Status.PROPOSED
    signed_tick: int = 0
    start_tick: int | None = None
    end_tick: int | None = None
    stake_acquired: float = 0.0
    loosen_requested: bool = False
    open_access: bool = False  # access commitment: the target may buy from every cloud

    @property
    def active(self) -> bool:
        return self.status is Status.ACTIVE

    @property
    def restricts(self) -> bool:
        """True while an exclusive or right-of-first-refusal clause is in force."""
        return self.active and self.terms.exclusivity.binds


EVENT_FIELDS: dict[str, str] = {
    "tick": "month index from the scenario start (0 = first month)",
    "date": "calendar month YYYY-MM",
    "kind": "event type (offer (cause: bound_elsewhere or controlled_elsewhere when the target"
    " was bound by another investor's clause or controlled by another firm), rejected, signed, under_review, cleared, remedied, blocked, "
    "active, clause_in_force, renegotiated, broken, expired, breakdown, investigation_opened, "
    "investigation_remedy, investigation_closed, ex_ante_remedy; harm: a ground of a verdict "
    "other than clear (cause horizontal, serial or vertical); refused: a proposal not made in "
    "the cooling period after a block; matched: the holder of a right of first refusal over the "
    "target matched a rival's offer that would have ended it (value: USD bn paid to the target; "
    "the rival's offer is declined with cause first_refusal); learner_choice and "
    "learner_probability: a roth-erev learner's arm drawn and each arm's choice probability; "
    "distress: a lab cannot pay its staff and compute commitments and raised too little (value:"
    " the gap, USD bn); sale: a distressed lab's acquisition closed (counterparty: the buyer,"
    " value: the price); exit: a lab left the market (cause no_buyer or sale_blocked, value: the"
    " cash paid out to its holders); terminated: a deal ended because its target exited;"
    " entry: a listed entrant entered (value: its expected value as a follower, USD bn))",
    "deal_id": "deal concerned, '' for market-level events",
    "agent": "agent that acted or the deal's investor",
    "counterparty": "the other party ('' if none)",
    "cause": "why (see aimarket.deals.Cause)",
    "value": "USD bn involved, the HHI for regulator events, a probability for learner events",
}


@dataclass
class EventLog:
    """Rows of ``EVENT_FIELDS``; dates come from the model's calendar."""

    date_of: Callable[[int], str]
    rows: list[dict] = field(default_factory=list)

    def deal(
        self, tick: int, kind: str, deal: Deal, *, cause: str = "", value: float = 0.0
    ) -> None:
        """An event about ``deal``, with its investor as agent and its target as counterparty."""
        self.add(
            tick,
            kind,
            deal_id=deal.id,
            agent=deal.investor,
            counterparty=deal.target,
            cause=cause,
            value=value,
        )

    def add(
        self,
        tick: int,
        kind: str,
        *,
        deal_id: str = "",
        agent: str = "",
        counterparty: str = "",
        cause: str = "",
        value: float = 0.0,
    ) -> None:
        self.rows.append(
            {
                "tick": tick,
                "date": self.date_of(tick),
                "kind": kind,
                "deal_id": deal_id,
                "agent": agent,
                "counterparty": counterparty,
                "cause": str(cause),
                "value": float(value),
            }
        )
