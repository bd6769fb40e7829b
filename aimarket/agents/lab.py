"""AI labs: train models, sell usage to end users, buy compute, raise money."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from aimarket import regulation
from aimarket.agents.base import HISTORY, Firm
from aimarket.context import Context
from aimarket.deals import Cause, Deal, Status
from aimarket.strategies.base import LabDecision, LabObs

if TYPE_CHECKING:
    from aimarket.information import Information


class Lab(Firm):
    """An AI lab: trains models, sells usage, buys compute, raises money."""

    agent_type: ClassVar[str] = "lab"

    def __init__(self, model: mesa.Model, spec: Any, ctx: Context) -> None:
        super().__init__(model, spec, ctx)
        self.stock = 10.0**spec.capability  # eff-GW-months of algorithm-adjusted training compute
        self.price = spec.price
        self.cap_table: dict[str, float] = dict(spec.cap_table)
        self.usage_share = 0.0
        self.revenue = 0.0
        self.spend = 0.0
        self.serving_need = 0.0  # eff-GW
        self.training_budget = 0.0  # USD bn
        self.training_gw = 0.0  # eff-GW trained with last month
        self.planned_training_gw = 0.0  # eff-GW last month's training budget was meant to buy
        self.raise_bn = 0.0
        self.shortfall_history: deque[float] = deque(maxlen=HISTORY)
        self.revenue_history: deque[float] = deque(maxlen=HISTORY + 1)  # USD bn/month
        self.providers: set[str] = set()
        self.offers: list[Deal] = []
        self.arrears = 0.0  # USD bn of staff costs owed and not yet paid
        self.distressed = False  # cannot pay its staff and compute commitments this month
        self.distress_months = 0  # consecutive months distressed
        self.sale: Deal | None = None  # its distress sale, once signed
        self.entered = False  # in the market (set at the start or on entry)
        self.exited = False  # left the market (exit): in no market again

    @property
    def capability(self) -> float:
        return float(np.log10(max(self.stock, 1e-12)))

    def controller(self) -> str:
        """Agent holding a controlling stake (at least ``market.control_stake``), '' if none."""
        threshold = self.ctx.world.spec.market.control_stake
        held = [(s, o) for o, s in self.cap_table.items() if o in self.ctx.firms]
        stake, owner = max(held, default=(0.0, ""))
        return owner if stake >= threshold else ""

    def parent(self) -> str:
        """The hyperscaler owning a majority, whose cloud it uses and who funds it; '' if none."""
        owner = self.controller()
        if (
            owner
            and self.cap_table[owner] >= 0.5
            and self.ctx.firms[owner].agent_type == "hyperscaler"
        ):
            return owner
        return ""

    def observe(self, info: Information) -> LabObs:
        tech = self.ctx.world.spec.technology
        price = info.expected_price(self)
        deals = [  # signed deals count from signature: a deal under review binds the lab too
            d
            for d in self.ctx.book.deals_of(self.name)
            if d.target == self.name and d.status in (Status.ACTIVE, Status.UNDER_REVIEW)
        ]
        return LabObs(
            public=info.public,
            name=self.name,
            cash_bn=self.cash,
            credits_bn=self.ctx.ledger.credits_of(self.name),
            capability=self.capability,
            price=self.price,
            usage_share=self.usage_share,
            revenue_bn=self.revenue,
            spend_bn=self.spend,
            staff_cost_bn=self.spec.staff_cost_bn_per_month,
            serving_need_gw=self.serving_need,
            training_gw=self.training_gw,
            planned_training_gw=self.planned_training_gw,
            maintenance_gw=self.stock
            * tech.capability_decay_per_month
            / self.ctx.world.algorithmic_multiplier,
            expected_compute_price=price,
            reference_compute_price=self.ctx.markets.reference_price,
            shortfall_history=tuple(self.shortfall_history),
            valuation_bn=info.valuation(self),
            controlled_by=self.controller(),
            deals=info.deal_views(deals),
            offers=tuple(info.offer_view(d) for d in self.offers),
            serving_cost_per_unit=price / self.ctx.world.inference_multiplier,
            price_unit_bn=self.ctx.markets.price_unit,
        )

    def apply(self, d: LabDecision) -> None:
        """Carry out this month's decision: price, training budget, round, breaks, loosening
        requests, and its answers to the offers (a clause broken for a rival's offer ends only
        once that deal clears review)."""
        book = self.ctx.book
        self.price = max(d.price or self.price, 1e-3)
        self.training_budget = max(d.training_budget_bn, 0.0)
        self.raise_bn = max(d.raise_bn, 0.0)
        breaks = {
            deal_id: cause
            for deal_id, cause in d.break_deals.items()
            if (deal := book.deals.get(deal_id)) is not None
            and deal.active
            and deal.target == self.name
        }
        for deal_id, cause in breaks.items():
            if cause != Cause.BETTER_OUTSIDE_OFFER:
                book.end(book.deals[deal_id], Status.BROKEN, cause)
        for deal_id in d.request_loosen:
            deal = book.deals.get(deal_id)
            if deal is not None and deal.restricts and deal.target == self.name:
                deal.loosen_requested = True
        accepted = set(d.accept)
        matched: set[str] = set()
        for deal_id in [i for i, c in breaks.items() if c == Cause.BETTER_OUTSIDE_OFFER]:
            if declined := self._matched(book.deals[deal_id], accepted, d.surplus_bn):
                del breaks[deal_id]
                matched |= declined
                accepted -= declined
        signed = []
        for deal in self.offers:
            if deal.id in accepted:
                regulation.sign(deal, self.ctx)
                signed.append(deal)
                self.raise_bn = max(self.raise_bn - deal.terms.amount_bn, 0.0)
            else:
                book.reject(deal, Cause.FIRST_REFUSAL if deal.id in matched else None)
        self.offers = []
        reviewed = [s for s in signed if s.status is Status.UNDER_REVIEW]
        for deal_id, cause in breaks.items():
            if cause != Cause.BETTER_OUTSIDE_OFFER:
                continue
            if reviewed:  # the old deal ends only if a new one clears review
                for new in reviewed:
                    book.conditional_breaks[new.id].append(deal_id)
            else:
                book.end(book.deals[deal_id], Status.BROKEN, cause)

    def _matched(self, held: Deal, accepted: set[str], surplus_bn: dict[str, float]) -> set[str]:
        """A rival's accepted offer would end ``held``'s right of first refusal: its holder
        matches when the most it would pay to keep the lab (``Hyperscaler.match_bn``) covers
        what the offer is worth to the lab (``surplus_bn``); it pays that to the lab and the
        clause stays. Returns the rival offers to decline (empty: no match)."""
        if not held.terms.exclusivity.first_refusal:
            return set()
        rivals = [
            o
            for o in self.offers
            if o.id in accepted and o.investor != held.investor and o.terms.exclusivity.binds
        ]
        holder = self.ctx.firms[held.investor]
        surplus = max((surplus_bn.get(o.id, 0.0) for o in rivals), default=0.0)
        limit = min(getattr(holder, "match_bn", {}).get(self.name, 0.0), max(holder.cash, 0.0))
        if not rivals or surplus > limit:
            return set()
        tick = self.ctx.world.tick
        self.ctx.ledger.transfer(holder.name, self.name, max(surplus, 0.0), "first_refusal_match")
        self.ctx.events.deal(tick, "matched", held, cause=Cause.FIRST_REFUSAL, value=surplus)
        return {o.id for o in rivals}

    def status(self) -> str:
        """``inactive`` before it enters; ``exited`` once it has left the market; ``distressed``
        while it cannot pay its staff and compute commitments (``aimarket.turnover``); else
        ``active``."""
        if self.exited:
            return "exited"
        if self not in self.ctx.labs:
            return "inactive"
        return "distressed" if self.distressed else "active"

    def pay_staff(self) -> None:
        """Pay this month's staff costs and any arrears from cash; what cash cannot cover is owed
        (``arrears``), never silently forgiven."""
        due = self.spec.staff_cost_bn_per_month + self.arrears
        paid = min(due, max(self.cash, 0.0))
        self.ctx.ledger.transfer(self.name, "suppliers", paid, "staff")
        self.arrears = due - paid

    def revenue_growth(self) -> float:
        """Monthly revenue growth factor it has shown over the last ``market.growth_shown_months``,
        at most ``max_growth_shown_per_year``: months before its record count at the growth it
        showed before the start (``revenue_growth_per_year``, else the long-run rate)."""
        market = self.ctx.world.spec.market
        window = market.growth_shown_months
        cap = market.max_growth_shown_per_year ** (1 / 12)
        prior = (self.spec.revenue_growth_per_year or market.long_run_growth_per_year) ** (1 / 12)
        history = self.revenue_history
        months = min(window, len(history) - 1)
        if len(history) and history[-1] <= 0:
            return market.long_run_growth_per_year ** (1 / 12)
        if months >= 1 and history[-1 - months] <= 0:
            return cap
        observed = history[-1] / history[-1 - months] if months >= 1 else 1.0
        return min((prior ** (window - months) * observed) ** (1 / window), cap)

    def issue_equity(self, investor: str, stake: float) -> None:
        """Dilute every holder by ``stake`` and give it to ``investor``."""
        for holder in self.cap_table:
            self.cap_table[holder] *= 1 - stake
        self.cap_table[investor] = self.cap_table.get(investor, 0.0) + stake

    def train(self, eff_gw: float) -> None:
        """Add algorithm-adjusted training compute, times research luck, to the capability stock;
        old models decay."""
        tech = self.ctx.world.spec.technology
        luck = self.luck.lognormal(-0.5 * tech.research_noise**2, tech.research_noise)
        self.training_gw = eff_gw
        self.stock = (
            self.stock * (1 - tech.capability_decay_per_month)
            + eff_gw * self.ctx.world.algorithmic_multiplier * luck
        )

    def report(self, column: str) -> Any:
        if column == "valuation":
            return self.ctx.valuation(self)
        if column == "providers":
            return len(self.providers)
        if column == "largest_holder_stake":
            return max((s for h, s in self.cap_table.items() if h in self.ctx.firms), default=0.0)
        if column == "status":
            return self.status()
        return super().report(column)
