"""The capital market: lab valuations, controlling holders' funding and outside investors' rounds.

A lab's *mark* (``lab_valuation``, the valuation reported and used to price every round) values
its operations: the present value of a long-run margin on the revenue path its shown growth
implies, plus the option value of its capability lead, never below a floor. Investors value the
whole equity (``equity_value``): the operations, plus the cash and credits the lab holds, less
the present value of the losses (costs, training included, above the revenue path) its plan has
yet to fund (``funding_need``).
Outside investors fund a round when a USD invested at the mark buys more than a USD of that
value, the more so the larger the excess (``outside_supply``), within the capacity of the
venture market (the scenario's pool). A controlling holder funds its lab only when its share of
the value the money saves, plus its own margin on the compute the lab buys from it, exceeds the
amount (``controller_gain``). Equations in docs/ODD.md (capital market).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from aimarket.ledger import Ledger
from aimarket.markets.bargaining import retention_value


def revenue_path(
    revenue_bn: float, growth_per_month: float, market: Any
) -> tuple[np.ndarray, np.ndarray]:
    """Monthly revenue (USD bn) over ``valuation_horizon_months`` starting at ``revenue_bn`` and
    growing at ``growth_per_month``, the growth fading toward the long-run rate with time
    constant ``growth_fade_months``; and the discount factors at the required return (both
    read-only)."""
    args = (
        revenue_bn,
        growth_per_month,
        market.required_return_per_year,
        market.long_run_growth_per_year,
        market.valuation_horizon_months,
        market.growth_fade_months,
    )
    if revenue_bn == 0 or growth_per_month == 0:  # a signed zero is not a distinct cache key
        return _path.__wrapped__(*args)
    return _path(*args)


@functools.lru_cache(maxsize=4096, typed=True)
def _path(
    revenue_bn: float,
    growth_per_month: float,
    required_return_per_year: float,
    long_run_growth_per_year: float,
    horizon_months: int,
    fade_months: float,
) -> tuple[np.ndarray, np.ndarray]:
    """``revenue_path`` of its scalar inputs (cached: a lab's path is asked for several times a
    month by stakes, observations, offers and funding)."""
    r = required_return_per_year ** (1 / 12)
    g_long = long_run_growth_per_year ** (1 / 12)
    months = np.arange(1, horizon_months + 1)
    log_g = np.log(g_long) + (np.log(max(growth_per_month, 1e-9)) - np.log(g_long)) * np.exp(
        -months / fade_months
    )
    path, discount = revenue_bn * np.exp(np.cumsum(log_g)), r ** -months.astype(float)
    path.flags.writeable = discount.flags.writeable = False
    return path, discount


def dcf_value(revenue_bn: float, growth_per_month: float, market: Any) -> float:
    """Present value (USD bn) of a lab's operating cash flows: ``operating_margin`` of its
    revenue path (``revenue_path``), discounted at the required return over
    ``valuation_horizon_months``, plus a Gordon terminal value."""
    path, discount = revenue_path(revenue_bn, growth_per_month, market)
    r = market.required_return_per_year ** (1 / 12)
    g_long = market.long_run_growth_per_year ** (1 / 12)
    terminal = path[-1] * g_long / (r - g_long) * discount[-1]
    return float(market.operating_margin * (path @ discount + terminal))


def operating_value(lab: Any, open_capability: float, market: Any) -> float:
    """USD bn: the present value of a lab's cash flows at the revenue growth it has shown plus
    the option value of its capability lead over the best open-weight model (no floor)."""
    lead = max(lab.capability - open_capability, 0.0)
    value = dcf_value(lab.revenue, lab.revenue_growth(), market)
    return value + market.capability_value_bn_per_oom * lead


def lab_valuation(lab: Any, open_capability: float, market: Any) -> float:
    """Pre-money valuation (USD bn) of one lab, its mark: ``operating_value``, never below
    ``min_valuation_bn``."""
    return max(operating_value(lab, open_capability, market), market.min_valuation_bn)


def monthly_cost(lab: Any) -> float:
    """USD bn/month a lab spends: staff costs and last month's compute (serving and training)."""
    return lab.spec.staff_cost_bn_per_month + lab.spend


def funding_need(lab: Any, market: Any) -> float:
    """USD bn: present value, at the required return, of the losses its plan still has to fund
    over the valuation horizon: ``monthly_cost`` held at last month's level minus the revenue
    path at its shown growth, where positive; 0 for a lab whose revenue covers its costs."""
    path, discount = revenue_path(lab.revenue, lab.revenue_growth(), market)
    return float(np.maximum(monthly_cost(lab) - path, 0.0) @ discount)


def funds(lab: Any, ledger: Ledger) -> float:
    """USD bn a lab holds: cash (not below zero) and compute credits."""
    return max(ledger.balance(lab.name), 0.0) + sum(ledger.credits_of(lab.name).values())


def going_concern(lab: Any, open_capability: float, market: Any) -> float:
    """USD bn a lab is worth as a going concern: ``operating_value`` less ``funding_need``."""
    return operating_value(lab, open_capability, market) - funding_need(lab, market)


def equity_value(lab: Any, ledger: Ledger, open_capability: float, market: Any) -> float:
    """USD bn investors see in a lab's equity: ``going_concern`` plus ``funds`` (never below
    zero: limited liability)."""
    return max(going_concern(lab, open_capability, market) + funds(lab, ledger), 0.0)


def expected_multiple(equity_bn: float, price_bn: float, amount_bn: float) -> float:
    """Value per USD of a round of ``amount_bn`` at the pre-money mark ``price_bn``: the buyers
    get ``amount / (price + amount)`` of a lab worth ``equity + amount``. 1 means the round just
    earns the required return."""
    return (equity_bn + amount_bn) / (price_bn + amount_bn)


def outside_supply(
    asks: Sequence[float], multiples: Sequence[float], pool_bn: float, elasticity: float
) -> np.ndarray:
    """USD bn outside investors put into each ask: the ask times ``elasticity`` times the excess
    value per USD (``multiple - 1``), at most the ask and nothing without an excess; scaled down
    pro rata if the total exceeds the venture market's capacity ``pool_bn``."""
    asks_a = np.asarray(asks, dtype=float)
    spread = np.maximum(np.asarray(multiples, dtype=float) - 1.0, 0.0)
    supply = asks_a * np.minimum(elasticity * spread, 1.0)
    total = supply.sum()
    return supply * min(1.0, pool_bn / total) if total > pool_bn else supply


def annuity(months: int, market: Any) -> float:
    """Present value of 1 USD a month for ``months`` months at the required return."""
    r = market.required_return_per_year ** (1 / 12)
    return float(sum(r**-h for h in range(1, months + 1)))


def margin_value(spend_bn: float, firm: Any, market: Any) -> float:
    """USD bn: present value over ``funding_horizon_months`` of ``firm``'s margin on
    ``spend_bn`` USD bn a month of compute it sells: its price over its long-run capacity cost,
    ``1 − capacity_cost / price`` (0 for a firm that sells no compute)."""
    if firm.agent_type != "hyperscaler" or spend_bn <= 0 or firm.price <= 0:
        return 0.0
    margin = 1.0 - firm.capacity_cost / firm.price
    return retention_value(spend_bn, margin, annuity(market.funding_horizon_months, market))


def bought_from(firm: Any, lab: Any) -> float:
    """USD bn of compute ``lab`` bought from ``firm`` last month (0 unless a cloud)."""
    return getattr(firm, "revenue_by_lab", {}).get(lab.name, 0.0)


def controller_gain(
    stake: float, amount: float, ask: float, held: float, going_bn: float, margin_bn: float
) -> float:
    """USD bn funding ``amount`` of an ``ask`` is worth to a holder of ``stake`` in a lab holding
    ``held`` USD bn, worth ``going_bn`` as a going concern, on whose compute it earns
    ``margin_bn``: the money stays in the lab, and it raises the chance the lab reaches its plan
    (``p = funds / (held + ask)``) and so keeps the going concern and the margin:
    ``stake · (Δp · going + amount) + Δp · margin``."""
    before = held / (held + ask) if held + ask > 0 else 1.0
    after = min((held + amount) / (held + ask), 1.0) if held + ask > 0 else 1.0
    lift = after - before
    return stake * (lift * max(going_bn, 0.0) + amount) + lift * margin_bn


def fund(
    labs: Sequence[Any],
    ledger: Ledger,
    pool_bn: float,
    market: Any,
    open_capability: float,
    value_of: Callable[[Any], float],
    firms: Mapping[str, Any],
) -> None:
    """This month's rounds. A lab's controlling holder funds its ask (up to
    ``group_funding_share`` of its cash, no shares issued) when ``controller_gain`` exceeds the
    amount; outside investors fund what is still sought (``outside_supply``) and buy shares at
    the mark ``value_of(lab)``."""
    for lab in labs:
        owner = lab.controller()
        if not owner or lab.raise_bn <= 0:
            continue
        amount = min(lab.raise_bn, max(ledger.balance(owner), 0.0) * market.group_funding_share)
        gain = controller_gain(
            lab.cap_table.get(owner, 0.0),
            amount,
            lab.raise_bn,
            funds(lab, ledger),
            going_concern(lab, open_capability, market),
            margin_value(bought_from(firms[owner], lab), firms[owner], market),
        )
        if amount > 0 and gain > amount:
            ledger.transfer(owner, lab.name, amount, "group_funding")
            lab.raise_bn -= amount
    raising = [lab for lab in labs if lab.raise_bn > 0]
    if not raising:
        return
    prices = [value_of(lab) for lab in raising]
    multiples = [
        expected_multiple(equity_value(lab, ledger, open_capability, market), price, lab.raise_bn)
        for lab, price in zip(raising, prices, strict=True)
    ]
    funded = outside_supply(
        [lab.raise_bn for lab in raising], multiples, pool_bn, market.outside_supply_elasticity
    )
    for lab, price, amount in zip(raising, prices, funded, strict=True):
        if amount <= 0:
            continue
        ledger.transfer("outside_investors", lab.name, float(amount), "equity_outside")
        lab.issue_equity("outside_investors", float(amount) / (price + float(amount)))
        lab.raise_bn -= float(amount)
