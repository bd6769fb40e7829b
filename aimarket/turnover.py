"""Lab turnover: entry, distress, sale and exit.

*Entry.* A lab listed with a month it ``enters`` is a potential entrant from that month: it
enters when what it expects to be worth as a follower (the present value of the revenue the
smallest incumbent earns, growing at the incumbents' revenue-weighted shown growth, plus the
option value of its capability lead) is at least ``market.entry_cost_bn``, which it then pays
(event ``entry``).

*Distress.* After the capital market a lab whose cash and credits do not cover what it owes this
month (staff costs, arrears and its take-or-pay compute commitments) is *distressed* (event
``distress`` when an episode starts): it cuts training to nothing (it keeps serving users with
what it can pay for). Staff costs it cannot pay are owed (``Lab.arrears``), not forgiven.

*Sale and exit.* After ``market.distress_months`` consecutive months of distress it is sold to
the firm that gains most from owning it, the acquisition signed and reviewed like any merger
(``regulation.sign``); with no buyer that gains, or if the sale is blocked, it exits: its deals
end by their terms, its arrears and exit penalties are paid as far as its cash goes, its credits
return to their issuers, the rest of its cash is paid out to its holders pro rata, and it leaves
every market. Equations in docs/ODD.md (entry, distress, sale and exit).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from aimarket import regulation
from aimarket.context import Context
from aimarket.deals import Cause, Kind, Status
from aimarket.ledger import credit_account
from aimarket.markets import capital


def entry_value(lab: Any, ctx: Context) -> float:
    """USD bn a potential entrant expects to be worth on entering: ``capital.dcf_value`` of the
    revenue the smallest incumbent earns, at the incumbents' revenue-weighted shown growth, plus
    the option value of its capability lead over the best open-weight model."""
    market = ctx.world.spec.market
    incumbents = [(x.revenue, x.revenue_growth()) for x in ctx.labs]
    total = sum(r for r, _ in incumbents)
    follower = min((r for r, _ in incumbents), default=0.0)
    growth = (
        sum(r * g for r, g in incumbents) / total
        if total > 0
        else market.long_run_growth_per_year ** (1 / 12)
    )
    lead = max(lab.capability - ctx.markets.open_capability, 0.0)
    return capital.dcf_value(follower, growth, market) + market.capability_value_bn_per_oom * lead


def admit(ctx: Context) -> None:
    """Listed entrants whose month has come enter when ``entry_value`` is at least
    ``market.entry_cost_bn`` and they can pay it (event ``entry``); ``ctx.labs`` is then the labs
    in the market, in scenario order."""
    cost = ctx.world.spec.market.entry_cost_bn
    date = ctx.world.date_of(ctx.world.tick)
    for lab in ctx.all_labs:
        if lab.entered or lab.exited or (lab.spec.enters or date) > date:
            continue
        value = entry_value(lab, ctx)
        if value >= cost and lab.cash >= cost:
            ctx.ledger.transfer(lab.name, "suppliers", cost, "entry_cost")
            lab.entered = True
            ctx.events.add(ctx.world.tick, "entry", agent=lab.name, value=value)
    ctx.labs = [lab for lab in ctx.all_labs if lab.entered and not lab.exited]


def obligations(lab: Any, ctx: Context) -> float:
    """USD bn a lab owes this month: staff costs, arrears and its take-or-pay commitments at
    their contract prices."""
    committed = sum(
        d.terms.commit_gw * (d.terms.commit_price or 0.0)
        for d in ctx.book.deals_of(lab.name)
        if d.active
        and d.target == lab.name
        and d.kind is not Kind.CHIP_SUPPLY
        and d.terms.commit_gw > 0
    )
    return lab.spec.staff_cost_bn_per_month + lab.arrears + committed


def assess(ctx: Context) -> None:
    """Mark each lab distressed or not after this month's rounds; a distressed lab cuts its
    training budget to nothing."""
    for lab in ctx.labs:
        gap = obligations(lab, ctx) - capital.funds(lab, ctx.ledger)
        if gap <= 1e-12:
            lab.distressed, lab.distress_months = False, 0
            continue
        if not lab.distressed:
            ctx.events.add(ctx.world.tick, "distress", agent=lab.name, value=gap)
        lab.distressed = True
        lab.distress_months += 1
        lab.training_budget = 0.0


def buyer_gain(lab: Any, firm: Any, ctx: Context) -> tuple[float, float]:
    """(gain, price) in USD bn of ``firm`` buying out every other holder of ``lab`` at the mark:
    price ``(1 − s) · V``; it gets the going concern (``capital.going_concern``), its
    other holders' share of what the lab would pay out at exit, and, if it is a cloud, its margin
    on all of the lab's compute (its parent's cloud is its only one) instead of on what the lab
    buys from it now (``capital.margin_value``)."""
    market = ctx.world.spec.market
    stake = lab.cap_table.get(firm.name, 0.0)
    price = (1.0 - stake) * ctx.valuation(lab)
    going = capital.going_concern(lab, ctx.markets.open_capability, market)
    payout = max(capital.funds(lab, ctx.ledger) - lab.arrears, 0.0)
    margin = 0.0
    if firm.agent_type == "hyperscaler":
        margin = capital.margin_value(lab.spend, firm, market)
        margin -= capital.margin_value(capital.bought_from(firm, lab), firm, market)
    return max(going, 0.0) + (1.0 - stake) * payout + margin - price, price


def best_buyer(lab: Any, ctx: Context) -> tuple[Any, float] | None:
    """The firm (cloud, chipmaker or lab not itself in distress) with the largest positive
    ``buyer_gain`` that can pay the price and is not in a cooling period for this deal, and the
    price; None if none gains."""
    tick = ctx.world.tick
    best: tuple[float, Any, float] | None = None
    for firm in [*ctx.hyperscalers, *ctx.chipmakers, *ctx.labs]:
        if firm is lab or getattr(firm, "distressed", False):
            continue
        if ctx.book.cooling.get((firm.name, lab.name, Kind.ACQUISITION.value, "none"), -1) > tick:
            continue
        gain, price = buyer_gain(lab, firm, ctx)
        if gain > 0 and price <= max(firm.cash, 0.0) and (best is None or gain > best[0]):
            best = (gain, firm, price)
    return (best[1], best[2]) if best else None


def resolve(ctx: Context) -> None:
    """End of the month: a lab distressed for ``market.distress_months`` is sold or exits; a
    signed sale completes when cleared (``DealBook``), and a blocked one means exit."""
    months = ctx.world.spec.market.distress_months
    for lab in list(ctx.labs):
        sale = lab.sale
        if sale is not None:
            if sale.status is Status.UNDER_REVIEW:
                continue
            lab.sale = None
            if sale.status is Status.COMPLETED:
                lab.distressed, lab.distress_months = False, 0
                continue
            if lab.distressed:
                exit_lab(lab, ctx, Cause.SALE_BLOCKED)
            continue
        if not lab.distressed or lab.distress_months < months:
            continue
        found = best_buyer(lab, ctx)
        if found is None:
            exit_lab(lab, ctx, Cause.NO_BUYER)
            continue
        firm, price = found
        spec = SimpleNamespace(
            kind=Kind.ACQUISITION.value,
            investor=firm.name,
            target=lab.name,
            amount_bn=price,
            credit_share=0.0,
            exclusivity="none",
            duration_months=0,
            exit_penalty_bn=0.0,
            commit_gw=0.0,
            commit_price=None,
            inhouse_chip_share=0.0,
            stake=1.0,
        )
        lab.sale = ctx.book.create(spec)
        regulation.sign(lab.sale, ctx)
        if lab.sale.status is Status.COMPLETED:
            lab.sale = None
            lab.distressed, lab.distress_months = False, 0


def exit_lab(lab: Any, ctx: Context, cause: str) -> None:
    """The lab leaves the market (event ``exit``): pending offers are rejected and its live deals
    end by their terms (``DealBook.terminate``: exit penalties owed); it pays its arrears, its
    credits return to their issuers and the rest of its cash goes to its holders pro rata (the
    part no agent holds to ``outside_investors``), all through the ledger."""
    book, ledger, tick = ctx.book, ctx.ledger, ctx.world.tick
    for deal in lab.offers:
        book.reject(deal)
    lab.offers = []
    ledger.transfer(lab.name, "suppliers", min(lab.arrears, max(lab.cash, 0.0)), "staff")
    lab.arrears = 0.0
    for deal in book.deals_of(lab.name):
        book.terminate(deal, Cause.LAB_EXIT)
    for issuer, amount in ledger.credits_of(lab.name).items():
        ledger.transfer(credit_account(lab.name, issuer), issuer, amount, "credit_return")
    cash = max(lab.cash, 0.0)
    holders = {h: s for h, s in lab.cap_table.items() if s > 0}
    held = sum(holders.values())
    shares = [*holders.items(), ("outside_investors", max(1.0 - held, 0.0))]
    for holder, stake in shares:
        payee = holder if holder in ctx.firms else "outside_investors"
        ledger.transfer(lab.name, payee, cash * stake / max(held, 1.0), "liquidation")
    ctx.events.add(tick, "exit", agent=lab.name, cause=cause, value=cash)
    lab.exited, lab.distressed, lab.raise_bn, lab.training_budget = True, False, 0.0, 0.0
    lab.usage_share = lab.revenue = lab.spend = lab.serving_need = 0.0
    lab.providers = set()
    ctx.labs.remove(lab)
