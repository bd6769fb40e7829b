"""The exogenous world: calendar, technology and demand trends, scheduled shocks and events.

Nothing here responds to agents' decisions. Trends advance once a month; market demand has its
own random stream (spawned from the model's generator), so one seed gives one demand path
whatever the strategies or policies. Shocks replace technology or market parameters at a month;
the scenario spec object is shared with the rest of the model, so every reader sees the change.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from aimarket.dotted import set_key
from aimarket.scenario import ScenarioSpec


def month_index(month: str) -> int:
    """Months since year 0 of a ``YYYY-MM`` string."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


class World:
    """Calendar and exogenous trends of one run.

    ``tick`` is the month being simulated (0 = the scenario's start month); the model sets it from
    Mesa's ``steps`` at the start of each step. Units: usage units/month, eff-GW, USD bn/month.
    """

    def __init__(self, spec: ScenarioSpec, luck: np.random.Generator) -> None:
        self.spec = spec
        self.luck = luck
        self.start = month_index(spec.start)
        self.tick = 0
        market = spec.market
        self.algorithmic_multiplier = 1.0
        self.inference_multiplier = 1.0
        self.usage_units = market.usage_units
        self.demand_growth_from = 0  # tick from which demand growth fades (start or last shock)
        self.enterprise_demand = market.enterprise_compute_gw
        self.outside_capital = market.outside_capital_bn_per_month  # USD bn/month, this month
        self.chip_growth_per_month = spec.technology.chip_efficiency_growth_per_year ** (1 / 12)
        self.usage_history: list[float] = []  # usage units of each completed month
        self.shocks_by_tick: dict[int, list[Any]] = defaultdict(list)
        for s in spec.shocks:
            self.shocks_by_tick[self.tick_of(s.month)].append(s)
        self.events_by_tick: dict[int, list[Any]] = defaultdict(list)  # scheduled offers, deals
        for e in spec.events:
            self.events_by_tick[self.tick_of(e.month)].append(e)

    def tick_of(self, month: str) -> int:
        """Tick of a ``YYYY-MM`` month (negative before the start)."""
        return month_index(month) - self.start

    def date_of(self, tick: int) -> str:
        """``YYYY-MM`` of a tick."""
        idx = self.start + tick
        return f"{idx // 12:04d}-{idx % 12 + 1:02d}"

    def apply_shocks(self) -> None:
        """Replace the technology and market parameters the shocks of this month set."""
        spec = self.spec
        for shock in self.shocks_by_tick.get(self.tick, []):
            data = {"technology": spec.technology.model_dump(), "market": spec.market.model_dump()}
            for key, value in shock.set.items():
                set_key(data, key, value, f"shock {shock.month}")
            spec.technology = type(spec.technology).model_validate(data["technology"])
            spec.market = type(spec.market).model_validate(data["market"])
            self.chip_growth_per_month = spec.technology.chip_efficiency_growth_per_year ** (1 / 12)
            if "market.demand_growth_per_year" in shock.set:
                self.demand_growth_from = self.tick
            if "market.outside_capital_bn_per_month" in shock.set:
                self.outside_capital = spec.market.outside_capital_bn_per_month

    def advance(self) -> None:
        """One month of algorithmic progress, inference efficiency, demand and capital growth."""
        tech, market = self.spec.technology, self.spec.market
        self.algorithmic_multiplier *= 2 ** (1 / tech.algorithmic_halving_months)
        self.inference_multiplier *= tech.inference_efficiency_growth_per_year ** (1 / 12)
        shock = self.luck.lognormal(-0.5 * market.demand_noise**2, market.demand_noise)
        self.usage_units *= self.demand_growth_per_month() * shock
        self.enterprise_demand *= market.enterprise_growth_per_year ** (1 / 12)
        self.outside_capital *= market.outside_capital_growth_per_year ** (1 / 12)

    def demand_growth_per_month(self) -> float:
        """Growth factor of potential model usage this month: ``demand_growth_per_year`` fading
        toward ``long_run_demand_growth_per_year`` in log terms with time constant
        ``demand_growth_fade_months``, counted from the start or the last shock that set it."""
        m = self.spec.market
        fade = math.exp(-(self.tick - self.demand_growth_from) / m.demand_growth_fade_months)
        log_long = math.log(m.long_run_demand_growth_per_year)
        return math.exp((log_long + (math.log(m.demand_growth_per_year) - log_long) * fade) / 12)

    def usage_growth_per_month(self) -> float:
        """Observed monthly growth factor of model usage over the last 12 completed months."""
        history = self.usage_history
        usage = history[-1] if history else self.usage_units
        before = history[-13] if len(history) > 12 else None
        return (usage / before) ** (1 / 12) if before else 1.0
