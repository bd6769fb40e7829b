"""Money with an origin and group-consistent accounts: pure functions over the ledger.

The ledger (``aimarket.ledger``) tags invested money with its origin and records, per transfer,
circular receipts (money whose origin is the receiver's group), captive receipts (circular or
paid by a member of the receiver's group) and flows internal to a group. This module turns them
into metrics (USD bn and fractions):

- *cloud revenue* = receipts of kinds ``CLOUD_REVENUE`` (compute paid in cash or credits);
- *circular revenue share* = circular cloud revenue / cloud revenue, in total and by origin kind
  (``ORIGIN_KINDS_REPORTED``); ``own`` is a group member's own money (a controlled lab's earnings
  spent at its parent's cloud);
- *captive revenue* = cloud revenue from the receiver's own group or paid with its own money;
  cloud shares are given with and without it;
- *payoffs* net out internal flows (see ``payoffs``).

A firm's *group* at a time is its controller's (a lab held at least ``market.control_stake``, or
at least half, by a firm belongs to that firm's group), else itself: ``group_resolver``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from aimarket.concentration import controller
from aimarket.ledger import ORIGIN_KINDS, OWN, ROW_COLUMNS, SECTORS, VENDOR_FINANCING, Ledger

CLOUD_REVENUE = ("compute", "compute_credit")
CHIP_REVENUE = ("chips", "chips_credit")
#: Origin kinds of ``circular_revenue_share_by_origin`` (always all present).
ORIGIN_KINDS_REPORTED = ("credits", "equity", "group_funding", VENDOR_FINANCING, "sponsorship", OWN)


def group_resolver(firms: Mapping[str, Any]) -> Callable[[str], str]:
    """``name -> group label`` at call time: a lab's controller (``Lab.controller()``, a holder of
    at least ``market.control_stake``) or else a firm holding at least half of it, if any; else
    the name itself (other firms and sectors)."""

    labs = {name: firm for name, firm in firms.items() if firm.agent_type == "lab"}

    def group_of(name: str) -> str:
        lab = labs.get(name)
        if lab is None:
            return name
        held = {o: s for o, s in lab.cap_table.items() if o in firms}
        return lab.controller() or controller(held, 0.5) or name

    return group_of


def attach(ledger: Ledger, firms: Mapping[str, Any], vendors: Iterable[str]) -> None:
    """Give ``ledger`` the model's group map and the chipmakers whose equity is vendor
    financing."""
    ledger.group_of = group_resolver(firms)
    ledger.vendors = frozenset(vendors)


def _sum(table: Mapping[tuple, float], kinds: Collection[str]) -> float:
    return sum(v for key, v in table.items() if key[1] in kinds)


def _by_firm(table: Mapping[tuple, float], kinds: Collection[str]) -> dict[str, float]:
    """USD bn of a ledger table keyed ``(firm, kind, ...)`` summed by firm over ``kinds``."""
    out: dict[str, float] = defaultdict(float)
    for key, amount in table.items():
        if key[1] in kinds:
            out[key[0]] += amount
    return dict(out)


def cloud_revenue(ledger: Ledger, *, month: bool = False) -> float:
    """Cloud revenue (USD bn) over the run, or this month with ``month``."""
    return _sum(ledger.received_flows if month else ledger.received, CLOUD_REVENUE)


def circular_by_origin(
    ledger: Ledger, *, month: bool = False, kinds: Collection[str] = CLOUD_REVENUE
) -> dict[str, float]:
    """Share of revenue of ``kinds`` (default: cloud revenue) paid with money of the receiver's
    group, by origin kind (``ORIGIN_KINDS_REPORTED``, plus any other seen), over the run or this
    month."""
    circular = ledger.circular_flows if month else ledger.circular
    total = _sum(ledger.received_flows if month else ledger.received, kinds)
    out = dict.fromkeys(ORIGIN_KINDS_REPORTED, 0.0)
    for (_, kind, okind), amount in circular.items():
        if kind in kinds:
            out[okind] = out.get(okind, 0.0) + amount
    return {k: (float(v / total) if total > 0 else 0.0) for k, v in out.items()}


def circular_share(
    ledger: Ledger, *, month: bool = False, kinds: Collection[str] = CLOUD_REVENUE
) -> float:
    """Circular share of revenue of ``kinds`` (group level, all origin kinds together)."""
    return float(sum(circular_by_origin(ledger, month=month, kinds=kinds).values()))


def circular_revenue_of(ledger: Ledger, kinds: Collection[str] = CLOUD_REVENUE) -> dict[str, float]:
    """USD bn of circular revenue of ``kinds`` over the run, by receiving firm."""
    return _by_firm(ledger.circular, kinds)


def captive_revenue(ledger: Ledger, *, month: bool = False) -> dict[str, float]:
    """USD bn of captive cloud revenue by cloud over the run, or this month with ``month``."""
    return _by_firm(ledger.captive_flows if month else ledger.captive, CLOUD_REVENUE)


def cloud_shares(ledger: Ledger, *, captive: bool = True) -> dict[str, float]:
    """Each cloud's share of cloud revenue over the run, with or without captive revenue."""
    revenue = _by_firm(ledger.received, CLOUD_REVENUE)
    if not captive:
        for firm, amount in captive_revenue(ledger).items():
            revenue[firm] -= amount
    total = sum(max(v, 0.0) for v in revenue.values())
    return {f: (max(v, 0.0) / total if total > 0 else 0.0) for f, v in revenue.items()}


def captive_share(ledger: Ledger, *, month: bool = False) -> float:
    """Captive share of cloud revenue over the run (or this month)."""
    total = cloud_revenue(ledger, month=month)
    captive = _sum(ledger.captive_flows if month else ledger.captive, CLOUD_REVENUE)
    return float(captive / total) if total > 0 else 0.0


def payoffs(ledger: Ledger, firms: Iterable[str], financing: Collection[str]) -> dict[str, float]:
    """Group-consistent cumulative profit (USD bn) of each firm over the run.

    Received minus paid (cash and credits) except ``financing`` kinds and *internal* flows:
    payments made with financing money (equity, credits, group funding, vendor financing) that
    comes home to its origin's group are left out for the receiver, and for the payer too when
    the payer is in that group. So a firm's own financing returning as revenue is not profit, and
    a parent funding its own lab that spends the money on the parent's cloud shows zero group
    profit from the round trip. ``payoff + net financing + net internal = change in cash and
    credits``.
    """
    profit: dict[str, float] = dict.fromkeys(firms, 0.0)
    for (who, kind), amount in ledger.net.items():
        if who in profit and kind not in financing:
            profit[who] += amount
    for (who, kind), amount in ledger.internal.items():
        if who in profit and kind not in financing:
            profit[who] -= amount
    return {name: float(v) for name, v in profit.items()}


def internal_of(ledger: Ledger, name: str, financing: Collection[str]) -> float:
    """USD bn of internal flows (see ``payoffs``) ``name`` received minus paid, financing kinds
    excluded."""
    return sum(
        v for (who, kind), v in ledger.internal.items() if who == name and kind not in financing
    )


def outcome_fields(ledger: Ledger) -> dict[str, Any]:
    """Money fields of the outcome record (``aimarket.metrics.OUTCOME_FIELDS``; the total
    ``circular_share`` is passed to ``metrics.outcome_record``) and the per-cloud
    ``circular_revenue``, ``cloud_share`` and ``cloud_share_ex_captive`` fields."""
    out: dict[str, Any] = {
        "circular_revenue_share_by_origin": circular_by_origin(ledger),
        "captive_revenue_share": captive_share(ledger),
        "circular_chip_revenue_share": circular_share(ledger, kinds=CHIP_REVENUE),
    }
    with_captive = cloud_shares(ledger)
    without = cloud_shares(ledger, captive=False)
    circular = circular_revenue_of(ledger)
    for cloud in sorted(with_captive):
        out[f"circular_revenue.{cloud}"] = float(circular.get(cloud, 0.0))
        out[f"cloud_share.{cloud}"] = with_captive[cloud]
        out[f"cloud_share_ex_captive.{cloud}"] = without.get(cloud, 0.0)
    return out


def month_fields(ledger: Ledger) -> dict[str, float]:
    """Money fields of this month's time-series row (``aimarket.metrics.TIMESERIES_FIELDS``)."""
    by_origin = circular_by_origin(ledger, month=True)
    out = {"circular_revenue_share": float(sum(by_origin.values()))}
    out |= {f"circular_share_{k}": v for k, v in by_origin.items() if k in ORIGIN_KINDS_REPORTED}
    out["captive_revenue_share"] = captive_share(ledger, month=True)
    return out


def _as_dicts(rows: Iterable[Any]) -> Iterable[Mapping[str, Any]]:
    for row in rows:
        yield row if isinstance(row, Mapping) else dict(zip(ROW_COLUMNS, row, strict=True))


def circular_from_rows(
    rows: Iterable[Any], kinds: Collection[str] = CLOUD_REVENUE
) -> tuple[float, dict[str, float]]:
    """Circular share of revenue of ``kinds`` recomputed from ledger rows (tuples in
    ``ROW_COLUMNS`` order or mappings, e.g. ``ledger.parquet`` records): revenue a firm receives
    whose ``origin_group`` is its ``target_group`` over all such revenue; total and by origin
    kind."""
    total = 0.0
    by_origin = dict.fromkeys(ORIGIN_KINDS_REPORTED, 0.0)
    for r in _as_dicts(rows):
        if r["kind"] not in kinds or r["target"] in SECTORS:
            continue
        total += r["amount"]
        if r["origin_group"] == r["target_group"] and r["source"] != r["target"]:
            by_origin[r["origin_kind"]] = by_origin.get(r["origin_kind"], 0.0) + r["amount"]
    shares = {k: (float(v / total) if total > 0 else 0.0) for k, v in by_origin.items()}
    return float(sum(shares.values())), shares


def run_summary(ledger: Ledger) -> dict[str, Any]:
    """Per-run money detail for ``summary.json``: circular revenue (USD bn) by deal and by
    receiving firm and ledger kind, and (with recorded rows) where each origin kind's money
    went."""
    by_firm: dict[str, dict[str, float]] = defaultdict(dict)
    for (firm, kind, okind), amount in sorted(ledger.circular.items()):
        key = f"{kind}/{okind}"
        by_firm[firm][key] = by_firm[firm].get(key, 0.0) + float(amount)
    return {
        "circular_by_deal": circular_by_deal(ledger),
        "circular_by_firm": dict(by_firm),
        "origin_flows": [
            {"origin_kind": o, "destination": d, "amount": float(v)}
            for (o, d), v in sorted(origin_flows(ledger.rows).items())
        ],
    }


def circular_by_deal(ledger: Ledger) -> dict[str, float]:
    """USD bn of revenue (any kind) paid with a deal's invested money that came home, by deal."""
    return {deal: float(v) for deal, v in sorted(ledger.circular_by_deal.items())}


def origin_flows(rows: Iterable[Any]) -> dict[tuple[str, str], float]:
    """Where each origin kind's money went over the run (USD bn), for a flow figure: (origin
    kind, destination) -> amount, destination ``home: KIND`` when it came back to its origin's
    group as KIND revenue, else the ledger kind it was spent on. Own money is left out."""
    out: dict[tuple[str, str], float] = defaultdict(float)
    for r in _as_dicts(rows):
        okind = r["origin_kind"]
        if okind == OWN:
            continue
        home = r["origin_group"] == r["target_group"] and r["kind"] not in ORIGIN_KINDS
        dest = f"home: {r['kind']}" if home else r["kind"]
        out[(okind, dest)] += r["amount"]
    return dict(out)
