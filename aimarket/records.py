"""Records: what a run writes, through one ``mesa.DataCollector``.

Model reporters give the per-month table (``metrics.TIMESERIES_FIELDS``), computed once at the
end of each month from the run state (``month_row``); agent reporters give the per-agent table
(``agents.AGENT_COLUMNS``, firms only, collected when a run keeps detail). The outcome record and
firm payoffs are computed from these tables, the event log and the ledger.
"""

from __future__ import annotations

import math
from functools import partial
from typing import Any

import mesa
import numpy as np

from aimarket import money
from aimarket.agents import AGENT_COLUMNS, BY_NAME
from aimarket.blocs import LAYERS, PAIRS, hhi
from aimarket.clauses import Exclusivity
from aimarket.context import Context
from aimarket.information import Information
from aimarket.markets import chips, compute
from aimarket.metrics import (
    FINANCING,
    TIMESERIES_FIELDS,
    firm_fields,
    normalise,
    outcome_record,
)


def measure_layers(ctx: Context) -> None:
    """Each layer's shares by firm at the end of the month, with all revenue and under the
    regulators' market definition (cloud revenue without captive revenue)."""
    labs = ctx.labs
    usage_total = sum(lab.usage_share for lab in labs) + ctx.markets.open_share
    chips = {c.name: sum(c.delivered) for c in ctx.chipmakers}
    chips.update({h.name: sum(h.inhouse_delivered) for h in ctx.hyperscalers})
    shares = {
        "cloud": normalise({h.name: h.revenue for h in ctx.hyperscalers}),
        "models": {lab.name: lab.usage_share / usage_total for lab in labs}
        if usage_total > 0
        else {},
        "chips": normalise(chips),
    }
    captive = money.captive_revenue(ctx.ledger, month=True)  # USD bn by cloud
    merchant = {h.name: max(h.revenue - captive.get(h.name, 0.0), 0.0) for h in ctx.hyperscalers}
    ctx.blocs.measure(shares, shares | {"cloud": normalise(merchant)})


def month_row(ctx: Context) -> dict[str, Any]:
    """The month's row of ``TIMESERIES_FIELDS`` (after ``measure_layers`` and the bloc update)."""
    c, blocs, state, ledger = ctx, ctx.blocs, ctx.markets, ctx.ledger
    usage_total = sum(lab.usage_share for lab in c.labs) + state.open_share
    row: dict[str, Any] = {"tick": c.world.tick, "date": c.world.date_of(c.world.tick)}
    for layer in LAYERS:
        shares = blocs.shares(layer)
        row[f"hhi_{layer}"] = hhi(blocs.shares(layer, {}).values())
        row[f"bloc_hhi_{layer}"] = blocs.bloc_hhi[layer]
        row[f"top_bloc_share_{layer}"] = float(max(shares.values(), default=0.0))
    for pair in PAIRS:
        share, label = blocs.vertical(pair)
        key = pair.replace("-", "_")
        row[f"vertical_share_{key}"] = share
        row[f"vertical_bloc_{key}"] = label
    row.update(money.month_fields(ledger))
    row["active_exclusive"] = sum(
        d.terms.exclusivity is Exclusivity.EXCLUSIVE for d in c.book.binding()
    )
    row["mean_providers"] = (
        float(np.mean([len(lab.providers) for lab in c.labs])) if c.labs else None
    )
    row["compute_price"] = compute.mean_price(c.hyperscalers)
    row["chip_price"] = chips.mean_price(c.chipmakers)
    row["frontier_capability"] = max(
        (lab.capability for lab in c.labs), default=state.frontier_history[-1]
    )
    row["open_gap_months"] = float(min((p.lag_months for p in c.projects), default=np.nan))
    row["open_share"] = state.open_share / usage_total if usage_total > 0 else 0.0
    row["consumer_surplus"] = float(state.consumer_surplus)
    row["regulator_actions"] = sum(r.actions for r in c.regulators)
    row["shortfall_share"] = state.shortfall_share
    row["outside_capital"] = float(ledger.flows["equity_outside"])
    row["labs_distressed"] = sum(lab.distressed for lab in c.labs)
    row["capacity_eff_gw"] = float(sum(h.capacity_eff for h in c.hyperscalers))
    row["usage_units"] = c.world.usage_units
    return row


def _field(name: str, model: Any) -> Any:
    """Model reporter: one field of the month's row."""
    return model.month[name]


def _agent_value(column: str, agent: Any) -> Any:
    """Agent reporter: one column for a firm whose type fills it, else NaN."""
    if column in BY_NAME[agent.agent_type].columns:
        return agent.report(column)
    return math.nan


def collector(detail: bool) -> mesa.DataCollector:
    """The run's DataCollector: every per-month field; with ``detail`` the per-agent columns."""
    agent_reporters = {}
    if detail:
        agent_reporters = {
            "tick": lambda a: a.ctx.world.tick,
            "agent": lambda a: a.name,
            "type": lambda a: a.agent_type,
        } | {col: partial(_agent_value, col) for col in AGENT_COLUMNS}
    return mesa.DataCollector(
        model_reporters={name: partial(_field, name) for name in TIMESERIES_FIELDS},
        agent_reporters=agent_reporters,
    )


def timeseries(collector: mesa.DataCollector) -> list[dict]:
    """The per-month rows collected so far."""
    columns = collector.model_vars
    names = list(columns)
    return [dict(zip(names, values, strict=True)) for values in zip(*columns.values(), strict=True)]


def agent_rows(collector: mesa.DataCollector) -> list[dict]:
    """The per-agent rows collected so far (firms only)."""
    if not collector.agent_reporters:
        return []
    frame = collector.get_agent_vars_dataframe().reset_index(drop=True)
    return frame[frame["type"].isin([t.name for t in BY_NAME.values() if t.firm])].to_dict(
        "records"
    )


def outcome(ctx: Context, info: Information, rows: list[dict]) -> dict:
    """The outcome record of the run so far (``metrics.OUTCOME_FIELDS``) with each firm's
    ``payoff.<firm>`` and ``value.<firm>``."""
    ledger, book = ctx.ledger, ctx.book
    restricted = 0.0
    usage_total = sum(lab.usage_share for lab in ctx.labs) + ctx.markets.open_share
    for lab in ctx.labs:
        _, clause = book.restriction(lab.name)
        if clause is Exclusivity.EXCLUSIVE or lab.parent():
            restricted += lab.usage_share / usage_total if usage_total > 0 else 0.0
    record = outcome_record(
        rows,
        ctx.events.rows,
        ctx.world.spec.monopoly.model_dump(),
        ctx.world.spec.regime.model_dump(),
        money.circular_share(ledger),
        len(book.ever_restricted),
        restricted,
    )
    held, _ = info.stakes()
    return (
        record
        | money.outcome_fields(ledger)
        | firm_fields(
            money.payoffs(ledger, ctx.firms, FINANCING),
            {
                name: ledger.balance(name) + sum(ledger.credits_of(name).values())
                for name in ctx.firms
            },
            held,
        )
    )
