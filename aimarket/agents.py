"""Firm agents: hyperscalers, AI labs, chipmakers and open-weight projects.

Agents hold state; their strategy objects make the decisions from an observation; the model's
markets (``aimarket.markets``) clear the results. Cash is never stored on an agent: it is the
agent's balance in the model's ledger. Units: USD bn, GW (physical), eff-GW (effective compute,
GW times chip efficiency relative to the start), months.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np

from aimarket import strategies
from aimarket.deals import Deal, Exclusivity, Status
from aimarket.strategies.base import DealView, Strategy

if TYPE_CHECKING:
    from aimarket.model import AIMarket

HISTORY = 24  # months of history an agent remembers


class Firm(mesa.Agent):
    """Common state: name, strategy, cash (from the ledger), deals it is party to."""

    agent_type: str = ""
    model: AIMarket

    def __init__(self, model: AIMarket, spec: Any) -> None:
        super().__init__(model)
        self.luck: np.random.Generator = model.rng.spawn(1)[0]  # own exogenous luck stream
        self.name: str = spec.name
        self.strategy: Strategy = strategies.make(
            self.agent_type, spec.strategy, dict(spec.strategy_params)
        )
        model.ledger.open(self.name, spec.cash_bn)

    @property
    def cash(self) -> float:
        return self.model.ledger.balance(self.name)

    def deal_views(self, deals: list[Deal]) -> tuple[DealView, ...]:
        tick = self.model.tick
        return tuple(
            DealView(
                id=d.id,
                investor=d.investor,
                target=d.target,
                exclusivity=d.terms.exclusivity,
                commit_gw=d.terms.commit_gw,
                exit_penalty_bn=d.terms.exit_penalty_bn,
                months_left=max((d.end_tick or tick) - tick, 0),
                loosen_requested=d.loosen_requested,
                loosen_refused=self.model.loosen_refused.get(d.id, False),
            )
            for d in deals
        )


class Hyperscaler(Firm):
    """A cloud provider: builds data centres, buys or makes chips, sells compute, invests."""

    agent_type = "hyperscaler"

    def __init__(self, model: AIMarket, spec: Any) -> None:
        super().__init__(model, spec)
        self.spec = spec
        self.capacity_gw = spec.capacity_gw
        self.capacity_eff = spec.capacity_gw * spec.capacity_efficiency
        lead = spec.build_lead_months
        self.pipeline: deque[tuple[int, float]] = deque(
            (t, spec.pipeline_gw / lead) for t in range(lead)
        )
        self.waiting_gw = 0.0
        self.price = spec.compute_price
        self.maturity = spec.inhouse_maturity
        self.inhouse_share = 0.0
        self.demand_history: deque[float] = deque(maxlen=HISTORY)
        self.requested = 0.0  # eff-GW asked of it this month
        self.sold = 0.0  # eff-GW delivered this month
        self.revenue = 0.0  # USD bn this month
        self.shortfall_by_lab: dict[str, float] = {}
        self.inhouse_delivered: deque[float] = deque([0.0] * 12, maxlen=12)

    @property
    def pipeline_gw(self) -> float:
        return sum(gw for _, gw in self.pipeline)

    def observe(self) -> Any:
        from aimarket.strategies.base import HyperscalerObs

        m, spec = self.model, self.spec
        deals = [d for d in m.deals_of(self.name) if d.investor == self.name and d.active]
        committed = sum(d.terms.commit_gw for d in deals)
        inhouse_commit = sum(d.terms.commit_gw * d.terms.inhouse_chip_share for d in deals)
        requests = [d for d in deals if d.loosen_requested]
        return HyperscalerObs(
            public=m.public,
            name=self.name,
            cash_bn=self.cash,
            capacity_eff_gw=self.capacity_eff,
            capacity_gw=self.capacity_gw,
            pipeline_gw=self.pipeline_gw,
            waiting_gw=self.waiting_gw,
            build_lead_months=spec.build_lead_months,
            keep_per_month=self.keep_per_month,
            efficiency_new=m.best_chip_efficiency(),
            demand_history=tuple(self.demand_history),
            committed_gw=committed,
            price=self.price,
            opex_per_eff_gw=spec.opex_bn_per_gw_month
            * self.capacity_gw
            / max(self.capacity_eff, 1e-9),
            build_cost_per_gw=spec.shell_cost_bn_per_gw + m.mean_chip_price(),
            inhouse_maturity=self.maturity,
            inhouse_cost_per_gw=spec.inhouse_cost_bn_per_gw + spec.shell_cost_bn_per_gw,
            inhouse_capacity_gw=spec.inhouse_capacity_gw_per_month,
            inhouse_commit_share=inhouse_commit / committed if committed > 0 else 0.0,
            backed_labs=m.backed.get(self.name, ()),
            deals=self.deal_views(deals),
            loosen_requests=self.deal_views(requests),
            shortfall_by_lab=dict(self.shortfall_by_lab),
            holdings_bn=m.holdings.get(self.name, 0.0),
        )

    def build(self, gw: float) -> None:
        """Order ``gw`` GW of shells: paid now, ready after the lead time."""
        cost = min(gw * self.spec.shell_cost_bn_per_gw, max(self.cash, 0.0))
        if cost <= 0:
            return
        self.model.ledger.transfer(self.name, "suppliers", cost, "capex_shell")
        delay = self.luck.poisson(self.model.spec.technology.construction_delay_months)
        ready = self.model.tick + self.spec.build_lead_months + int(delay)
        self.pipeline.append((ready, cost / self.spec.shell_cost_bn_per_gw))

    def advance_construction(self) -> None:
        ready = [gw for tick, gw in self.pipeline if tick <= self.model.tick]
        if ready:
            self.waiting_gw += sum(ready)
            self.pipeline = deque((t, gw) for t, gw in self.pipeline if t > self.model.tick)

    def research(self, rd_bn: float) -> None:
        """In-house chip R&D: maturity closes 1 - exp(-rd/scale) of its gap to 1 each month."""
        rd = min(max(rd_bn, 0.0), max(self.cash, 0.0))
        if rd <= 0:
            return
        self.model.ledger.transfer(self.name, "suppliers", rd, "chip_rd")
        self.maturity += (1 - self.maturity) * (1 - np.exp(-rd / self.spec.inhouse_rd_scale_bn))

    def install(self, gw: float, efficiency: float) -> None:
        """Put chips into waiting shells."""
        gw = min(gw, self.waiting_gw)
        self.waiting_gw -= gw
        self.capacity_gw += gw
        self.capacity_eff += gw * efficiency

    def run_costs(self) -> None:
        """Operating costs, non-AI income and retirement of old capacity for one month."""
        spec, ledger = self.spec, self.model.ledger
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


class Lab(Firm):
    """An AI lab: trains models, sells usage, buys compute, raises money."""

    agent_type = "lab"

    def __init__(self, model: AIMarket, spec: Any) -> None:
        super().__init__(model, spec)
        self.spec = spec
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
        self.providers: set[str] = set()
        self.offers: list[Deal] = []

    @property
    def capability(self) -> float:
        return float(np.log10(max(self.stock, 1e-12)))

    def controller(self) -> str:
        """Agent holding a controlling stake (at least ``market.control_stake``), '' if none."""
        threshold = self.model.spec.market.control_stake
        held = [(s, o) for o, s in self.cap_table.items() if o in self.model.firms]
        stake, owner = max(held, default=(0.0, ""))
        return owner if stake >= threshold else ""

    def parent(self) -> str:
        """The hyperscaler owning a majority, whose cloud it uses and who funds it; '' if none."""
        owner = self.controller()
        if (
            owner
            and self.cap_table[owner] >= 0.5
            and self.model.firms[owner].agent_type == "hyperscaler"
        ):
            return owner
        return ""

    def observe(self) -> Any:
        from aimarket.strategies.base import LabObs

        m = self.model
        deals = [  # signed deals count from signature: a deal under review binds the lab too
            d
            for d in m.deals_of(self.name)
            if d.target == self.name and d.status in (Status.ACTIVE, Status.UNDER_REVIEW)
        ]
        return LabObs(
            public=m.public,
            name=self.name,
            cash_bn=self.cash,
            credits_bn=m.ledger.credits_of(self.name),
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
            * m.spec.technology.capability_decay_per_month
            / m.algorithmic_multiplier,
            expected_compute_price=m.expected_price(self),
            reference_compute_price=m.reference_price,
            shortfall_history=tuple(self.shortfall_history),
            valuation_bn=m.valuation_of(self),
            controlled_by=self.controller(),
            deals=self.deal_views(deals),
            offers=tuple(m.offer_view(d) for d in self.offers),
        )

    def issue_equity(self, investor: str, stake: float) -> None:
        """Dilute every holder by ``stake`` and give it to ``investor``."""
        for holder in self.cap_table:
            self.cap_table[holder] *= 1 - stake
        self.cap_table[investor] = self.cap_table.get(investor, 0.0) + stake

    def train(self, eff_gw: float) -> None:
        """Add algorithm-adjusted training compute, times research luck, to the capability stock;
        old models decay."""
        tech = self.model.spec.technology
        luck = self.luck.lognormal(-0.5 * tech.research_noise**2, tech.research_noise)
        self.training_gw = eff_gw
        self.stock = (
            self.stock * (1 - tech.capability_decay_per_month)
            + eff_gw * self.model.algorithmic_multiplier * luck
        )


class Chipmaker(Firm):
    """A merchant accelerator maker: supply-constrained production, pricing, ecosystem lock-in."""

    agent_type = "chipmaker"

    def __init__(self, model: AIMarket, spec: Any) -> None:
        super().__init__(model, spec)
        self.spec = spec
        self.supply = spec.supply_gw_per_month
        self.price = spec.price_bn_per_gw
        self.performance = spec.performance
        self.demand_history: deque[float] = deque(maxlen=HISTORY)
        self.delivered: deque[float] = deque([0.0] * 12, maxlen=12)
        self.sales: deque[dict[str, float]] = deque(maxlen=12)  # GW sold per cloud, by month
        self.priority: list[str] = []  # clouds its strategy serves first

    def observe(self) -> Any:
        from aimarket.strategies.base import ChipmakerObs

        m = self.model
        sales: dict[str, float] = {}
        for month in self.sales:
            for cloud, gw in month.items():
                sales[cloud] = sales.get(cloud, 0.0) + gw
        return ChipmakerObs(
            public=m.public,
            name=self.name,
            cash_bn=self.cash,
            supply_gw=self.supply,
            max_supply_growth_per_month=self.spec.supply_growth_per_year ** (1 / 12),
            price=self.price,
            unit_cost=self.spec.unit_cost_bn_per_gw,
            demand_history=tuple(self.demand_history),
            sales_by_cloud=sales,
            backed_labs=m.backed.get(self.name, ()),
            holdings_bn=m.holdings.get(self.name, 0.0),
        )

    def expand(self, gw: float) -> None:
        """Add production capacity (GW/month); costs a year of output at unit cost."""
        cost = min(max(gw, 0.0) * 12 * self.spec.unit_cost_bn_per_gw, max(self.cash, 0.0))
        if cost <= 0:
            return
        self.model.ledger.transfer(self.name, "suppliers", cost, "capex_fab")
        self.supply += cost / (12 * self.spec.unit_cost_bn_per_gw)

    def advance(self) -> None:
        self.performance *= self.model.chip_growth_per_month


class OpenSourceProject(Firm):
    """An open-weight model project: trails the frontier by a lag that funding shortens."""

    agent_type = "open_source"

    def __init__(self, model: AIMarket, spec: Any) -> None:
        super().__init__(model, spec)
        self.spec = spec
        self.funding: deque[float] = deque([spec.community_funding_bn_per_month] * 12, maxlen=12)
        self.sponsorship = 0.0  # USD bn received from hyperscalers this month

    @property
    def lag_months(self) -> float:
        """Lag = min + (base - min) * exp(-mean monthly funding / funding scale)."""
        s = self.spec
        mean = float(np.mean(self.funding))
        return s.min_lag_months + (s.base_lag_months - s.min_lag_months) * np.exp(
            -mean / s.funding_scale_bn_per_month
        )

    def observe(self) -> Any:
        from aimarket.strategies.base import OpenSourceObs

        s = self.spec
        return OpenSourceObs(
            public=self.model.public,
            name=self.name,
            cash_bn=self.cash,
            lag_months=self.lag_months,
            mean_funding_bn=float(np.mean(self.funding)),
            sponsorship_bn=self.sponsorship,
            min_lag_months=s.min_lag_months,
            base_lag_months=s.base_lag_months,
            funding_scale_bn_per_month=s.funding_scale_bn_per_month,
        )


def restriction(deals: list[Deal]) -> tuple[str, Exclusivity]:
    """The cloud whose clause binds a lab, and the clause (the strictest in force)."""
    binding = [d for d in deals if d.restricts]
    if not binding:
        return "", Exclusivity.NONE
    strict = max(binding, key=lambda d: d.terms.exclusivity is Exclusivity.EXCLUSIVE)
    return strict.investor, strict.terms.exclusivity
