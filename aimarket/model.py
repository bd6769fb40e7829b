"""The AI-industry model: wiring and the monthly schedule. One step is one month.

Month schedule (docs/ODD.md, "Process overview"); ``model.steps`` is the clock (the month being
simulated is ``steps - 1``):
 1. shocks, technology trends, deal expiries, entry of listed labs, blocs, public information;
 2. regulators, in scenario order, track concentration and rule; their rulings are applied;
 3. firms decide from their observations and their decisions are applied, in a fixed order:
    chipmakers, hyperscalers, scheduled scenario events, open-weight projects, labs (each type in
    scenario order: earlier movers' offers reach labs the same month);
 4. capital market: controlling holders and outside investors fund labs still raising; labs
    that still cannot pay what they owe this month are distressed and cut training;
 5. chip market: ready data-centre shells get chips (own chips, supply agreements, spot);
 6. model market: users choose among models (logit) -> each lab's serving need;
 7. compute market: contracts first, then the spot market -> revenue, shortfalls;
 8. running costs (unpaid staff costs are owed); labs distressed long enough are sold or exit;
    the month's layer shares, blocs and records (``mesa.DataCollector``).
Steps that touch every agent of a type alike and whose order cannot matter run through Mesa's
``AgentSet``; the fixed orders above are documented because the ledger and deal ids follow them.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import mesa

from aimarket import blocs, money, records, regulation, turnover
from aimarket.agents import AGENT_TYPES, Chipmaker, Hyperscaler, Lab, OpenSourceProject
from aimarket.blocs import Blocs
from aimarket.context import Context
from aimarket.dealbook import DealBook
from aimarket.deals import EventLog
from aimarket.information import Information
from aimarket.ledger import SECTORS, Ledger
from aimarket.markets import MarketState, capital, chips, compute, models
from aimarket.markets.models import NO_OPEN_MODEL
from aimarket.regulation import Regulator
from aimarket.scenario import Scenario, ScenarioSpec, load_scenario
from aimarket.world import World


class AIMarket(mesa.Model):
    """Hyperscalers, labs, chipmakers, open-weight projects and regulators, month by month.

    ``scenario`` is a ``Scenario``, a path or a scenario name; ``overrides`` maps dotted scenario
    keys to values (``{"market.demand_growth_per_year": 5}``), so ``mesa.batch_run`` sweeps any
    key with ``parameters={"overrides": [{...}, {...}]}``. ``detail`` also collects the per-agent
    table and every ledger row (single-run outputs). ``running`` turns False at the horizon.
    """

    def __init__(
        self,
        scenario: Scenario | str | Path = "baseline",
        *,
        overrides: dict[str, Any] | None = None,
        rng: Any = None,
        detail: bool = False,
    ) -> None:
        super().__init__(rng=rng)
        # Exogenous luck has its own streams, spawned from the seeded generator: the market's
        # demand shocks (``World``), each firm's construction delays and research outcomes
        # (``Firm.luck``). Strategies draw from ``self.rng``. So what agents decide never shifts
        # the exogenous shocks, and runs of one seed under different strategies or policies
        # face the same demand path (common random numbers for paired comparisons).
        market_luck = self.rng.spawn(1)[0]
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, overrides)
        elif overrides:
            scenario = scenario.with_overrides(overrides)
        self.setup = scenario
        self.spec = ScenarioSpec.model_validate(scenario.data)  # own copy: shocks mutate it
        self.detail = detail
        world = World(self.spec, market_luck)
        ledger = Ledger(record=detail)
        for sector in SECTORS:
            ledger.open(sector)
        ctx = self.ctx = Context(world=world, ledger=ledger, events=EventLog(world.date_of))
        for kind in AGENT_TYPES:  # creation order fixes each firm's luck stream
            agents = [kind.agent(self, s, ctx) for s in getattr(self.spec, kind.group)]
            if kind.firm:
                ctx.firms.update((a.name, a) for a in agents)
        ctx.hyperscalers = list(self.agents_by_type.get(Hyperscaler, []))
        ctx.all_labs = list(self.agents_by_type.get(Lab, []))
        ctx.chipmakers = list(self.agents_by_type.get(Chipmaker, []))
        ctx.projects = list(self.agents_by_type.get(OpenSourceProject, []))
        ctx.regulators = list(self.agents_by_type.get(Regulator, []))
        money.attach(ledger, ctx.firms, (c.name for c in ctx.chipmakers))
        start = world.date_of(0)
        for lab in ctx.all_labs:  # in the market from the start: incumbents, no entry test
            lab.entered = (lab.spec.enters or start) <= start
        ctx.labs = [lab for lab in ctx.all_labs if lab.entered]
        start_price = compute.mean_price(ctx.hyperscalers)
        ctx.markets = MarketState(
            start_price=start_price,
            price_unit=start_price,  # 1 usage unit needs 1 eff-GW-month at the start
            reference_price=start_price,
            open_capability=NO_OPEN_MODEL,
        )
        for lab in ctx.all_labs:  # scenario prices are in units of the start serving cost
            lab.price *= ctx.markets.price_unit
        ctx.blocs = Blocs(ctx.firms, self._fringe())
        ctx.book = DealBook(ledger, ctx.events, ctx.firms, ctx.valuation, lambda: world.tick)
        for d in self.spec.deals:
            deal = ctx.book.create(d, d.id)
            began = world.tick_of(d.start) if d.start else 0
            ctx.book.activate(deal, began=began, pay=False)
        models.update_open_capability(
            ctx.markets,
            ctx.labs,
            ctx.projects,
            0,
            self.spec.technology.prehistory_frontier_growth_oom_per_month,
        )
        self.info = Information(ctx)
        self.datacollector = records.collector(detail)
        self.month: dict[str, Any] = {}  # this month's row of the per-month table
        self.running = True

    # ----------------------------------------------------------------- read-only views
    @property
    def tick(self) -> int:
        """The month being simulated (or last simulated): ``steps - 1``, 0 before the first."""
        return max(self.steps - 1, 0)

    @property
    def ledger(self) -> Ledger:
        return self.ctx.ledger

    @property
    def events(self) -> EventLog:
        return self.ctx.events

    @property
    def firms(self) -> dict[str, Any]:
        return self.ctx.firms

    @property
    def book(self) -> DealBook:
        return self.ctx.book

    @property
    def rows(self) -> list[dict]:
        """The per-month table so far (``metrics.TIMESERIES_FIELDS``)."""
        return records.timeseries(self.datacollector)

    @property
    def agent_rows(self) -> list[dict]:
        """The per-agent table so far (``detail`` runs)."""
        return records.agent_rows(self.datacollector)

    def date_of(self, tick: int) -> str:
        return self.ctx.world.date_of(tick)

    def outcome(self) -> dict:
        """The outcome record of the run so far (``aimarket.metrics.OUTCOME_FIELDS``)."""
        return records.outcome(self.ctx, self.info, self.rows)

    # ----------------------------------------------------------------- set-up helpers
    def _fringe(self) -> dict[str, int]:
        """Supplier agents standing for an atomistic fringe, with their number of firms."""
        return {
            a.spec.name: a.spec.firms
            for a in self.ctx.firms.values()
            if getattr(a.spec, "firms", 1) > 1
        }

    def _each(self, cls: type, method: str) -> None:
        """Call ``method`` on every agent of ``cls`` through its AgentSet (creation order)."""
        if cls in self.agents_by_type:
            self.agents_by_type[cls].do(method)

    def _ties(self) -> list[tuple[str, str]]:
        """Bloc ties in force (``blocs.ties``): each entered lab to its controller, else to the
        holder of its binding clause."""
        ctx, market = self.ctx, self.spec.market
        clauses = set(market.bloc_ties)
        holder = {}
        for lab in ctx.labs:
            partner, clause = ctx.book.restriction(lab.name)
            if partner and clause.value in clauses:
                holder[lab.name] = partner
        tables = {lab.name: lab.cap_table for lab in ctx.labs}
        return blocs.ties(tables, market.control_stake, holder, ctx.firms)

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        ctx = self.ctx
        world, ledger, book = ctx.world, ctx.ledger, ctx.book
        world.tick = t = self.steps - 1
        ledger.start_tick(t)
        world.apply_shocks()
        if t > 0:
            world.advance()
            self._each(Chipmaker, "advance")
        book.expire()
        turnover.admit(ctx)
        ctx.blocs.update(self._ties())
        self.info.refresh()
        concentration = self.info.bloc_hhi() if t > 0 else {}
        vertical = (
            {k: v for k, (v, _) in self.info.vertical_shares().items()}
            if t > 0 and ctx.regulators
            else {}
        )
        for regulator in ctx.regulators:
            regulator.track_concentration(concentration, vertical)
            regulation.apply(regulator, regulator.decide(self.info), ctx)
        if ctx.regulators:  # this month's rulings are public before firms decide
            self.info.public = replace(self.info.public, recent_rulings=self.info.recent_rulings())
        self._decide()
        for agent in [*ctx.regulators, *ctx.firms.values()]:
            for kind, cause, value in agent.strategy.announcements():
                ctx.events.add(t, kind, agent=agent.name, cause=cause, value=value)
        capital.fund(
            ctx.labs,
            ledger,
            world.outside_capital,
            self.spec.market,
            ctx.markets.open_capability,
            self.info.valuation,
            ctx.firms,
        )
        turnover.assess(ctx)
        self._each(Hyperscaler, "advance_construction")
        chips.clear(
            ctx.hyperscalers,
            ctx.chipmakers,
            book.live.values(),
            ledger,
            self.spec.market,
            self.info.best_chip_efficiency(),
        )
        reference_price = compute.mean_price(ctx.hyperscalers)
        serving = models.clear(ctx.markets, ctx.labs, ctx.projects, world, reference_price)
        compute.clear(
            serving, ctx.labs, ctx.hyperscalers, ctx.projects, book, ledger, world, ctx.markets
        )
        for lab in ctx.labs:
            lab.pay_staff()
        self._each(Hyperscaler, "run_costs")
        turnover.resolve(ctx)
        records.measure_layers(ctx)
        ctx.blocs.update(self._ties())
        self.month = records.month_row(ctx)
        self.datacollector.collect(self)
        world.usage_history.append(world.usage_units)
        self.running = self.steps < self.spec.ticks

    def _decide(self) -> None:
        """Every firm's strategy decides from its observation; its decision is applied at once
        (the fixed order in the module docstring)."""
        ctx, info, rng = self.ctx, self.info, self.rng
        info.refresh_stakes()
        for c in ctx.chipmakers:
            c.apply(c.strategy.decide(c.observe(info), rng))
        for p in ctx.projects:
            p.sponsorship = 0.0
        for h in ctx.hyperscalers:
            h.apply(h.strategy.decide(h.observe(info), rng))
        for event in ctx.world.events_by_tick.get(ctx.world.tick, []):
            if getattr(ctx.firms[event.target], "exited", False):
                continue  # its target lab has left the market
            deal = ctx.book.create(event, event.id)
            if event.type == "deal":
                regulation.sign(deal, ctx)
                continue
            cloud, t = ctx.firms[deal.investor], deal.terms
            if t.commit_gw > 0 and t.commit_price is None and cloud.agent_type == "hyperscaler":
                t.commit_price = cloud.contract_price(ctx.firms[deal.target])  # bargained
            ctx.book.offer(deal)
        for p in ctx.projects:
            p.receive_community_funding()
            p.apply(p.strategy.decide(p.observe(info), rng))
        for lab in ctx.labs:
            lab.apply(lab.strategy.decide(lab.observe(info), rng))
