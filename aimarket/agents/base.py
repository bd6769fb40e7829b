"""The firm agent every industry agent type extends: name, strategy, cash in the ledger.

Agents hold state; their strategy objects decide from an observation the agent builds from the
month's ``Information``; the markets clear the results. Cash is never stored on an agent: it is
the agent's balance in the run's ledger. Units: USD bn, GW (physical), eff-GW (effective compute,
GW times chip efficiency relative to the start), months.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import mesa
import numpy as np

from aimarket import strategies
from aimarket.context import Context
from aimarket.strategies.base import Strategy

HISTORY = 24  # months of history an agent remembers


class Firm(mesa.Agent):
    """Common state: name, strategy, cash (from the ledger), its own exogenous luck stream."""

    agent_type: ClassVar[str] = ""

    def __init__(self, model: mesa.Model, spec: Any, ctx: Context) -> None:
        super().__init__(model)
        self.ctx = ctx
        self.spec = spec
        self.luck: np.random.Generator = model.rng.spawn(1)[0]  # own exogenous luck stream
        self.name: str = spec.name
        self.strategy: Strategy = strategies.make(
            self.agent_type, spec.strategy, dict(spec.strategy_params)
        )
        ctx.ledger.open(self.name, spec.cash_bn)

    @property
    def cash(self) -> float:
        return self.ctx.ledger.balance(self.name)

    def report(self, column: str) -> Any:
        """The value of one per-agent output column (``aimarket.records.AGENT_COLUMNS``) this
        month; NaN where the column does not apply to the type."""
        if column == "cash":
            return self.cash
        if column == "credits":
            return sum(self.ctx.ledger.credits_of(self.name).values())
        return getattr(self, _ATTRIBUTE.get(column, column), math.nan)


_ATTRIBUTE = {"capacity_eff_gw": "capacity_eff"}  # output column -> attribute, where they differ
