"""Bilateral bargaining over compute contracts (docs/ODD.md, "Contract prices and first refusal").

Terms are the Nash bargaining solution against each side's outside option, taking every other
contract as given (Nash-in-Nash, Horn and Wolinsky 1988; Collard-Wexler, Gowrisankaran and Lee
2019): the seller's outside option is its long-run capacity cost, the buyer's the value of the
compute to it (spot price plus the shortfall it would otherwise bear).
"""

from __future__ import annotations


def capacity_cost(
    build_cost_per_gw: float,
    opex_per_gw: float,
    efficiency: float,
    keep_per_month: float,
    cost_of_capital_per_year: float,
) -> float:
    """Long-run cost of new capacity, USD bn per eff-GW-month: capex recovered as an annuity at the
    cloud's cost of capital plus depreciation, ``K (r + delta)``, plus opex, per eff-GW."""
    r = cost_of_capital_per_year ** (1 / 12) - 1
    delta = 1 - keep_per_month
    return (build_cost_per_gw * (r + delta) + opex_per_gw) / max(efficiency, 1e-9)


def buyer_value(spot_price: float, shortfall_share: float, shortfall_value: float) -> float:
    """What one eff-GW-month of guaranteed compute is worth to a lab, USD bn: the spot price plus
    the expected loss on compute the spot market would not deliver (its recent unmet share,
    valued at ``shortfall_value`` USD per USD of compute)."""
    return spot_price * (1 + shortfall_share * shortfall_value)


def nash_price(cost: float, value: float, seller_weight: float) -> float:
    """Nash bargaining price between a seller with unit cost ``cost`` and a buyer with unit value
    ``value``: the seller takes ``seller_weight`` of the gain from trade; no gain, the cost."""
    return cost + seller_weight * max(value - cost, 0.0)


def retention_value(spend_bn_per_month: float, margin: float, months: float) -> float:
    """USD bn a cloud gains by keeping a lab's compute for ``months``: its margin (fraction of the
    price above capacity cost) on what the lab spends with it a month."""
    return max(spend_bn_per_month, 0.0) * max(margin, 0.0) * max(months, 0.0)
