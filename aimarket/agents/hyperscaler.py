"""Hyperscalers: cloud providers that build data centres, buy or make chips, sell compute and
invest in labs."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from aimarket.agents.base import HISTORY, Firm
from aimarket.context import Context
from aimarket.deals import Cause
from aimarket.markets import bargaining
from aimarket.strategies.base import HyperscalerDecision, HyperscalerObs

if TYPE_CHECKING:
    from aimarket.information import Information


class Hyperscaler(Firm):
    """A cloud provider: builds data centres, buys or makes chips, sells compute, invests."""

    agent_type: ClassVar[str] = "hyperscaler"

    def __init__(self, model: mesa.Model, spec: Any, ctx: Context) -> None:
        super().__init__(model, spec, ctx)
        self.capacity_gw = spec.capacity_gw
        self.capacity_eff = spec.capacity_gw * spec.capacity_efficiency
        lead = spec.build_lead_months
        self.pipeline: deque[tuple[int, float]] = deque(
            (t, spec.pipeline_gw / lead) for t in range(lead)
        )
        self.waiting_gw = 0.0
        self.price = spec.compute_price  # spot price, USD bn per eff-GW-month (market-set)
        self.reserve = 0.0  # least it sells spot compute for, USD bn per eff-GW-month
        self.capacity_cost = 0.0  # long-run cost of new capacity, USD bn per eff-GW-month
        self.maturity = spec.inhouse_maturity
        self.inhouse_share = 0.0
        self.demand_history: deque[float] = deque(maxlen=HISTORY)
        self.requested = 0.0  # eff-GW asked of it this month
        self.sold = 0.0  # eff-GW delivered this month
        self.revenue = 0.0  # USD bn this month
        self.shortfall_by_lab: dict[str, float] = {}
        self.revenue_by_lab: dict[str, float] = {}  # USD bn this month, by lab
        self.inhouse_delivered: deque[float] = deque([0.0] * 12, maxlen=12)
        self.match_bn: dict[str, float] = {}  # lab -> USD bn it would pay to keep a first refusal

    @property
    def pipeline_gw(self) -> float:
        return sum(gw for _, gw in self.pipeline)

    def observe(self, info: Information) -> HyperscalerObs:
        spec = self.spec
        deals = [
            d for d in self.ctx.book.deals_of(self.name) if d.investor == self.name and d.active
        ]
        committed = sum(d.terms.commit_gw for d in deals)
        inhouse_commit = sum(d.terms.commit_gw * d.terms.inhouse_chip_share for d in deals)
        requests = [d for d in deals if d.loosen_requested]
        build_cost = spec.shell_cost_bn_per_gw + info.mean_chip_price()
        efficiency = info.best_chip_efficiency()
        self.capacity_cost = bargaining.capacity_cost(
            build_cost,
            spec.opex_bn_per_gw_month,
            efficiency,
            self.keep_per_month,
            self.ctx.world.spec.market.cloud_cost_of_capital_per_year,
        )
        return HyperscalerObs(
            public=info.public,
            name=self.name,
            cash_bn=self.cash,
            capacity_eff_gw=self.capacity_eff,
            capacity_gw=self.capacity_gw,
            pipeline_gw=self.pipeline_gw,
            waiting_gw=self.waiting_gw,
            build_lead_months=spec.build_lead_months,
            keep_per_month=self.keep_per_month,
            efficiency_new=efficiency,
            demand_history=tuple(self.demand_history),
            committed_gw=committed,
            price=self.price,
            opex_per_eff_gw=spec.opex_bn_per_gw_month
            * self.capacity_gw
            / max(self.capacity_eff, 1e-9),
            build_cost_per_gw=build_cost,
            capacity_cost_per_eff_gw=self.capacity_cost,
            inhouse_maturity=self.maturity,
            inhouse_cost_per_gw=spec.inhouse_cost_bn_per_gw + spec.shell_cost_bn_per_gw,
            inhouse_capacity_gw=spec.inhouse_capacity_gw_per_month,
            inhouse_commit_share=inhouse_commit / committed if committed > 0 else 0.0,
            backed_labs=info.backed.get(self.name, ()),
            deals=info.deal_views(deals),
            loosen_requests=info.deal_views(requests),
            shortfall_by_lab=dict(self.shortfall_by_lab),
            holdings_bn=info.holdings.get(self.name, 0.0),
            revenue_by_lab=dict(self.revenue_by_lab),
        )

    def apply(self, d: HyperscalerDecision) -> None:
        """Carry out this month's decision: reserve price, chips, building, R&D, offers (their
        compute price set by bargaining, ``contract_price``), answers to loosening requests,
        first-refusal match limits and sponsorships."""
        book, ledger = self.ctx.book, self.ctx.ledger
        if d.price is not None:
            self.reserve = max(d.price, 0.0)
        self.price = max(self.price, self.reserve)
        self.match_bn = dict(d.match_bn)
        self.inhouse_share = float(np.clip(d.inhouse_share, 0.0, 1.0))
        self.build(d.build_gw)
        self.research(d.rd_bn)
        for offer in d.offers:
            if offer.commit_gw > 0 and offer.target in self.ctx.firms:
                offer.commit_price = self.contract_price(self.ctx.firms[offer.target])
            book.propose(self.name, offer)
        for deal_id, agree in d.loosen.items():
            deal = book.deals[deal_id]
            if agree:
                book.loosen(deal, Cause.CAPACITY_SHORTFALL)
            else:
                book.loosen_refused[deal_id] = True
            deal.loosen_requested = False
        for name, amount in d.sponsor_bn.items():
            project = self.ctx.firms.get(name)
            if project is None or project.agent_type != "open_source":
                continue
            paid = min(max(amount, 0.0), max(self.cash, 0.0))
            ledger.transfer(self.name, name, paid, "sponsorship")
            project.sponsorship += paid

    def contract_price(self, lab: Any) -> float:
        """USD bn per eff-GW-month of a take-or-pay contract with ``lab``: the Nash bargaining
        price between its capacity cost and the compute's value to the lab (this cloud's spot
        price plus the lab's recent unmet share at ``market.shortfall_value``)."""
        market = self.ctx.world.spec.market
        recent = list(lab.shortfall_history)[-6:]
        short = sum(recent) / len(recent) if recent else 0.0
        value = bargaining.buyer_value(self.price, short, market.shortfall_value)
        return bargaining.nash_price(self.capacity_cost, value, market.cloud_bargaining_weight)

    def build(self, gw: float) -> None:
        """Order ``gw`` GW of shells: paid now, ready after the lead time."""
        cost = min(gw * self.spec.shell_cost_bn_per_gw, max(self.cash, 0.0))
        if cost <= 0:
            return
        self.ctx.ledger.transfer(self.name, "suppliers", cost, "capex_shell")
        delay = self.luck.poisson(self.ctx.world.spec.technology.construction_delay_months)
        ready = self.ctx.world.tick + self.spec.build_lead_months + int(delay)
        self.pipeline.append((ready, cost / self.spec.shell_cost_bn_per_gw))

    def advance_construction(self) -> None:
        ready = [gw for tick, gw in self.pipeline if tick <= self.ctx.world.tick]
        if ready:
            self.waiting_gw += sum(ready)
            self.pipeline = deque((t, gw) for t, gw in self.pipeline if t > self.ctx.world.tick)

    def research(self, rd_bn: float) -> None:
        """In-house chip R&D: maturity closes 1 - exp(-rd/scale) of its gap to 1 each month."""
        rd = min(max(rd_bn, 0.0), max(self.cash, 0.0))
        if rd <= 0:
            return
        self.ctx.ledger.transfer(self.name, "suppliers", rd, "chip_rd")
        self.maturity += (1 - self.maturity) * (1 - np.exp(-rd / self.spec.inhouse_rd_scale_bn))

    def install(self, gw: float, efficiency: float) -> None:
        """Put chips into waiting shells."""
        gw = min(gw, self.waiting_gw)
        self.waiting_gw -= gw
        self.capacity_gw += gw
        self.capacity_eff += gw * efficiency

    def run_costs(self) -> None:
        """Operating costs, non-AI income and retirement of old capacity for one month."""
        spec, ledger = self.spec, self.ctx.ledger
        ledger.transfer("end_users", self.name, spec.other_income_bn_per_month, "other_income")
        ledger.transfer(
            self.name,
            "suppliers",
            min(spec.opex_bn_per_gw_month * self.capacity_gw, max(self.cash, 0.0)),
            "opex",
        )
        self.capacity_gw *= self.keep_per_month
        self.capacity_eff *= self.keep_per_month

    @property
    def keep_per_month(self) -> float:
        """Share of installed capacity still in service a month later (depreciation)."""
        return (1 - self.spec.depreciation_per_year) ** (1 / 12)
