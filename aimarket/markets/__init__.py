"""The four markets, each clearing in its own module (equations in docs/ODD.md):

- ``models``: end users choose among closed models, the best open-weight model and no model;
- ``compute``: labs and other buyers get cloud compute, contracts first then spot;
- ``chips``: clouds fill ready shells with own chips, contracted chips and merchant supply;
- ``capital``: lab valuations, parents' group funding and outside investors' rounds.

``clearing`` holds the pure array mechanisms they share; ``MarketState`` the results one market
leaves for the others, the agents' observations and the records.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True)
class MarketState:
    """Market-wide results carried between the markets within and across months."""

    start_price: float  # USD bn/eff-GW-month: capacity-weighted compute price at the start
    price_unit: float  # USD bn per usage unit: the serving cost at the start, the fixed money
    # unit of end users' price sensitivity (and of scenario lab prices)
    reference_price: float  # same, when end users chose this month
    open_capability: float = 0.0  # OOM of the best open-weight model
    open_share: float = 0.0  # open-weight share of potential usage
    unit_cost: float = 0.0  # USD bn per usage unit: serving cost at this month's reference price
    consumer_surplus: float = 0.0  # USD bn this month
    shortfall_share: float = 0.0  # labs' unmet share of desired compute this month
    frontier_history: list[float] = field(default_factory=list)  # OOM, one per month
