"""The run's shared state, grouped and handed explicitly to agents and submodels.

The model builds one ``Context``; agents, regulators, markets, information and records read and
change the run through it, never through the model. Populations are lists in scenario order
(``labs``: those that have entered by this month).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aimarket.blocs import Blocs
from aimarket.dealbook import DealBook
from aimarket.deals import EventLog
from aimarket.ledger import Ledger
from aimarket.markets import MarketState, capital
from aimarket.world import World


@dataclass
class Context:
    """Ledger, world, deal book, blocs, market results and the populations of one run."""

    world: World
    ledger: Ledger
    events: EventLog
    firms: dict[str, Any] = field(default_factory=dict)  # name -> firm agent
    book: DealBook = field(init=False)  # set once the firms exist
    blocs: Blocs = field(init=False)
    markets: MarketState = field(init=False)
    hyperscalers: list[Any] = field(default_factory=list)
    all_labs: list[Any] = field(default_factory=list)
    labs: list[Any] = field(default_factory=list)
    chipmakers: list[Any] = field(default_factory=list)
    projects: list[Any] = field(default_factory=list)
    regulators: list[Any] = field(default_factory=list)

    def valuation(self, lab: Any) -> float:
        """A lab's pre-money valuation now, USD bn (capital market); 0 once it has exited."""
        if lab.exited:
            return 0.0
        return capital.lab_valuation(lab, self.markets.open_capability, self.world.spec.market)
