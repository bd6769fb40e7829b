"""The end-user model market: users choose a closed model, the best open-weight model or none.

The open-weight model trails the closed frontier by the best project's lag; each lab's serving
need (eff-GW) follows from its usage share, the potential usage and inference efficiency.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from aimarket.markets import MarketState
from aimarket.markets.clearing import softmax

NO_OPEN_MODEL = -50.0  # OOM: capability standing in for "no open-weight model"


def model_choice(
    capability: np.ndarray,
    price: np.ndarray,
    open_capability: float,
    open_price: float,
    no_ai_utility: float,
    capability_weight: float,
    price_sensitivity: float,
) -> tuple[np.ndarray, float, float]:
    """Logit usage shares of closed models, the open-weight share and the log-sum.

    Utility of model j is ``capability_weight * k_j - price_sensitivity * p_j`` with capability
    ``k`` in OOM and price ``p`` in units of the reference serving cost; the open-weight model is
    priced at its self-hosting cost; "no model" has a fixed utility. The log-sum is relative to
    "no model", in utility units (convert with the money value of one utility unit).
    """
    u_labs = capability_weight * capability - price_sensitivity * price
    u_open = capability_weight * open_capability - price_sensitivity * open_price
    u = np.concatenate([u_labs, [u_open, no_ai_utility]])
    shares = softmax(u)
    top = u.max()
    logsum = top + np.log(np.exp(u - top).sum()) - no_ai_utility
    return shares[:-2], float(shares[-2]), float(logsum)


def update_open_capability(
    state: MarketState, labs: Sequence[Any], projects: Sequence[Any], tick: int, growth: float
) -> None:
    """Record this month's frontier and set the best open-weight capability (OOM): the frontier
    ``lag_months`` ago of the best project (before the start, extrapolated at ``growth`` OOM per
    month)."""
    last = state.frontier_history[-1] if state.frontier_history else NO_OPEN_MODEL
    frontier = max((lab.capability for lab in labs), default=last)  # every lab may have exited
    if len(state.frontier_history) <= tick:
        state.frontier_history.append(frontier)
    best = NO_OPEN_MODEL
    history = state.frontier_history
    for p in projects:
        at = tick - p.lag_months
        if at < 0:
            k = history[0] + growth * at
        else:
            k = float(np.interp(at, np.arange(len(history)), history))
        best = max(best, k)
    state.open_capability = best


def clear(
    state: MarketState,
    labs: Sequence[Any],
    projects: Sequence[Any],
    world: Any,
    reference_price: float,
) -> np.ndarray:
    """Users choose among models at ``reference_price`` (USD bn/eff-GW-month); sets each lab's
    usage share and the state's open share, unit cost and consumer surplus (USD bn/month);
    returns each lab's serving need (eff-GW).

    Lab prices are USD bn per usage unit; utilities measure them in the fixed ``price_unit``
    (the serving cost at the start), so cheaper serving lowers the open-weight price and lets
    labs cut prices without changing what a dollar is worth to users.
    """
    m = world.spec.market
    state.reference_price = reference_price
    update_open_capability(
        state,
        labs,
        projects,
        world.tick,
        world.spec.technology.prehistory_frontier_growth_oom_per_month,
    )
    unit = state.price_unit
    serving_cost = reference_price / world.inference_multiplier  # USD bn per usage unit
    caps = np.array([lab.capability for lab in labs])
    prices = np.array([lab.price for lab in labs]) / unit
    open_price = (1 + m.open_serving_markup) * serving_cost / unit
    shares, open_share, logsum = model_choice(
        caps,
        prices,
        state.open_capability,
        open_price,
        m.no_ai_utility,
        m.capability_weight,
        m.price_sensitivity,
    )
    state.open_share = open_share
    state.unit_cost = serving_cost
    state.consumer_surplus = world.usage_units * unit / m.price_sensitivity * logsum
    for lab, s in zip(labs, shares, strict=True):
        lab.usage_share = float(s)
    return world.usage_units * shares / world.inference_multiplier
