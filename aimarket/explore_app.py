"""The explorer page (``aimarket explore``): Mesa's SolaraViz over one run of a scenario.

Served by ``solara run`` (see ``aimarket.explore``); the scenario comes from the
``AIMARKET_EXPLORE_SCENARIO`` variable. Controls: a slider for each numeric key of the scenario's
``[sweep]`` and for demand growth, a menu for each cloud's and lab's strategy, and the seed; Reset
applies them. Plots redraw after every step. All plot data come from ``timeseries``,
``breakdowns`` and ``deal_network``.
"""

from __future__ import annotations

import os
from typing import Any

import networkx as nx
import pandas as pd
import solara
from matplotlib.figure import Figure
from mesa.visualization import SolaraViz

from aimarket import strategies
from aimarket.explore import SCENARIO_VARIABLE
from aimarket.model import AIMarket
from aimarket.scenario import Scenario, load_scenario, value_at

LAYERS = ("cloud", "models", "chips")
DEMAND_GROWTH = "market.demand_growth_per_year"


class ExplorerModel(AIMarket):
    """``AIMarket`` as SolaraViz (re)creates it: keyword settings named by dotted scenario keys.

    ``scenario`` is ignored: on Reset, Mesa 3.5 passes its own ``mesa.Scenario`` object there;
    the aimarket scenario is ``source`` (a name or file).
    """

    def __init__(
        self, scenario: Any = None, *, source: str = "baseline", seed: int = 0, **settings: Any
    ) -> None:
        super().__init__(source, overrides=settings or None, rng=seed)


def timeseries(model: AIMarket) -> pd.DataFrame:
    """The run's months so far: one row per month, columns ``aimarket.metrics.TIMESERIES_FIELDS``
    (the model's ``mesa.DataCollector``; the one place the plots read per-month data)."""
    return model.datacollector.get_model_vars_dataframe()


def breakdowns(model: AIMarket) -> pd.Series:
    """Cumulative count of exclusivity breakdowns by month (index: month index)."""
    months = [e["tick"] for e in model.events.rows if e["kind"] == "breakdown"]
    counts = pd.Series(1, index=months).groupby(level=0).sum() if months else pd.Series(dtype=int)
    return counts.reindex(range(model.steps), fill_value=0).cumsum()


def deal_network(model: AIMarket) -> nx.DiGraph:
    """Who holds what in whom now: edges holder → lab with ``stake`` (fraction of the lab) and
    investor → target with ``clause`` (exclusive or ROFR clauses in force)."""
    graph = nx.DiGraph()
    graph.add_nodes_from((name, {"type": firm.agent_type}) for name, firm in model.firms.items())
    for lab in model.ctx.all_labs:
        for holder, stake in lab.cap_table.items():
            if holder in model.firms and stake > 0:
                graph.add_edge(holder, lab.name, stake=stake)
    for deal in model.book.binding():
        graph.add_edge(deal.investor, deal.target, clause=deal.terms.exclusivity.value)
    return graph


def controls(scenario: Scenario, source: str) -> dict[str, Any]:
    """SolaraViz ``model_params``: sliders and menus keyed by dotted scenario keys."""
    params: dict[str, Any] = {
        "source": source,
        "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "seed"},
    }
    ranges = {DEMAND_GROWTH: [1.0, 10.0]} | {
        key: values
        for key, values in scenario.sweep.items()
        if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    }
    for key, values in ranges.items():
        low, high = float(min(values)), float(max(values))
        value = float(value_at(scenario.data, key) or low)
        params[key] = {
            "type": "SliderFloat",
            "value": min(max(value, low), high),
            "min": low,
            "max": high,
            "step": (high - low) / 20 or 1.0,
            "label": key,
        }
    for group, agent_type in (("hyperscalers", "hyperscaler"), ("labs", "lab")):
        for agent in scenario.data[group]:
            key = f"{group}.{agent['name']}.strategy"
            params[key] = {
                "type": "Select",
                "value": agent["strategy"],
                "values": sorted({agent["strategy"], *strategies.names(agent_type)}),
                "label": f"{agent['name']} strategy",
            }
    return params


def _figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=(6, 3.4), layout="constrained")
    return fig, fig.subplots()


def _show(fig: Figure) -> Any:
    return solara.FigureMatplotlib(fig, format="png")


def concentration_plot(model: AIMarket) -> Any:
    """HHI per layer: firms (solid) and blocs of firms tied by control or clauses (dashed)."""
    ts = timeseries(model)
    fig, ax = _figure()
    if not ts.empty:
        for n, layer in enumerate(LAYERS):
            ax.plot(ts["tick"], ts[f"hhi_{layer}"], color=f"C{n}", label=f"{layer}: firms")
            ax.plot(ts["tick"], ts[f"bloc_hhi_{layer}"], color=f"C{n}", ls="--", label="blocs")
        ax.legend(fontsize="x-small", ncols=3, loc="upper left")
    ax.set(xlabel="month of the run", ylabel="HHI (points, 0-10,000)", ylim=(0, 10_000))
    ax.set_title("Concentration per layer")
    return _show(fig)


def prices_plot(model: AIMarket) -> Any:
    """Mean compute price (left axis) and merchant chip price (right axis)."""
    ts = timeseries(model)
    fig, ax = _figure()
    right = ax.twinx()
    if not ts.empty:
        ax.plot(ts["tick"], ts["compute_price"], color="C0")
        right.plot(ts["tick"], ts["chip_price"], color="C1")
    ax.set(xlabel="month of the run", ylabel="compute (USD bn/eff-GW-month)")
    right.set_ylabel("chips (USD bn/GW)", color="C1")
    ax.set_title("Prices: compute (blue), chips (orange)")
    return _show(fig)


def clauses_plot(model: AIMarket) -> Any:
    """Exclusive clauses in force and exclusivity breakdowns so far."""
    ts = timeseries(model)
    fig, ax = _figure()
    if not ts.empty:
        ax.step(
            ts["tick"], ts["active_exclusive"], where="post", label="exclusive clauses in force"
        )
        broken = breakdowns(model)
        ax.step(broken.index, broken.to_numpy(), where="post", label="breakdowns so far")
        ax.legend(fontsize="x-small", loc="upper left")
    ax.set(xlabel="month of the run", ylabel="count")
    ax.set_title("Exclusive clauses and breakdowns")
    return _show(fig)


def circular_plot(model: AIMarket) -> Any:
    """Share of cloud revenue paid with the cloud's own credits (circular deals)."""
    ts = timeseries(model)
    fig, ax = _figure()
    if not ts.empty:
        ax.plot(ts["tick"], 100 * ts["circular_revenue_share"], color="C3")
    ax.set(xlabel="month of the run", ylabel="% of cloud revenue", ylim=(0, 100))
    ax.set_title("Circular revenue (paid with own credits)")
    return _show(fig)


def network_plot(model: AIMarket) -> Any:
    """The deal network now: stakes (grey, width by share) and clauses (red, dashed)."""
    graph = deal_network(model)
    fig = Figure(figsize=(6, 4.6), layout="constrained")
    ax = fig.subplots()
    pos = nx.circular_layout(sorted(graph.nodes))
    types = sorted({t for _, t in graph.nodes(data="type")})
    for n, kind in enumerate(types):
        nodes = [v for v, t in graph.nodes(data="type") if t == kind]
        nx.draw_networkx_nodes(graph, pos, nodelist=nodes, node_color=f"C{n}", label=kind, ax=ax)
    stakes = [(u, v) for u, v, d in graph.edges(data=True) if "stake" in d]
    nx.draw_networkx_edges(
        graph,
        pos,
        edgelist=stakes,
        width=[0.5 + 6 * graph.edges[e]["stake"] for e in stakes],
        edge_color="grey",
        ax=ax,
    )
    clauses = [(u, v) for u, v, d in graph.edges(data=True) if "clause" in d]
    nx.draw_networkx_edges(
        graph, pos, edgelist=clauses, style="dashed", edge_color="red", width=2, ax=ax
    )
    nx.draw_networkx_labels(graph, pos, font_size=7, ax=ax)
    ax.set_title(f"Deal network, {model.ctx.world.date_of(model.tick)}: stakes and clauses")
    ax.legend(fontsize="x-small", loc="lower left")
    ax.set_axis_off()
    return _show(fig)


PLOTS = (concentration_plot, prices_plot, clauses_plot, circular_plot, network_plot)

SOURCE = os.environ.get(SCENARIO_VARIABLE, "baseline")
page = SolaraViz(
    ExplorerModel(source=SOURCE),
    components=[(plot, 0) for plot in PLOTS],
    model_params=controls(load_scenario(SOURCE), SOURCE),
    name=f"aimarket explorer: {SOURCE}",
)
