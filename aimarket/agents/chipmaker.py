"""Merchant chipmakers: supply-constrained accelerator production, pricing, ecosystem lock-in."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Any, ClassVar

import mesa
import numpy as np

from aimarket.agents.base import HISTORY, Firm
from aimarket.context import Context
from aimarket.strategies.base import ChipmakerDecision, ChipmakerObs

if TYPE_CHECKING:
    from aimarket.information import Information


class Chipmaker(Firm):
    """A merchant accelerator maker: supply-constrained production, pricing, ecosystem lock-in."""

    agent_type: ClassVar[str] = "chipmaker"

    def __init__(self, model: mesa.Model, spec: Any, ctx: Context) -> None:
        super().__init__(model, spec, ctx)
        self.supply = spec.supply_gw_per_month
        self.price = spec.price_bn_per_gw
        self.performance = spec.performance
        self.demand_history: deque[float] = deque(maxlen=HISTORY)
        self.delivered: deque[float] = deque([0.0] * 12, maxlen=12)
        self.sales: deque[dict[str, float]] = deque(maxlen=12)  # GW sold per cloud, by month
        self._sold: deque[tuple[dict, tuple[str, ...], np.ndarray]] = deque(maxlen=12)
        self.priority: list[str] = []  # clouds its strategy serves first

    def observe(self, info: Information) -> ChipmakerObs:
        return ChipmakerObs(
            public=info.public,
            name=self.name,
            cash_bn=self.cash,
            supply_gw=self.supply,
            max_supply_growth_per_month=self.spec.supply_growth_per_year ** (1 / 12),
            price=self.price,
            unit_cost=self.spec.unit_cost_bn_per_gw,
            demand_history=tuple(self.demand_history),
            sales_by_cloud=self.sales_by_cloud(),
            backed_labs=info.backed.get(self.name, ()),
            holdings_bn=info.holdings.get(self.name, 0.0),
        )

    def record_sales(self, clouds: tuple[str, ...], gw: np.ndarray) -> None:
        """This month's sales: GW sold to each of ``clouds`` (same order)."""
        month = dict(zip(clouds, gw.tolist(), strict=True))
        self.sales.append(month)
        self._sold.append((month, clouds, gw))

    def sales_by_cloud(self) -> dict[str, float]:
        """GW sold to each cloud over the months in ``sales``, summed month by month."""
        months = self.sales
        if (
            months
            and len(self._sold) == len(months)
            and all(
                m is r[0] and r[1] == self._sold[0][1]
                for m, r in zip(months, self._sold, strict=True)
            )
        ):  # recorded by ``record_sales``: the same clouds every month, summed as arrays
            total = np.zeros(len(self._sold[0][1]))
            for _, _, gw in self._sold:
                total += gw
            return dict(zip(self._sold[0][1], total.tolist(), strict=True))
        sales: dict[str, float] = {}
        for month in months:
            for cloud, gw in month.items():
                sales[cloud] = sales.get(cloud, 0.0) + gw
        return sales

    def apply(self, d: ChipmakerDecision) -> None:
        """Carry out this month's decision: price, expansion, priority clouds, offers."""
        self.price = d.price or self.price
        self.expand(d.expand_gw)
        self.priority = list(d.priority)
        for offer in d.offers:
            self.ctx.book.propose(self.name, offer)

    def expand(self, gw: float) -> None:
        """Add production capacity (GW/month); costs a year of output at unit cost."""
        cost = min(max(gw, 0.0) * 12 * self.spec.unit_cost_bn_per_gw, max(self.cash, 0.0))
        if cost <= 0:
            return
        self.ctx.ledger.transfer(self.name, "suppliers", cost, "capex_fab")
        self.supply += cost / (12 * self.spec.unit_cost_bn_per_gw)

    def advance(self) -> None:
        self.performance *= self.ctx.world.chip_growth_per_month
