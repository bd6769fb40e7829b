"""The AI-industry model: one tick is one month.

Tick schedule (docs/ODD.md, "Process overview"):
 1. shocks, technology trends, deal expiries, public information;
 2. regulators rule on the reviews due and run investigations;
 3. chipmakers, hyperscalers, open-weight projects and labs decide (strategies); offers are
    answered, accepted deals signed and notified, clauses loosened or broken;
 4. capital market: outside investors fund labs still raising;
 5. chip market: ready data-centre shells get chips (own chips, supply agreements, spot);
 6. model market: users choose among models (logit) -> each lab's serving need;
 7. compute market: contracts first, then the spot market -> revenue, shortfalls;
 8. running costs, training, depreciation; metrics.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import mesa
import numpy as np

from aimarket import markets
from aimarket.agents import Chipmaker, Firm, Hyperscaler, Lab, OpenSourceProject, restriction
from aimarket.deals import Cause, Deal, EventLog, Exclusivity, Kind, Status, Terms
from aimarket.ledger import SECTORS, Ledger, credit_account
from aimarket.metrics import (
    FINANCING,
    LAYERS,
    bloc_map,
    bloc_shares,
    firm_fields,
    hhi,
    join_blocs,
    normalise,
    outcome_record,
)
from aimarket.regulation import Regulator
from aimarket.scenario import Scenario, ScenarioSpec, _set_key, load_scenario
from aimarket.strategies.base import (
    CaseFacts,
    OfferTerms,
    OfferView,
    PublicInfo,
    RaiseInfo,
    Verdict,
)

NO_OPEN_MODEL = -50.0  # OOM: capability standing in for "no open-weight model"


def _month_index(month: str) -> int:
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


class AIMarket(mesa.Model):
    """Hyperscalers, labs, chipmakers, open-weight projects and regulators, month by month.

    ``scenario`` is a ``Scenario``, a path or a scenario name; ``overrides`` are dotted keys.
    ``detail`` keeps every ledger row (for single-run outputs).
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
        # demand shocks here, each firm's construction delays and research outcomes in
        # ``Firm.luck``. Strategies draw from ``self.rng``. So what agents decide never shifts
        # the exogenous shocks, and runs of one seed under different strategies or policies
        # face the same demand path (common random numbers for paired comparisons).
        self.market_luck = self.rng.spawn(1)[0]
        if not isinstance(scenario, Scenario):
            scenario = load_scenario(scenario, overrides)
        elif overrides:
            scenario = scenario.with_overrides(overrides)
        self.setup = scenario
        self.spec = ScenarioSpec.model_validate(scenario.data)  # own copy: shocks mutate it
        self.start = _month_index(self.spec.start)
        self.tick = 0
        self.ledger = Ledger(record=detail)
        for sector in SECTORS:
            self.ledger.open(sector)
        self.events = EventLog(self.date_of)
        self.hyperscalers = [Hyperscaler(self, s) for s in self.spec.hyperscalers]
        self.all_labs = [Lab(self, s) for s in self.spec.labs]
        self.labs = self._active_labs(0)  # those that have entered
        self.chipmakers = [Chipmaker(self, s) for s in self.spec.chipmakers]
        self.projects = [OpenSourceProject(self, s) for s in self.spec.open_source]
        self.regulators = [Regulator(self, s) for s in self.spec.regulators]
        self.firms: dict[str, Firm] = {
            a.name: a
            for a in (*self.hyperscalers, *self.all_labs, *self.chipmakers, *self.projects)
        }
        self.fringe = {
            s.name: s.firms for s in (*self.spec.hyperscalers, *self.spec.chipmakers) if s.firms > 1
        }
        self.deals: dict[str, Deal] = {}  # every deal ever created, by id
        self.live: dict[str, Deal] = {}  # proposed, under review or active, in creation order
        self._live_by_agent: dict[str, dict[str, Deal]] = defaultdict(dict)
        self.pending_reviews: dict[str, set[str]] = {}
        self.conditional_breaks: dict[str, list[str]] = defaultdict(list)  # new deal -> old deals
        self.loosen_refused: dict[str, bool] = {}
        self.ever_restricted: set[str] = set()
        self.rows: list[dict] = []
        self.agent_rows: list[dict] = []
        self.detail = detail
        tech, market = self.spec.technology, self.spec.market
        self.algorithmic_multiplier = 1.0
        self.inference_multiplier = 1.0
        self.usage_units = market.usage_units
        self.enterprise_demand = market.enterprise_compute_gw
        self.outside_capital = market.outside_capital_bn_per_month  # USD bn/month, this month
        self.frontier_history: list[float] = []
        self.open_capability = NO_OPEN_MODEL
        self.open_share = 0.0
        self.start_price = self._mean_compute_price()
        self.reference_price = self.start_price
        self.layer_shares: dict[str, dict[str, float]] = {layer: {} for layer in LAYERS}
        self._events_by_tick = defaultdict(list)
        for e in self.spec.events:
            self._events_by_tick[_month_index(e.month) - self.start].append(e)
        self._shocks_by_tick = defaultdict(list)
        for s in self.spec.shocks:
            self._shocks_by_tick[_month_index(s.month) - self.start].append(s)
        self._deal_seq = 0
        for d in self.spec.deals:
            deal = self._new_deal(d, d.id)
            began = _month_index(d.start) - self.start if d.start else 0
            self._activate(deal, began=began, pay=False)
        self.chip_growth_per_month = tech.chip_efficiency_growth_per_year ** (1 / 12)
        self._update_open_capability()
        self.public = self._public_info()
        self.holdings, self.backed = self._stakes()  # refreshed when firms decide
        self.running = True

    # ----------------------------------------------------------------- calendar and lookups
    def _active_labs(self, tick: int) -> list[Lab]:
        """Labs that have entered by ``tick`` (``labs[].enters``), in scenario order."""
        date = self.date_of(tick)
        return [lab for lab in self.all_labs if (lab.spec.enters or date) <= date]

    def date_of(self, tick: int) -> str:
        idx = self.start + tick
        return f"{idx // 12:04d}-{idx % 12 + 1:02d}"

    def deals_of(self, name: str) -> list[Deal]:
        """Live deals (proposed, under review or active) with ``name`` as a party."""
        return list(self._live_by_agent[name].values())

    def best_chip_efficiency(self) -> float:
        return max(
            (c.performance for c in self.chipmakers), default=self.chip_growth_per_month**self.tick
        )

    def mean_chip_price(self) -> float:
        supply = np.array([c.supply for c in self.chipmakers])
        if supply.sum() <= 0:
            return 35.0
        return float(np.average([c.price for c in self.chipmakers], weights=supply))

    def _mean_compute_price(self) -> float:
        caps = np.array([max(h.capacity_eff, 1e-9) for h in self.hyperscalers])
        return float(np.average([h.price for h in self.hyperscalers], weights=caps))

    def expected_price(self, lab: Lab) -> float:
        """Mean price (USD bn per eff-GW-month) over the clouds the lab may buy from."""
        allowed = self._allowed(lab)
        return float(np.mean([self.firms[h].price for h in allowed]))

    def valuation_of(self, lab: Lab) -> float:
        m = self.spec.market
        return float(
            markets.valuation(
                np.array([12 * lab.revenue]),
                np.array([lab.capability]),
                self.open_capability,
                m.revenue_multiple,
                m.capability_value_bn_per_oom,
                m.min_valuation_bn,
            )[0]
        )

    def _stakes(self) -> tuple[dict[str, float], dict[str, tuple[str, ...]]]:
        """One pass over the cap tables, by holder: USD bn of stakes in labs at the labs' current
        valuations, and the labs (in scenario order) it holds a stake in."""
        held: dict[str, float] = defaultdict(float)
        backed: dict[str, list[str]] = defaultdict(list)
        for lab in self.all_labs:  # labs yet to enter too: their cap tables are as set at the start
            value = self.valuation_of(lab)
            for holder, stake in lab.cap_table.items():
                held[holder] += stake * value
                if stake > 0:
                    backed[holder].append(lab.name)
        return held, {holder: tuple(labs) for holder, labs in backed.items()}

    def offer_view(self, deal: Deal) -> OfferView:
        t = deal.terms
        investor = self.firms[deal.investor]
        lab = self.firms[deal.target]
        stake = (
            t.stake if t.stake is not None else t.amount_bn / (self.valuation_of(lab) + t.amount_bn)
        )
        return OfferView(
            id=deal.id,
            investor=deal.investor,
            investor_type=investor.agent_type,
            amount_bn=t.amount_bn,
            credit_share=t.credit_share,
            exclusivity=t.exclusivity,
            duration_months=t.duration_months,
            exit_penalty_bn=t.exit_penalty_bn,
            commit_gw=t.commit_gw,
            inhouse_chip_share=t.inhouse_chip_share,
            stake=stake,
            investor_capacity_eff_gw=getattr(investor, "capacity_eff", 0.0),
            stake_after=self._stake_after(deal),
        )

    # ----------------------------------------------------------------- deals
    def _new_deal(self, spec: Any, deal_id: str | None = None) -> Deal:
        self._deal_seq += 1
        terms = Terms(
            amount_bn=spec.amount_bn,
            credit_share=spec.credit_share,
            exclusivity=Exclusivity(spec.exclusivity),
            duration_months=spec.duration_months,
            exit_penalty_bn=spec.exit_penalty_bn,
            commit_gw=spec.commit_gw,
            commit_price=spec.commit_price,
            inhouse_chip_share=spec.inhouse_chip_share,
            stake=spec.stake,
        )
        deal = Deal(
            deal_id or f"D{self._deal_seq:04d}",
            Kind(spec.kind),
            spec.investor,
            spec.target,
            terms,
            signed_tick=self.tick,
        )
        self.deals[deal.id] = self.live[deal.id] = deal
        self._live_by_agent[deal.investor][deal.id] = deal
        self._live_by_agent[deal.target][deal.id] = deal
        return deal

    def _close(self, deal: Deal, status: Status) -> None:
        """Move a deal to a final status and out of the live index."""
        deal.status = status
        del self.live[deal.id]
        del self._live_by_agent[deal.investor][deal.id]
        del self._live_by_agent[deal.target][deal.id]

    def propose(self, investor: str, offer: OfferTerms) -> None:
        """An offer from ``investor`` to a lab, answered by the lab this tick."""
        spec = SimpleNamespace(
            kind="investment", investor=investor, commit_price=None, stake=None, **asdict(offer)
        )
        deal = self._new_deal(spec)
        self.events.add(
            self.tick,
            "proposed",
            deal_id=deal.id,
            agent=investor,
            counterparty=deal.target,
            value=deal.terms.amount_bn,
        )
        self.firms[deal.target].offers.append(deal)

    def sign(self, deal: Deal) -> None:
        """Signed: notified to the regulators whose thresholds it meets, else active at once."""
        deal.signed_tick = self.tick
        self.events.deal(self.tick, "signed", deal, cause=Cause.SIGNED, value=deal.terms.amount_bn)
        stake = self._stake_after(deal)
        reviewers = [r for r in self.regulators if r.notifiable(deal, stake)]
        if not reviewers:
            self._activate(deal)
            return
        deal.status = Status.UNDER_REVIEW
        self.pending_reviews[deal.id] = {r.name for r in reviewers}
        for r in reviewers:
            r.notify(deal)
        self.events.deal(self.tick, "under_review", deal, value=deal.terms.amount_bn)

    def _stake_after(self, deal: Deal) -> float:
        lab = self.firms[deal.target]
        if not isinstance(lab, Lab) or deal.kind is not Kind.INVESTMENT:
            return 0.0
        t = deal.terms
        new = (
            t.stake if t.stake is not None else t.amount_bn / (self.valuation_of(lab) + t.amount_bn)
        )
        return lab.cap_table.get(deal.investor, 0.0) * (1 - new) + new

    def _activate(self, deal: Deal, began: int | None = None, pay: bool = True) -> None:
        """Close the deal: equity and credits change hands, clauses come into force."""
        t = deal.terms
        began = self.tick if began is None else began
        lab = self.firms[deal.target]
        if deal.kind is Kind.INVESTMENT and isinstance(lab, Lab):
            amount = (
                min(t.amount_bn, max(self.firms[deal.investor].cash, 0.0)) if pay else t.amount_bn
            )
            stake = t.stake if t.stake is not None else amount / (self.valuation_of(lab) + amount)
            if pay:  # deals in force at the start are already in the opening cap table
                self.ledger.transfer(
                    deal.investor, lab.name, amount * (1 - t.credit_share), "equity"
                )
                self.ledger.transfer(
                    deal.investor,
                    credit_account(lab.name, deal.investor),
                    amount * t.credit_share,
                    "equity_credits",
                )
                lab.issue_equity(deal.investor, stake)
            deal.stake_acquired = lab.cap_table.get(deal.investor, 0.0)
        if t.commit_price is None:
            t.commit_price = self.firms[deal.investor].price
        for old_id in self.conditional_breaks.pop(deal.id, []):
            if self.deals[old_id].active:
                self.end_deal(self.deals[old_id], Status.BROKEN, Cause.BETTER_OUTSIDE_OFFER)
        deal.status = Status.ACTIVE
        deal.start_tick = began
        deal.end_tick = began + t.duration_months
        self.events.deal(self.tick, "active", deal, cause=Cause.CLEARED, value=t.amount_bn)
        if t.exclusivity is not Exclusivity.NONE:
            self.ever_restricted.add(deal.id)
            self.events.deal(self.tick, "clause_in_force", deal, cause=t.exclusivity.value)

    def end_deal(self, deal: Deal, status: Status, cause: str) -> None:
        """End an active deal; an early end of a clause in force is an exclusivity breakdown."""
        was_restricting = deal.restricts
        if status is Status.BROKEN:
            penalty = min(deal.terms.exit_penalty_bn, max(self.firms[deal.target].cash, 0.0))
            self.ledger.transfer(deal.target, deal.investor, penalty, "exit_penalty")
        self._close(deal, status)
        self.events.add(
            self.tick,
            status.value,
            deal_id=deal.id,
            agent=deal.target,
            counterparty=deal.investor,
            cause=cause,
        )
        if was_restricting and status is Status.BROKEN:
            self._breakdown(deal, cause)

    def loosen(self, deal: Deal, cause: str) -> None:
        """Renegotiate a clause one step looser (exclusive -> ROFR -> none): a breakdown."""
        looser = (
            Exclusivity.ROFR
            if deal.terms.exclusivity is Exclusivity.EXCLUSIVE
            else Exclusivity.NONE
        )
        deal.terms.exclusivity = looser
        deal.loosen_requested = False
        self.events.deal(self.tick, "renegotiated", deal, cause=cause)
        self._breakdown(deal, cause)

    def _breakdown(self, deal: Deal, cause: str) -> None:
        self.events.add(
            self.tick,
            "breakdown",
            deal_id=deal.id,
            agent=deal.target,
            counterparty=deal.investor,
            cause=cause,
        )

    def rule(self, deal: Deal, regulator: Regulator, verdict: str) -> None:
        """Apply one regulator's verdict; activate when every reviewer has cleared."""
        if deal.status is not Status.UNDER_REVIEW:
            return
        if verdict == Verdict.BLOCK:
            self._close(deal, Status.BLOCKED)
            self.conditional_breaks.pop(deal.id, None)
            self.events.add(
                self.tick,
                "blocked",
                deal_id=deal.id,
                agent=regulator.name,
                counterparty=deal.investor,
                cause=Cause.REGULATOR_BLOCK,
                value=deal.terms.amount_bn,
            )
            return
        if verdict == Verdict.REMEDY:
            deal.terms.exclusivity = Exclusivity.NONE
            self.events.add(
                self.tick,
                "remedied",
                deal_id=deal.id,
                agent=regulator.name,
                counterparty=deal.investor,
                cause=Cause.REGULATOR_REMEDY,
            )
        else:
            self.events.add(
                self.tick,
                "cleared",
                deal_id=deal.id,
                agent=regulator.name,
                counterparty=deal.investor,
                cause=Cause.CLEARED,
            )
        pending = self.pending_reviews[deal.id]
        pending.discard(regulator.name)
        if not pending:
            self._activate(deal)

    def investigation_remedy(self, layer: str, regulator: Regulator) -> None:
        """Strip the exclusivity clauses that tie the largest bloc of ``layer`` together."""
        shares = self._blocs(layer, self._bloc_of)
        leader = max(shares, key=lambda k: (shares[k], k), default="")
        members = {f for f, b in self._bloc_of.items() if b == leader}
        hits = [
            d
            for d in self.live.values()
            if d.restricts and (d.investor in members or d.target in members)
        ]
        for deal in hits:
            self.strip_clause(deal, regulator, "investigation_remedy")
        if not hits:
            self.events.add(self.tick, "investigation_closed", agent=regulator.name, cause=layer)

    def strip_clause(self, deal: Deal, regulator: Regulator, event: str) -> None:
        """A regulator removes a clause in force: the deal stays, the clause goes (a breakdown)."""
        deal.terms.exclusivity = Exclusivity.NONE
        self.events.add(
            self.tick,
            event,
            deal_id=deal.id,
            agent=regulator.name,
            counterparty=deal.target,
            cause=Cause.REGULATOR_REMEDY,
        )
        self._breakdown(deal, Cause.REGULATOR_REMEDY)

    # ----------------------------------------------------------------- blocs and cases
    def _ties(self) -> list[tuple[str, str]]:
        threshold = self.spec.market.control_stake
        ties = [
            (owner, lab.name)
            for lab in self.labs
            for owner, s in lab.cap_table.items()
            if s >= threshold and owner in self.firms
        ]
        clauses = set(self.spec.market.bloc_ties)
        ties += [
            (d.investor, d.target)
            for d in self.live.values()
            if d.restricts and d.terms.exclusivity.value in clauses
        ]
        return ties

    def _update_blocs(self) -> None:
        """Blocs from the ties in force and their HHI per layer, fixed until the next update
        (start of the month, and the metrics at its end)."""
        self._bloc_of = bloc_map(self.firms, self._ties())
        self._bloc_hhi_now = self._bloc_hhi(self._bloc_of)

    def _blocs(self, layer: str, bloc_of: dict[str, str]) -> dict[str, float]:
        """Shares of ``layer`` by bloc (a fringe split into its firms)."""
        return bloc_shares(self.layer_shares[layer], bloc_of, self.fringe)

    def _bloc_hhi(self, bloc_of: dict[str, str]) -> dict[str, float]:
        return {layer: hhi(self._blocs(layer, bloc_of).values()) for layer in LAYERS}

    def current_bloc_hhi(self) -> dict[str, float]:
        return {k: v for k, v in self._bloc_hhi_now.items() if k in self.spec.monopoly.layers}

    def case_facts(self, deal: Deal, regulator: Regulator) -> CaseFacts:
        stake = self._stake_after(deal)
        by_control = stake >= self.spec.market.control_stake
        by_clause = deal.terms.exclusivity.value in self.spec.market.bloc_ties
        pre = dict(self._bloc_hhi_now)
        tie = by_control or by_clause
        post_map = join_blocs(self._bloc_of, deal.investor, deal.target) if tie else self._bloc_of
        post = self._bloc_hhi(post_map)
        label = post_map[deal.investor]
        combined = {layer: self._blocs(layer, post_map).get(label, 0.0) for layer in LAYERS}
        return CaseFacts(
            deal_id=deal.id,
            investor=deal.investor,
            target=deal.target,
            amount_bn=deal.terms.amount_bn,
            stake_after=stake,
            exclusivity=deal.terms.exclusivity,
            tie_by_control=by_control,
            tie_by_clause=by_clause,
            pre_hhi=pre,
            post_hhi=post,
            combined_share=combined,
            gatekeeper_involved=bool(
                {deal.investor, deal.target} & set(regulator.spec.gatekeepers)
            ),
        )

    # ----------------------------------------------------------------- the month
    def step(self) -> None:
        t = self.tick
        self.ledger.start_tick(t)
        self.labs = self._active_labs(t)
        for shock in self._shocks_by_tick.get(t, []):
            self._apply_shock(shock)
        if t > 0:
            self._advance_technology()
        for deal in list(self.live.values()):
            if deal.active and deal.end_tick is not None and deal.end_tick <= t:
                self.end_deal(deal, Status.EXPIRED, Cause.EXPIRY)
        self._update_blocs()
        self.public = self._public_info()
        concentration = self.current_bloc_hhi() if self.rows else {}
        for regulator in self.regulators:
            regulator.track_concentration(concentration)
            regulator.step()
        self._decide()
        for agent in [*self.regulators, *self.firms.values()]:
            for kind, cause, value in agent.strategy.announcements():
                self.events.add(t, kind, agent=agent.name, cause=cause, value=value)
        self._capital_market()
        for h in self.hyperscalers:
            h.advance_construction()
        self._chip_market()
        serving = self._model_market()
        self._compute_market(serving)
        for lab in self.labs:
            self.ledger.transfer(
                lab.name,
                "suppliers",
                min(lab.spec.staff_cost_bn_per_month, max(lab.cash, 0.0)),
                "staff",
            )
        for h in self.hyperscalers:
            h.run_costs()
        self._record()
        self.tick += 1

    def _apply_shock(self, shock: Any) -> None:
        data = {
            "technology": self.spec.technology.model_dump(),
            "market": self.spec.market.model_dump(),
        }
        for key, value in shock.set.items():
            _set_key(data, key, value, f"shock {shock.month}")
        self.spec.technology = type(self.spec.technology).model_validate(data["technology"])
        self.spec.market = type(self.spec.market).model_validate(data["market"])
        self.chip_growth_per_month = self.spec.technology.chip_efficiency_growth_per_year ** (
            1 / 12
        )
        if "market.outside_capital_bn_per_month" in shock.set:
            self.outside_capital = self.spec.market.outside_capital_bn_per_month

    def _advance_technology(self) -> None:
        tech, market = self.spec.technology, self.spec.market
        self.algorithmic_multiplier *= 2 ** (1 / tech.algorithmic_halving_months)
        self.inference_multiplier *= tech.inference_efficiency_growth_per_year ** (1 / 12)
        shock = self.market_luck.lognormal(-0.5 * market.demand_noise**2, market.demand_noise)
        self.usage_units *= market.demand_growth_per_year ** (1 / 12) * shock
        self.enterprise_demand *= market.enterprise_growth_per_year ** (1 / 12)
        self.outside_capital *= market.outside_capital_growth_per_year ** (1 / 12)
        for c in self.chipmakers:
            c.advance()

    def _update_open_capability(self) -> None:
        frontier = max(lab.capability for lab in self.labs)
        if len(self.frontier_history) <= self.tick:
            self.frontier_history.append(frontier)
        best = NO_OPEN_MODEL
        growth = self.spec.technology.prehistory_frontier_growth_oom_per_month
        for p in self.projects:
            at = self.tick - p.lag_months
            if at < 0:
                k = self.frontier_history[0] + growth * at
            else:
                k = float(
                    np.interp(at, np.arange(len(self.frontier_history)), self.frontier_history)
                )
            best = max(best, k)
        self.open_capability = best

    def _public_info(self) -> PublicInfo:
        """What every agent sees this month; shared by all, so its mappings are read-only."""
        raising = tuple(
            RaiseInfo(
                lab.name,
                lab.raise_bn,
                self.valuation_of(lab),
                lab.capability,
                restriction(self.deals_of(lab.name))[0],
                lab.controller(),
            )
            for lab in self.labs
            if lab.raise_bn > 0
        )
        usage = self.rows[-1]["usage_units"] if self.rows else self.usage_units
        before = self.rows[-13]["usage_units"] if len(self.rows) > 12 else None
        return PublicInfo(
            tick=self.tick,
            frontier_capability=max(lab.capability for lab in self.labs),
            open_capability=self.open_capability,
            compute_prices=MappingProxyType({h.name: h.price for h in self.hyperscalers}),
            chip_prices=MappingProxyType({c.name: c.price for c in self.chipmakers}),
            chip_performance=MappingProxyType({c.name: c.performance for c in self.chipmakers}),
            model_shares=MappingProxyType(dict(self.layer_shares["models"])),
            cloud_shares=MappingProxyType(dict(self.layer_shares["cloud"])),
            raising=raising,
            usage_growth_per_month=(usage / before) ** (1 / 12) if before else 1.0,
            open_projects=tuple(p.name for p in self.projects),
        )

    def _decide(self) -> None:
        """Every firm's strategy decides from its observation; the model applies the decisions."""
        rng = self.rng
        self.holdings, self.backed = self._stakes()
        for c in self.chipmakers:
            d = c.strategy.decide(c.observe(), rng)
            c.price = d.price or c.price
            c.expand(d.expand_gw)
            c.priority = list(d.priority)
            for offer in d.offers:
                self.propose(c.name, offer)
        for p in self.projects:
            p.sponsorship = 0.0
        for h in self.hyperscalers:
            d = h.strategy.decide(h.observe(), rng)
            h.price = d.price or h.price
            h.inhouse_share = float(np.clip(d.inhouse_share, 0.0, 1.0))
            h.build(d.build_gw)
            h.research(d.rd_bn)
            for offer in d.offers:
                self.propose(h.name, offer)
            for deal_id, agree in d.loosen.items():
                deal = self.deals[deal_id]
                if agree:
                    self.loosen(deal, Cause.CAPACITY_SHORTFALL)
                else:
                    self.loosen_refused[deal_id] = True
                deal.loosen_requested = False
            for project, amount in d.sponsor_bn.items():
                if not isinstance(self.firms.get(project), OpenSourceProject):
                    continue
                paid = min(max(amount, 0.0), max(h.cash, 0.0))
                self.ledger.transfer(h.name, project, paid, "sponsorship")
                self.firms[project].sponsorship += paid
        for event in self._events_by_tick.get(self.tick, []):
            deal = self._new_deal(event, event.id)
            if event.type == "deal":
                self.sign(deal)
            else:
                self.events.deal(self.tick, "proposed", deal, value=deal.terms.amount_bn)
                self.firms[deal.target].offers.append(deal)
        for p in self.projects:
            self.ledger.transfer(
                "outside_investors",
                p.name,
                p.spec.community_funding_bn_per_month,
                "community_funding",
            )
            p.spend_plan = max(p.strategy.decide(p.observe(), rng).spend_bn, 0.0)
        for lab in self.labs:
            self._lab_decides(lab)

    def _lab_decides(self, lab: Lab) -> None:
        d = lab.strategy.decide(lab.observe(), self.rng)
        lab.price = max(d.price or lab.price, 1e-3)
        lab.training_budget = max(d.training_budget_bn, 0.0)
        lab.raise_bn = max(d.raise_bn, 0.0)
        breaks = {
            deal_id: cause
            for deal_id, cause in d.break_deals.items()
            if (deal := self.deals.get(deal_id)) is not None
            and deal.active
            and deal.target == lab.name
        }
        for deal_id, cause in breaks.items():
            if cause != Cause.BETTER_OUTSIDE_OFFER:
                self.end_deal(self.deals[deal_id], Status.BROKEN, cause)
        for deal_id in d.request_loosen:
            deal = self.deals.get(deal_id)
            if deal is not None and deal.restricts and deal.target == lab.name:
                deal.loosen_requested = True
        accepted = set(d.accept)
        signed = []
        for deal in lab.offers:
            if deal.id in accepted:
                self.sign(deal)
                signed.append(deal)
                lab.raise_bn = max(lab.raise_bn - deal.terms.amount_bn, 0.0)
            else:
                self._close(deal, Status.REJECTED)
                self.events.deal(self.tick, "rejected", deal, cause=Cause.STRATEGY_CHOICE)
        lab.offers = []
        reviewed = [s for s in signed if s.status is Status.UNDER_REVIEW]
        for deal_id, cause in breaks.items():
            if cause != Cause.BETTER_OUTSIDE_OFFER:
                continue
            if reviewed:  # the old deal ends only if a new one clears review
                for new in reviewed:
                    self.conditional_breaks[new.id].append(deal_id)
            else:
                self.end_deal(self.deals[deal_id], Status.BROKEN, cause)

    def _capital_market(self) -> None:
        """Parents fund their in-house labs; outside investors fund what other labs still seek,
        pro rata, from a monthly pool."""
        m = self.spec.market
        for lab in self.labs:
            if (owner := lab.parent()) and lab.raise_bn > 0:
                amount = min(lab.raise_bn, max(self.firms[owner].cash, 0.0) * m.group_funding_share)
                self.ledger.transfer(owner, lab.name, amount, "group_funding")
                lab.raise_bn = 0.0
        asks = np.array([lab.raise_bn for lab in self.labs])
        if asks.sum() <= 0:
            return
        funded = asks * min(1.0, self.outside_capital / asks.sum())
        for lab, amount in zip(self.labs, funded, strict=True):
            if amount <= 0:
                continue
            stake = amount / (self.valuation_of(lab) + amount)
            self.ledger.transfer("outside_investors", lab.name, amount, "equity_outside")
            lab.issue_equity("outside_investors", stake)
            lab.raise_bn -= amount

    def _chip_market(self) -> None:
        """Own chips first, then supply agreements, then merchant supply allocated by logit split."""
        best = self.best_chip_efficiency()
        orders = np.zeros(len(self.hyperscalers))
        for i, h in enumerate(self.hyperscalers):
            own = 0.0
            if h.maturity > 0 and h.inhouse_share > 0:
                own = min(
                    h.waiting_gw * h.inhouse_share,
                    h.spec.inhouse_capacity_gw_per_month,
                    max(h.cash, 0.0) / h.spec.inhouse_cost_bn_per_gw,
                )
                self.ledger.transfer(
                    h.name, "suppliers", own * h.spec.inhouse_cost_bn_per_gw, "chips_inhouse"
                )
                h.install(own, h.maturity * best)
            h.inhouse_delivered.append(own)
            orders[i] = min(h.waiting_gw, max(h.cash, 0.0) / max(self.mean_chip_price(), 1e-9))
        if not self.chipmakers:
            return
        supply = np.array([c.supply for c in self.chipmakers])
        index = {h.name: i for i, h in enumerate(self.hyperscalers)}
        cindex = {c.name: j for j, c in enumerate(self.chipmakers)}
        contracts = []  # (cloud index, chipmaker index, GW, USD bn per GW)
        for deal in self.live.values():
            if deal.active and deal.kind is Kind.CHIP_SUPPLY and deal.target in index:
                i, j = index[deal.target], cindex[deal.investor]
                q = min(deal.terms.commit_gw, orders[i], supply[j])
                contracts.append((i, j, q, deal.terms.commit_price))
                orders[i] -= q
                supply[j] -= q
        for j, c in enumerate(self.chipmakers):  # a rationer's partners next, in its order
            for i in (index[name] for name in c.priority if name in index):
                q = min(orders[i], supply[j])
                contracts.append((i, j, q, c.price))
                orders[i] -= q
                supply[j] -= q
        price_per_eff = np.array([c.price / c.performance for c in self.chipmakers])
        delivered = np.array([sum(c.delivered) for c in self.chipmakers])
        base = (
            delivered / delivered.sum()
            if delivered.sum() > 0
            else np.full(len(delivered), 1 / len(delivered))
        )
        lock = np.array([c.spec.lock_in for c in self.chipmakers])
        weight = markets.softmax(
            -self.spec.market.chip_price_sensitivity * price_per_eff / price_per_eff.mean()
            + lock * base
        )
        nh, nc = len(self.hyperscalers), len(self.chipmakers)
        pair_b = np.repeat(np.arange(nh), nc)
        pair_s = np.tile(np.arange(nc), nh)
        spot = markets.allocate(supply, orders, pair_b, pair_s, weight[pair_s]).reshape(nh, nc)
        contracted = np.zeros(nc)
        for _, j, q, _ in contracts:
            contracted[j] += q
        for j, c in enumerate(self.chipmakers):
            c.demand_history.append(float(np.sum(orders * weight[j]) + contracted[j]))
        got = np.zeros((nh, nc))
        spot_buys = [(i, j, gw, self.chipmakers[j].price) for (i, j), gw in np.ndenumerate(spot)]
        for i, j, gw, price in contracts + spot_buys:
            if gw > 0:
                got[i, j] += self._buy_chips(self.hyperscalers[i], self.chipmakers[j], gw, price)
        for j, c in enumerate(self.chipmakers):
            c.delivered.append(float(got[:, j].sum()))
            c.sales.append({h.name: float(got[i, j]) for i, h in enumerate(self.hyperscalers)})

    def _buy_chips(self, h: Hyperscaler, c: Chipmaker, gw: float, price: float) -> float:
        """``h`` buys up to ``gw`` GW of ``c``'s chips at ``price`` USD bn/GW (credits first, no
        overdraft) and installs them; returns the GW bought."""
        got = self.ledger.pay(h.name, c.name, gw * price, "chips") / price
        self.ledger.transfer(
            c.name, "suppliers", got * c.spec.unit_cost_bn_per_gw, "chip_production"
        )
        h.install(got, c.performance)
        return got

    def _model_market(self) -> np.ndarray:
        """Users choose among models; returns each lab's serving need (eff-GW)."""
        m = self.spec.market
        self.reference_price = self._mean_compute_price()
        self._update_open_capability()
        caps = np.array([lab.capability for lab in self.labs])
        prices = np.array([lab.price for lab in self.labs])
        open_price = 1 + m.open_serving_markup
        shares, open_share, logsum = markets.model_choice(
            caps,
            prices,
            self.open_capability,
            open_price,
            m.no_ai_utility,
            m.capability_weight,
            m.price_sensitivity,
        )
        self.open_share = open_share
        self.unit_cost = self.reference_price / self.inference_multiplier  # USD bn per usage unit
        self.consumer_surplus = self.usage_units * self.unit_cost / m.price_sensitivity * logsum
        self.model_usage = shares
        for lab, s in zip(self.labs, shares, strict=True):
            lab.usage_share = float(s)
        return self.usage_units * shares / self.inference_multiplier

    def _allowed(self, lab: Lab) -> list[str]:
        """Clouds a lab may buy from: its owner's, its exclusive partner's, or any."""
        if owner := lab.parent():
            return [owner]
        partner, clause = restriction(self.deals_of(lab.name))
        if clause is Exclusivity.EXCLUSIVE:
            return [partner]
        return [h.name for h in self.hyperscalers]

    def _compute_market(self, serving: np.ndarray) -> None:
        """Contracts first (take-or-pay), then spot; labs serve users before they train."""
        m = self.spec.market
        hs = self.hyperscalers
        hidx = {h.name: i for i, h in enumerate(hs)}
        cap = np.array([h.capacity_eff for h in hs])
        prices = np.array([h.price for h in hs])
        for h in hs:
            h.sold = h.revenue = 0.0
            h.shortfall_by_lab = {}
        nl = len(self.labs)
        desired = np.zeros(nl)
        got = np.zeros(nl)
        unmet = np.zeros(nl)
        for k, lab in enumerate(self.labs):
            lab.serving_need = float(serving[k])
            lab.spend = 0.0
            lab.providers = set()
            lab.planned_training_gw = lab.training_budget / max(self.expected_price(lab), 1e-9)
            desired[k] = serving[k] + lab.planned_training_gw
        # contracts
        contracts = [
            d
            for d in self.live.values()
            if d.active
            and d.kind is not Kind.CHIP_SUPPLY
            and d.terms.commit_gw > 0
            and d.investor in hidx
        ]
        asked = np.zeros(len(hs))
        for d in contracts:
            asked[hidx[d.investor]] += d.terms.commit_gw
        fill = np.divide(cap, asked, out=np.ones_like(cap), where=asked > cap).clip(max=1.0)
        lidx = {lab.name: k for k, lab in enumerate(self.labs)}
        for d in contracts:
            i, k = hidx[d.investor], lidx[d.target]
            lab, h = self.labs[k], hs[i]
            available = d.terms.commit_gw * fill[i]
            use = min(available, desired[k] - got[k])
            due = available * d.terms.commit_price
            paid = self.ledger.pay(lab.name, h.name, due, "compute")
            lab.spend += paid
            h.revenue += paid
            if paid < due - 1e-9:
                self.end_deal(d, Status.BROKEN, Cause.LAB_DISTRESS)
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
        for k, lab in enumerate(self.labs):
            allowed = [hidx[n] for n in self._allowed(lab)]
            partner, clause = restriction(self.deals_of(lab.name))
            allowed = (
                sorted(allowed, key=lambda i: (prices[i], i))[: m.max_providers]
                if len(allowed) > m.max_providers
                else allowed
            )
            if clause is Exclusivity.ROFR and hidx[partner] not in allowed:
                allowed.append(hidx[partner])
            credits = self.ledger.credits_of(lab.name)
            usable = sum(credits.get(hs[i].name, 0.0) for i in allowed)
            funds = self.ledger.balance(lab.name) + usable
            want = max(desired[k] - got[k], 0.0)
            spot_demand.append(min(want, max(funds, 0.0) / max(prices[allowed].max(), 1e-9)))
            for i in allowed:
                pair_b.append(k)
                pair_s.append(i)
                pair_w.append(np.exp(-m.cloud_price_sensitivity * prices[i] / ref))
                pair_f.append(clause is Exclusivity.ROFR and hs[i].name == partner)
        affinity = np.array([h.spec.cloud_affinity for h in hs])
        market_weight = affinity * np.exp(-m.cloud_price_sensitivity * prices / ref)
        enterprise = (
            self.enterprise_demand
            * (self.start_price / self.reference_price) ** m.enterprise_price_elasticity
        )
        open_serving = self.usage_units * self.open_share / self.inference_multiplier
        buyers = [enterprise + open_serving] + [p.spend_plan / ref for p in self.projects]
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
        alloc = markets.allocate(cap, demand, pb, ps, pw, pf)
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
                lab = self.labs[b]
                paid = self.ledger.pay(lab.name, h.name, cost, "compute")
                lab.spend += paid
                got[b] += amount * paid / cost
                lab.providers.add(h.name)
            elif b == nl:
                paid = cost
                self.ledger.transfer("end_users", h.name, cost, "compute")
            else:
                project = self.projects[b - nl - 1]
                paid = self.ledger.pay(project.name, h.name, cost, "compute")
            h.revenue += paid
            h.sold += amount * paid / cost
        for project, b in zip(self.projects, range(nl + 1, len(demand)), strict=True):
            project.funding.append(float(np.sum(alloc[pb == b]) * ref))
        unmet += left[:nl]
        for k, lab in enumerate(self.labs):
            partner, _ = restriction(self.deals_of(lab.name))
            if partner and left[k] > 0:
                hs[hidx[partner]].shortfall_by_lab[lab.name] = (
                    hs[hidx[partner]].shortfall_by_lab.get(lab.name, 0.0) + left[k]
                )
            served = min(got[k], serving[k])
            lab.train(got[k] - served)
            revenue = served * self.inference_multiplier * lab.price * self.unit_cost
            self.ledger.transfer("end_users", lab.name, revenue, "model_revenue")
            lab.revenue = revenue
            lab.shortfall_history.append(float(unmet[k] / desired[k]) if desired[k] > 0 else 0.0)
        for i, h in enumerate(hs):
            h.requested = float(asked_at[i]) + sum(
                d.terms.commit_gw for d in contracts if d.investor == h.name
            )
            h.demand_history.append(h.requested)
        self._shortfall_share = float(unmet.sum() / desired.sum()) if desired.sum() > 0 else 0.0
        self._served_usage = got

    # ----------------------------------------------------------------- metrics
    def _record(self) -> None:
        usage_total = sum(lab.usage_share for lab in self.labs) + self.open_share
        chips = {c.name: sum(c.delivered) for c in self.chipmakers}
        chips.update({h.name: sum(h.inhouse_delivered) for h in self.hyperscalers})
        self.layer_shares = {
            "cloud": normalise({h.name: h.revenue for h in self.hyperscalers}),
            "models": {lab.name: lab.usage_share / usage_total for lab in self.labs}
            if usage_total > 0
            else {},
            "chips": normalise(chips),
        }
        self._update_blocs()
        row: dict[str, Any] = {"tick": self.tick, "date": self.date_of(self.tick)}
        for layer in LAYERS:
            blocs = self._blocs(layer, self._bloc_of)
            row[f"hhi_{layer}"] = hhi(self._blocs(layer, {}).values())
            row[f"bloc_hhi_{layer}"] = self._bloc_hhi_now[layer]
            row[f"top_bloc_share_{layer}"] = float(max(blocs.values(), default=0.0))
        flows = self.ledger.flows
        cloud_revenue = flows["compute"] + flows["compute_credit"]
        row["circular_revenue_share"] = (
            float(flows["compute_credit"] / cloud_revenue) if cloud_revenue > 0 else 0.0
        )
        row["active_exclusive"] = sum(
            d.restricts and d.terms.exclusivity is Exclusivity.EXCLUSIVE for d in self.live.values()
        )
        row["mean_providers"] = float(np.mean([len(lab.providers) for lab in self.labs]))
        row["compute_price"] = self._mean_compute_price()
        row["chip_price"] = self.mean_chip_price()
        row["frontier_capability"] = max(lab.capability for lab in self.labs)
        row["open_gap_months"] = float(min((p.lag_months for p in self.projects), default=np.nan))
        row["open_share"] = self.open_share / usage_total if usage_total > 0 else 0.0
        row["consumer_surplus"] = float(self.consumer_surplus)
        row["regulator_actions"] = sum(r.actions for r in self.regulators)
        row["shortfall_share"] = self._shortfall_share
        row["capacity_eff_gw"] = float(sum(h.capacity_eff for h in self.hyperscalers))
        row["usage_units"] = self.usage_units
        self.rows.append(row)
        if self.detail:
            for a in self.firms.values():
                self.agent_rows.append(self._agent_row(a))

    def _agent_row(self, a: Firm) -> dict:
        row = {
            "tick": self.tick,
            "agent": a.name,
            "type": a.agent_type,
            "cash": a.cash,
            "credits": sum(self.ledger.credits_of(a.name).values()),
            "price": getattr(a, "price", np.nan),
            "capacity_eff_gw": getattr(a, "capacity_eff", np.nan),
            "capability": np.nan,
            "usage_share": np.nan,
            "revenue": getattr(a, "revenue", np.nan),
            "valuation": np.nan,
        }
        if isinstance(a, Lab):
            row.update(
                capability=a.capability, usage_share=a.usage_share, valuation=self.valuation_of(a)
            )
        return row

    def outcome(self) -> dict:
        """The outcome record of the run so far (``aimarket.metrics.OUTCOME_FIELDS``)."""
        totals = self.ledger.totals
        revenue = totals["compute"] + totals["compute_credit"]
        restricted = 0.0
        usage_total = sum(lab.usage_share for lab in self.labs) + self.open_share
        for lab in self.labs:
            _, clause = restriction(self.deals_of(lab.name))
            if clause is Exclusivity.EXCLUSIVE or lab.parent():
                restricted += lab.usage_share / usage_total if usage_total > 0 else 0.0
        record = outcome_record(
            self.rows,
            self.events.rows,
            self.spec.monopoly.model_dump(),
            self.spec.regime.model_dump(),
            totals["compute_credit"] / revenue if revenue > 0 else 0.0,
            len(self.ever_restricted),
            restricted,
        )
        ledger = self.ledger
        held, _ = self._stakes()
        return record | firm_fields(
            {name: ledger.net_of(name, exclude=FINANCING) for name in self.firms},
            {
                name: ledger.balance(name) + sum(ledger.credits_of(name).values())
                for name in self.firms
            },
            held,
        )
