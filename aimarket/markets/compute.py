"""The compute market: labs and other buyers get cloud compute for one month.

Take-or-pay contracts are served first at their bargained prices (pro rata when a cloud has sold
more than it has), then a capacity-constrained spot market (``allocate``) over the clouds each
buyer may use: an exclusive lab only its partner, a lab a cloud majority-owns only its parent, a
right-of-first-refusal holder first. Labs serve their users before they train; end users pay labs
for the usage served. Each cloud's spot price then moves toward the price that balances what was
asked of it with its capacity (``next_price``), never below its reserve.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from aimarket.dealbook import DealBook
from aimarket.deals import Cause, Kind, Status
from aimarket.ledger import Ledger
from aimarket.markets import MarketState
from aimarket.markets.clearing import allocate


def mean_price(hyperscalers: Sequence[Any]) -> float:
    """Capacity-weighted mean posted compute price, USD bn per eff-GW-month."""
    caps = np.array([max(h.capacity_eff, 1e-9) for h in hyperscalers])
    return float(np.average([h.price for h in hyperscalers], weights=caps))


def next_price(
    price: float, requested: float, capacity: float, reserve: float, adjust: float
) -> float:
    """Next month's spot price, USD bn per eff-GW-month: ``price (requested / capacity)^adjust``,
    at least ``reserve``. With budget-limited demand (eff-GW = budget / price) ``adjust = 1``
    clears the market in one step; smaller values close that share of the log gap a month."""
    ratio = requested / capacity if capacity > 1e-9 else (2.0 if requested > 0 else 1.0)
    return max(price * max(ratio, 1e-6) ** adjust, reserve)


def allowed(lab: Any, book: DealBook, clouds: Sequence[str]) -> list[str]:
    """Clouds a lab may buy from: its parent's (unless an access commitment keeps it open), its
    clause partner's as the clause says, or any."""
    if (owner := lab.parent()) and not book.open_access(lab.name):
        return [owner]
    partner, clause = book.restriction(lab.name)
    return clause.allowed(partner, clouds)


def expected_price(
    lab: Any,
    book: DealBook,
    clouds: Mapping[str, Any],
    memo: dict[tuple[float, ...], float] | None = None,
) -> float:
    """Mean price (USD bn per eff-GW-month) over the clouds the lab may buy from; ``memo``
    keeps the mean of each sequence of prices (labs free to buy anywhere share one)."""
    prices = tuple(clouds[h].price for h in allowed(lab, book, list(clouds)))
    if memo is None:
        return float(np.mean(prices))
    mean = memo.get(prices)
    if mean is None:
        mean = memo[prices] = float(np.mean(prices))
    return mean


def clear(
    serving: np.ndarray,
    labs: Sequence[Any],
    hyperscalers: Sequence[Any],
    projects: Sequence[Any],
    book: DealBook,
    ledger: Ledger,
    world: Any,
    state: MarketState,
) -> None:
    """Contracts first (take-or-pay), then spot; labs serve users before they train.

    ``serving`` is each lab's serving need (eff-GW) from the model market.
    """
    m = world.spec.market
    hs = hyperscalers
    clouds = {h.name: h for h in hs}
    names = list(clouds)
    hidx = {h.name: i for i, h in enumerate(hs)}
    cap = np.array([h.capacity_eff for h in hs])
    prices = np.array([h.price for h in hs])
    for h in hs:
        h.sold = h.revenue = 0.0
        h.shortfall_by_lab = {}
        h.revenue_by_lab = {}
    nl = len(labs)
    desired = np.zeros(nl)
    got = np.zeros(nl)
    unmet = np.zeros(nl)
    means: dict[tuple[float, ...], float] = {}  # expected prices by the prices averaged
    for k, lab in enumerate(labs):
        lab.serving_need = float(serving[k])
        lab.spend = 0.0
        lab.providers = set()
        expected = expected_price(lab, book, clouds, means)
        lab.planned_training_gw = lab.training_budget / max(expected, 1e-9)
        desired[k] = serving[k] + lab.planned_training_gw
    # contracts
    contracts = [
        d
        for d in book.live.values()
        if d.active
        and d.kind is not Kind.CHIP_SUPPLY
        and d.terms.commit_gw > 0
        and d.investor in hidx
    ]
    asked = np.zeros(len(hs))
    for d in contracts:
        asked[hidx[d.investor]] += d.terms.commit_gw
    fill = np.divide(cap, asked, out=np.ones_like(cap), where=asked > cap).clip(max=1.0)
    lidx = {lab.name: k for k, lab in enumerate(labs)}
    for d in contracts:
        i, k = hidx[d.investor], lidx[d.target]
        lab, h = labs[k], hs[i]
        available = d.terms.commit_gw * fill[i]
        use = min(available, desired[k] - got[k])
        due = available * d.terms.commit_price
        paid = ledger.pay(lab.name, h.name, due, "compute")
        lab.spend += paid
        h.revenue += paid
        h.revenue_by_lab[lab.name] = h.revenue_by_lab.get(lab.name, 0.0) + paid
        if paid < due - 1e-9:
            book.end(d, Status.BROKEN, Cause.LAB_DISTRESS)
        used = use * paid / due if due > 0 else 0.0
        got[k] += used
        cap[i] -= available * paid / due if due > 0 else 0.0  # reserved: paid for, used or not
        h.sold += used
        if used > 0:
            lab.providers.add(h.name)
        short = d.terms.commit_gw * (1 - fill[i])
        if short > 0:  # the lab's unmet need is counted once, after the spot market
            h.shortfall_by_lab[lab.name] = h.shortfall_by_lab.get(lab.name, 0.0) + short
    # spot: labs, then the non-lab market buyer, then open-weight training
    pair_b, pair_s, pair_w, pair_f = [], [], [], []
    spot_demand = []
    ref = prices.mean()
    for k, lab in enumerate(labs):
        allowed_i = [hidx[n] for n in allowed(lab, book, names)]
        partner, clause = book.restriction(lab.name)
        allowed_i = (
            sorted(allowed_i, key=lambda i: (prices[i], i))[: m.max_providers]
            if len(allowed_i) > m.max_providers
            else allowed_i
        )
        if clause.first_refusal and hidx[partner] not in allowed_i:
            allowed_i.append(hidx[partner])
        credits = ledger.credits_of(lab.name)
        usable = sum(credits.get(hs[i].name, 0.0) for i in allowed_i)
        funds = ledger.balance(lab.name) + usable
        want = max(desired[k] - got[k], 0.0)
        spot_demand.append(min(want, max(funds, 0.0) / max(prices[allowed_i].max(), 1e-9)))
        for i in allowed_i:
            pair_b.append(k)
            pair_s.append(i)
            pair_w.append(np.exp(-m.cloud_price_sensitivity * prices[i] / ref))
            pair_f.append(clause.first_refusal and hs[i].name == partner)
    affinity = np.array([h.spec.cloud_affinity for h in hs])
    market_weight = affinity * np.exp(-m.cloud_price_sensitivity * prices / ref)
    enterprise = (
        world.enterprise_demand
        * (state.start_price / state.reference_price) ** m.enterprise_price_elasticity
    )
    open_serving = world.usage_units * state.open_share / world.inference_multiplier
    buyers = [enterprise + open_serving] + [p.spend_plan / ref for p in projects]
    for extra, demand in enumerate(buyers):
        spot_demand.append(demand)
        for i in range(len(hs)):
            pair_b.append(nl + extra)
            pair_s.append(i)
            pair_w.append(market_weight[i])
            pair_f.append(False)
    pb, ps = np.array(pair_b, int), np.array(pair_s, int)
    pw, pf = np.array(pair_w), np.array(pair_f, bool)
    demand = np.array(spot_demand)
    alloc = allocate(cap, demand, pb, ps, pw, pf)
    left = demand - np.bincount(pb, alloc, minlength=len(demand))
    norm = np.bincount(pb, pw, minlength=len(demand))
    asked_at = np.bincount(ps, alloc + left[pb] * pw / norm[pb], minlength=len(hs))
    for pair, amount in enumerate(alloc):
        if amount <= 0:
            continue
        b, i = pb[pair], ps[pair]
        h = hs[i]
        cost = amount * prices[i]
        if b < nl:
            lab = labs[b]
            paid = ledger.pay(lab.name, h.name, cost, "compute")
            lab.spend += paid
            h.revenue_by_lab[lab.name] = h.revenue_by_lab.get(lab.name, 0.0) + paid
            got[b] += amount * paid / cost
            lab.providers.add(h.name)
        elif b == nl:
            paid = cost
            ledger.transfer("end_users", h.name, cost, "compute")
        else:
            project = projects[b - nl - 1]
            paid = ledger.pay(project.name, h.name, cost, "compute")
        h.revenue += paid
        h.sold += amount * paid / cost
    for project, b in zip(projects, range(nl + 1, len(demand)), strict=True):
        project.funding.append(float(np.sum(alloc[pb == b]) * ref))
    unmet += left[:nl]
    for k, lab in enumerate(labs):
        partner, _ = book.restriction(lab.name)
        if partner and left[k] > 0:
            hs[hidx[partner]].shortfall_by_lab[lab.name] = (
                hs[hidx[partner]].shortfall_by_lab.get(lab.name, 0.0) + left[k]
            )
        served = min(got[k], serving[k])
        lab.train(got[k] - served)
        revenue = served * world.inference_multiplier * lab.price  # usage units x USD/unit
        ledger.transfer("end_users", lab.name, revenue, "model_revenue")
        lab.revenue = revenue
        lab.revenue_history.append(revenue)
        lab.shortfall_history.append(float(unmet[k] / desired[k]) if desired[k] > 0 else 0.0)
    committed: dict[str, list[float]] = {h.name: [] for h in hs}  # contracts in book order
    for d in contracts:
        committed[d.investor].append(d.terms.commit_gw)
    for i, h in enumerate(hs):
        h.requested = float(asked_at[i]) + sum(committed[h.name])
        h.demand_history.append(h.requested)
        h.price = next_price(h.price, h.requested, h.capacity_eff, h.reserve, m.spot_price_adjust)
    state.shortfall_share = float(unmet.sum() / desired.sum()) if desired.sum() > 0 else 0.0
