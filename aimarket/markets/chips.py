"""The chip market: ready data-centre shells get chips.

Own chips first (clouds with a mature in-house programme), then chip-supply contracts, then the
clouds a rationing chipmaker serves first, then merchant supply split by a lock-in-weighted logit
over price per effective GW and allocated within each chipmaker's supply (``allocate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aimarket.deals import Kind
from aimarket.ledger import Ledger
from aimarket.markets.clearing import allocate, softmax


def mean_price(chipmakers: Sequence[Any]) -> float:
    """Supply-weighted mean merchant chip price, USD bn per GW (35 with no supply)."""
    supply = np.array([c.supply for c in chipmakers])
    if supply.sum() <= 0:
        return 35.0
    return float(np.average([c.price for c in chipmakers], weights=supply))


def best_efficiency(chipmakers: Sequence[Any], fallback: float) -> float:
    """eff-GW per GW of the best merchant chip now (``fallback`` without chipmakers)."""
    return max((c.performance for c in chipmakers), default=fallback)


def clear(
    hyperscalers: Sequence[Any],
    chipmakers: Sequence[Any],
    live_deals: Any,
    ledger: Ledger,
    market: Any,
    best: float,
) -> None:
    """Fill the clouds' waiting shells for one month; ``best`` is the best merchant chip's
    efficiency (eff-GW/GW), which a mature own chip matches."""
    orders = np.zeros(len(hyperscalers))
    list_price = max(mean_price(chipmakers), 1e-9)  # what a cloud budgets per GW of chips
    for i, h in enumerate(hyperscalers):
        own = 0.0
        if h.maturity > 0 and h.inhouse_share > 0:
            own = min(
                h.waiting_gw * h.inhouse_share,
                h.spec.inhouse_capacity_gw_per_month,
                max(h.cash, 0.0) / h.spec.inhouse_cost_bn_per_gw,
            )
            ledger.transfer(
                h.name, "suppliers", own * h.spec.inhouse_cost_bn_per_gw, "chips_inhouse"
            )
            h.install(own, h.maturity * best)
        h.inhouse_delivered.append(own)
        orders[i] = min(h.waiting_gw, max(h.cash, 0.0) / list_price)
    if not chipmakers:
        return
    supply = np.array([c.supply for c in chipmakers])
    index = {h.name: i for i, h in enumerate(hyperscalers)}
    cindex = {c.name: j for j, c in enumerate(chipmakers)}
    contracts = []  # (cloud index, chipmaker index, GW, USD bn per GW)
    for deal in live_deals:
        if deal.active and deal.kind is Kind.CHIP_SUPPLY and deal.target in index:
            i, j = index[deal.target], cindex[deal.investor]
            q = min(deal.terms.commit_gw, orders[i], supply[j])
            contracts.append((i, j, q, deal.terms.commit_price))
            orders[i] -= q
            supply[j] -= q
    for j, c in enumerate(chipmakers):  # a rationer's partners next, in its order
        for i in (index[name] for name in c.priority if name in index):
            q = min(orders[i], supply[j])
            contracts.append((i, j, q, c.price))
            orders[i] -= q
            supply[j] -= q
    price_per_eff = np.array([c.price / c.performance for c in chipmakers])
    delivered = np.array([sum(c.delivered) for c in chipmakers])
    base = (
        delivered / delivered.sum()
        if delivered.sum() > 0
        else np.full(len(delivered), 1 / len(delivered))
    )
    lock = np.array([c.spec.lock_in for c in chipmakers])
    weight = softmax(
        -market.chip_price_sensitivity * price_per_eff / price_per_eff.mean() + lock * base
    )
    nh, nc = len(hyperscalers), len(chipmakers)
    pair_b = np.repeat(np.arange(nh), nc)
    pair_s = np.tile(np.arange(nc), nh)
    spot = allocate(supply, orders, pair_b, pair_s, weight[pair_s]).reshape(nh, nc)
    contracted = np.zeros(nc)
    for _, j, q, _ in contracts:
        contracted[j] += q
    for j, c in enumerate(chipmakers):
        c.demand_history.append(float(np.sum(orders * weight[j]) + contracted[j]))
    got = np.zeros((nh, nc))
    for i, j, gw, price in contracts:
        if gw > 0:
            got[i, j] += _buy(ledger, hyperscalers[i], chipmakers[j], gw, price)
    prices = [c.price for c in chipmakers]
    for i, j in zip(*np.nonzero(spot > 0), strict=True):  # in (cloud, chipmaker) order
        got[i, j] += _buy(ledger, hyperscalers[i], chipmakers[j], spot[i, j], prices[j])
    clouds = tuple(h.name for h in hyperscalers)
    for j, c in enumerate(chipmakers):
        c.delivered.append(float(got[:, j].sum()))
        c.record_sales(clouds, got[:, j].copy())


def _buy(ledger: Ledger, h: Any, c: Any, gw: float, price: float) -> float:
    """``h`` buys up to ``gw`` GW of ``c``'s chips at ``price`` USD bn/GW (credits first, no
    overdraft) and installs them; returns the GW bought."""
    got = ledger.pay(h.name, c.name, gw * price, "chips") / price
    ledger.transfer(c.name, "suppliers", got * c.spec.unit_cost_bn_per_gw, "chip_production")
    h.install(got, c.performance)
    return got
