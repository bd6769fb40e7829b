"""The capital market: lab valuations, parents' group funding and outside investors' rounds."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np

from aimarket.ledger import Ledger


def dcf_value(revenue_bn: float, growth_per_month: float, market: Any) -> float:
    """Present value (USD bn) of a lab's operating cash flows: ``operating_margin`` of a monthly
    revenue path that starts at ``revenue_bn`` and grows at ``growth_per_month``, the growth
    fading toward the long-run rate with time constant ``growth_fade_months``, discounted at the
    required return over ``valuation_horizon_months``, plus a Gordon terminal value."""
    args = (
        revenue_bn,
        growth_per_month,
        market.required_return_per_year,
        market.long_run_growth_per_year,
        market.valuation_horizon_months,
        market.growth_fade_months,
        market.operating_margin,
    )
    if revenue_bn == 0 or growth_per_month == 0:  # a signed zero is not a distinct cache key
        return _dcf.__wrapped__(*args)
    return _dcf(*args)


@functools.lru_cache(maxsize=4096, typed=True)
def _dcf(
    revenue_bn: float,
    growth_per_month: float,
    required_return_per_year: float,
    long_run_growth_per_year: float,
    horizon_months: int,
    fade_months: float,
    operating_margin: float,
) -> float:
    """``dcf_value`` of its scalar inputs (cached: a lab's value is asked for several times a
    month by stakes, observations, offers and funding)."""
    r = required_return_per_year ** (1 / 12)
    g_long = long_run_growth_per_year ** (1 / 12)
    months = np.arange(1, horizon_months + 1)
    log_g = np.log(g_long) + (np.log(max(growth_per_month, 1e-9)) - np.log(g_long)) * np.exp(
        -months / fade_months
    )
    path = revenue_bn * np.exp(np.cumsum(log_g))
    discount = r ** -months.astype(float)
    terminal = path[-1] * g_long / (r - g_long) * discount[-1]
    return float(operating_margin * (path @ discount + terminal))


def lab_valuation(lab: Any, open_capability: float, market: Any) -> float:
    """Pre-money valuation (USD bn) of one lab: the present value of its expected cash flows at
    the revenue growth it has shown, plus the option value of its capability lead over the best
    open-weight model, never below ``min_valuation_bn``."""
    lead = max(lab.capability - open_capability, 0.0)
    value = dcf_value(lab.revenue, lab.revenue_growth(), market)
    return max(value + market.capability_value_bn_per_oom * lead, market.min_valuation_bn)


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
