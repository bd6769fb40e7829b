"""The capital market: lab valuations, parents' group funding and outside investors' rounds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aimarket.ledger import Ledger


def valuation(
    annual_revenue_bn: np.ndarray,
    capability: np.ndarray,
    open_capability: float,
    revenue_multiple: float,
    value_per_oom_bn: float,
    floor_bn: float,
) -> np.ndarray:
    """Pre-money valuation (USD bn): revenue multiple plus the value of the capability lead."""
    lead = np.maximum(capability - open_capability, 0.0)
    return np.maximum(revenue_multiple * annual_revenue_bn + value_per_oom_bn * lead, floor_bn)


def lab_valuation(lab: Any, open_capability: float, market: Any) -> float:
    """Pre-money valuation (USD bn) of one lab from its last month's revenue and capability."""
    return float(
        valuation(
            np.array([12 * lab.revenue]),
            np.array([lab.capability]),
            open_capability,
            market.revenue_multiple,
            market.capability_value_bn_per_oom,
            market.min_valuation_bn,
        )[0]
    )


def fund(
    labs: Sequence[Any],
    ledger: Ledger,
    pool_bn: float,
    market: Any,
    value_of: Any,
) -> None:
    """Parents fund their in-house labs (up to ``market.group_funding_share`` of their cash);
    outside investors fund what other labs still seek, pro rata, from a pool of ``pool_bn``
    USD bn, buying shares at the labs' valuations (``value_of``)."""
    for lab in labs:
        if (owner := lab.parent()) and lab.raise_bn > 0:
            amount = min(lab.raise_bn, max(ledger.balance(owner), 0.0) * market.group_funding_share)
            ledger.transfer(owner, lab.name, amount, "group_funding")
            lab.raise_bn = 0.0
    asks = np.array([lab.raise_bn for lab in labs])
    if asks.sum() <= 0:
        return
    funded = asks * min(1.0, pool_bn / asks.sum())
    for lab, amount in zip(labs, funded, strict=True):
        if amount <= 0:
            continue
        stake = amount / (value_of(lab) + amount)
        ledger.transfer("outside_investors", lab.name, amount, "equity_outside")
        lab.issue_equity("outside_investors", stake)
        lab.raise_bn -= amount
