"""What agents observe: the month's public information and the views built from the run state.

The public information (prices, shares, raising rounds, usage growth) is built once at the start
of a month and shared by every agent (read-only mappings). Stakes by holder are refreshed when
firms decide. Observations are built by each agent type's ``observe`` from these views; a
strategy never sees the model or another agent.
"""

from __future__ import annotations

from collections import defaultdict, deque
from types import MappingProxyType
from typing import Any

from aimarket import concentration
from aimarket.blocs import LAYERS, PAIRS
from aimarket.context import Context
from aimarket.deals import EQUITY_KINDS, Deal, Status
from aimarket.markets import chips, compute
from aimarket.strategies.base import (
    CaseFacts,
    ClauseInForce,
    DealView,
    OfferView,
    PublicInfo,
    RaiseInfo,
    RulingView,
)

CapTables = dict[str, dict[str, float]]

#: Layer an investor of each type sells in, upstream of the models its target lab sells.
UPSTREAM = {"hyperscaler": "cloud", "chipmaker": "chips"}

#: A stake-cap remedy leaves the investor this far (fraction) below ``market.control_stake``.
CAP_MARGIN = 0.01  # ASSUMPTION: "just below control"


class Information:
    """Views of the run state for observations; ``refresh`` at the start of each month."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        window = max((r.spec.serial_window_months for r in ctx.regulators), default=0)
        self.ownership_history: deque[CapTables] = deque(maxlen=window + 1)  # oldest first
        self._clouds = (ctx.hyperscalers, {h.name: h for h in ctx.hyperscalers})  # by name
        self._price_means: dict[tuple[float, ...], float] = {}  # this month's, by prices
        self._chip_price: tuple[tuple, float] = ((None,), 0.0)  # inputs, ``mean_chip_price``
        self._clause_views: dict[tuple, ClauseInForce] = {}  # see ``clauses``
        self._mhhi_cache: dict[tuple, dict[str, float]] = {}  # see ``mhhi``
        self._owned: dict[tuple, tuple[dict[str, float], dict[str, float]]] = {}  # lab's maps
        self._layer_firms: dict[str, tuple[frozenset[str], float]] = {}  # firms, plain MHHI
        self._mhhi_state: tuple[Any, int] = (None, -1)  # the blocs and version it is under
        self.public: PublicInfo = self._public()
        self.holdings, self.backed = self.stakes()

    # ------------------------------------------------------------------ month-level
    def refresh(self) -> None:
        """Public information at the start of the month; this month's cap tables kept for the
        serial-acquisition look-back."""
        self.ownership_history.append(self.cap_tables())
        self._price_means.clear()
        self.public = self._public()

    def refresh_stakes(self) -> None:
        """Stakes by holder, when firms decide."""
        self.holdings, self.backed = self.stakes()

    def _public(self) -> PublicInfo:
        """What every agent sees this month; shared by all, so its mappings are read-only."""
        c = self.ctx
        raising = tuple(
            RaiseInfo(
                lab.name,
                lab.raise_bn,
                self.valuation(lab),
                lab.capability,
                c.book.restriction(lab.name)[0],
                lab.controller(),
                lab.serving_need + lab.training_gw,
            )
            for lab in c.labs
            if lab.raise_bn > 0
        )
        shares = c.blocs.layer_shares
        return PublicInfo(
            tick=c.world.tick,
            frontier_capability=max(
                (lab.capability for lab in c.labs), default=c.markets.open_capability
            ),
            open_capability=c.markets.open_capability,
            compute_prices=MappingProxyType({h.name: h.price for h in c.hyperscalers}),
            chip_prices=MappingProxyType({x.name: x.price for x in c.chipmakers}),
            chip_performance=MappingProxyType({x.name: x.performance for x in c.chipmakers}),
            model_shares=MappingProxyType(dict(shares["models"])),
            cloud_shares=MappingProxyType(dict(shares["cloud"])),
            raising=raising,
            usage_growth_per_month=c.world.usage_growth_per_month(),
            open_projects=tuple(p.name for p in c.projects),
            recent_rulings=self.recent_rulings(),
        )

    def recent_rulings(self) -> tuple[RulingView, ...]:
        """Merger-review rulings of the last 24 months and blocks still in their cooling
        period, public record."""
        tick = self.ctx.world.tick
        return tuple(r for r in self.ctx.book.rulings if r.tick > tick - 24 or r.until > tick)

    def stakes(self) -> tuple[dict[str, float], dict[str, tuple[str, ...]]]:
        """One pass over the cap tables, by holder: USD bn of stakes in labs at the labs' current
        valuations, and the labs (in scenario order) it holds a stake in."""
        held: dict[str, float] = defaultdict(float)
        backed: dict[str, list[str]] = defaultdict(list)
        for lab in self.ctx.all_labs:  # labs yet to enter too: cap tables as set at the start
            value = self.valuation(lab)
            for holder, stake in lab.cap_table.items():
                held[holder] += stake * value
                if stake > 0:
                    backed[holder].append(lab.name)
        return held, {holder: tuple(labs) for holder, labs in backed.items()}

    # ------------------------------------------------------------------ prices and values
    def valuation(self, lab: Any) -> float:
        """A lab's pre-money valuation now, USD bn."""
        return self.ctx.valuation(lab)

    def expected_price(self, lab: Any) -> float:
        """Mean compute price where the lab may buy, USD bn per eff-GW-month."""
        c = self.ctx
        if self._clouds[0] is not c.hyperscalers or len(self._clouds[1]) != len(c.hyperscalers):
            self._clouds = (c.hyperscalers, {h.name: h for h in c.hyperscalers})
        return compute.expected_price(lab, c.book, self._clouds[1], self._price_means)

    def best_chip_efficiency(self) -> float:
        """eff-GW per GW of the best merchant chip now."""
        c = self.ctx
        return chips.best_efficiency(c.chipmakers, c.world.chip_growth_per_month**c.world.tick)

    def mean_chip_price(self) -> float:
        """Supply-weighted merchant chip price, USD bn per GW (computed again only when a
        chipmaker's price or supply has changed)."""
        makers = self.ctx.chipmakers
        key = tuple((x.price, x.supply) for x in makers)
        if key != self._chip_price[0]:
            self._chip_price = (key, chips.mean_price(makers))
        return self._chip_price[1]

    # ------------------------------------------------------------------ deals
    def deal_views(self, deals: list[Deal]) -> tuple[DealView, ...]:
        """Public facts of deals an agent is party to."""
        tick = self.ctx.world.tick
        refused = self.ctx.book.loosen_refused
        return tuple(
            DealView(
                id=d.id,
                investor=d.investor,
                target=d.target,
                exclusivity=d.terms.exclusivity,
                commit_gw=d.terms.commit_gw,
                exit_penalty_bn=d.terms.exit_penalty_bn,
                months_left=max((d.end_tick or tick) - tick, 0),
                loosen_requested=d.loosen_requested,
                loosen_refused=refused.get(d.id, False),
            )
            for d in deals
        )

    def offer_view(self, deal: Deal) -> OfferView:
        """An offer as its target lab sees it."""
        t = deal.terms
        book = self.ctx.book
        investor = self.ctx.firms[deal.investor]
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
            stake=book.stake_of(deal),
            investor_capacity_eff_gw=getattr(investor, "capacity_eff", 0.0),
            stake_after=book.stake_after(deal),
            commit_price=t.commit_price or 0.0,
        )

    # ------------------------------------------------------------------ regulators
    # Regulators measure every layer on ``Blocs.review_shares``: the cloud layer without captive
    # revenue (revenue from the cloud's own group or paid with its group's money).
    def vertical_shares(self) -> dict[str, tuple[float, str]]:
        """Per adjacent pair the monopoly test watches (``monopoly.vertical_pairs``): the largest
        share one bloc holds in both layers (fraction, regulators' shares) and that bloc's label."""
        watched = self.ctx.world.spec.monopoly.vertical_pairs
        return {
            pair: self.ctx.blocs.vertical(pair, review=True) for pair in PAIRS if pair in watched
        }

    def bloc_hhi(self) -> dict[str, float]:
        """This month's bloc HHI (regulators' shares) of the layers the monopoly test watches."""
        watched = self.ctx.world.spec.monopoly.layers
        return {k: v for k, v in self.ctx.blocs.review_bloc_hhi.items() if k in watched}

    def cap_tables(self) -> CapTables:
        """Entered labs' cap tables (lab -> holder -> stake), agent holders only."""
        firms = self.ctx.firms
        return {
            lab.name: {o: s for o, s in lab.cap_table.items() if o in firms and s > 0}
            for lab in self.ctx.labs
        }

    def mhhi(self, tables: CapTables) -> dict[str, float]:
        """Modified HHI (points) of every layer under the ownership ``tables`` (last month's
        firm shares as regulators measure them, an atomistic fringe split into its firms).

        Computed once per distinct ``tables`` (and control threshold) while the layer shares
        stay the same: a month's cases share their pre-deal tables, and every regulator
        reviewing a deal sees the same tables. Each lab's ownership maps are computed once per
        distinct cap table, and a layer none of whose firms is a lab in ``tables`` has the same
        MHHI under any tables (its plain HHI), computed once."""
        blocs, cs = self.ctx.blocs, self.ctx.world.spec.market.control_stake
        if self._mhhi_state != (blocs, blocs.version):
            self._mhhi_cache.clear()
            self._owned.clear()
            self._mhhi_state = (blocs, blocs.version)
            self._layer_firms = {}
            for layer in LAYERS:
                shares = blocs.shares(layer, {}, review=True)
                firms = frozenset(f for f, v in shares.items() if v > 0)
                self._layer_firms[layer] = (firms, concentration.mhhi(shares))
        rows = tuple((lab, tuple(t.items())) for lab, t in tables.items())
        out = self._mhhi_cache.get((cs, rows))
        if out is None:
            gamma, beta = {}, {}
            for lab, items in rows:
                maps = self._owned.get((cs, lab, items))
                if maps is None:
                    maps = self._owned[(cs, lab, items)] = concentration.owned(lab, tables[lab], cs)
                gamma[lab], beta[lab] = maps
            out = {}
            for layer in LAYERS:
                firms, unowned = self._layer_firms[layer]
                out[layer] = (
                    unowned
                    if firms.isdisjoint(tables)
                    else concentration.mhhi(blocs.shares(layer, {}, review=True), gamma, beta)
                )
            self._mhhi_cache[(cs, rows)] = out
        return dict(out)

    def _firm_share(self, layer: str, firm: str) -> float:
        shares = self.ctx.blocs.shares(layer, {}, review=True)
        return shares.get(firm, shares.get(f"{firm}/1", 0.0))

    def _group(self, tables: CapTables, *firms: str) -> set[str]:
        """The firms and the labs they control under ``tables``."""
        cs = self.ctx.world.spec.market.control_stake
        group = set(firms)
        group |= {lab for lab, t in tables.items() if concentration.controller(t, cs) in group}
        return group

    def _group_share(self, layer: str, group: set[str]) -> float:
        """Share of ``layer`` of the firms in ``group``."""
        return sum(self._firm_share(layer, f) for f in group)

    def case_facts(self, deal: Deal, spec: Any) -> CaseFacts:
        """A notified deal's facts (``CaseFacts``) for a regulator with scenario spec ``spec``."""
        c = self.ctx
        market = c.world.spec.market
        cs = market.control_stake
        investor, target = deal.investor, deal.target
        invests = deal.kind in EQUITY_KINDS and c.firms[target].agent_type == "lab"
        now = self.cap_tables()
        new = c.book.stake_of(deal) if invests else 0.0
        post = concentration.with_stake(now, investor, target, new) if invests else now
        before = now.get(target, {}).get(investor, 0.0)
        after = post.get(target, {}).get(investor, 0.0)
        control_before = concentration.controller(now.get(target, {}), cs) == investor
        control_after = concentration.controller(post.get(target, {}), cs) == investor
        cap = max(cs - CAP_MARGIN, 0.0)
        capped_new = max((cap - before) / max(1 - before, 1e-9), 0.0)
        capped = concentration.with_stake(now, investor, target, capped_new) if invests else now
        # serial acquisitions: the investor's stakes as at the window start, and all its deals
        # under review (this one included) applied
        start = self.ownership_history[0] if self.ownership_history else now
        serial_pre = {
            lab: {o: s for o, s in t.items() if o != investor}
            | ({investor: start[lab][investor]} if investor in start.get(lab, {}) else {})
            for lab, t in now.items()
        }
        serial_post, serial_capped = post, capped
        pending = [
            d
            for d in c.book.deals_of(investor)
            if d.investor == investor
            and d.id != deal.id
            and d.status is Status.UNDER_REVIEW
            and d.kind in EQUITY_KINDS
            and c.firms[d.target].agent_type == "lab"
        ]
        for d in pending:
            serial_post = concentration.with_stake(
                serial_post, investor, d.target, c.book.stake_of(d)
            )
            serial_capped = concentration.with_stake(
                serial_capped, investor, d.target, c.book.stake_of(d)
            )
        rises = sum(
            t.get(investor, 0.0) > start.get(lab, {}).get(investor, 0.0) + 1e-9
            for lab, t in now.items()
        )
        # vertical facts
        by_clause = deal.terms.exclusivity.binds
        partner, clause = c.book.restriction(target)
        clause_after = by_clause or (partner == investor and clause.binds)
        upstream = UPSTREAM.get(c.firms[investor].agent_type, "") if invests or by_clause else ""
        group = self._group(post, investor, target)
        combined = {layer: self._group_share(layer, group) for layer in LAYERS}
        u = self._firm_share(upstream, investor) if upstream else 0.0
        down = combined["models"] if upstream else 0.0
        gain = cost = 0.0
        if upstream:
            models_revenue = sum(lab.revenue for lab in c.labs)
            if upstream == "cloud":  # compute sold to labs: what foreclosure withholds
                upstream_revenue = sum(sum(h.revenue_by_lab.values()) for h in c.hyperscalers)
            else:
                upstream_revenue = sum(x.price * x.delivered[-1] for x in c.chipmakers)
            f = concentration.foreclosure(
                u,
                down,
                after,
                models_revenue,
                upstream_revenue,
                spec.foreclosure_margin_up,
                spec.foreclosure_margin_down,
                spec.foreclosure_unreplaced,
            )
            gain, cost = f.gain_bn, f.cost_bn
        tick = c.world.tick
        prior = sum(
            r.verdict == "block" and r.investor == investor and r.target == target
            for r in c.book.rulings
            if r.until > tick
        )
        return CaseFacts(
            deal_id=deal.id,
            investor=investor,
            target=target,
            amount_bn=deal.terms.amount_bn,
            stake_after=after,
            exclusivity=deal.terms.exclusivity,
            tie_by_control=control_after,
            tie_by_clause=clause_after,
            pre_mhhi=self.mhhi(now),
            post_mhhi=self.mhhi(post),
            combined_share=combined,
            gatekeeper_involved=bool({investor, target} & set(spec.gatekeepers)),
            stake_before=before,
            control_before=control_before,
            capped_post_mhhi=self.mhhi(capped),
            serial_pre_mhhi=self.mhhi(serial_pre),
            serial_post_mhhi=self.mhhi(serial_post),
            capped_serial_post_mhhi=self.mhhi(serial_capped),
            serial_deals=rises + len(pending) + 1,
            upstream_layer=upstream,
            upstream_share=u,
            downstream_share=down,
            foreclosure_gain_bn=gain,
            foreclosure_cost_bn=cost,
            prior_blocks=prior,
        )

    def clauses(self, gatekeepers: list[str]) -> tuple[ClauseInForce, ...]:
        """Binding clauses in force, as public record (a clause's record is made once and
        shared: records are immutable)."""
        gate = set(gatekeepers)
        out = []
        for d in self.ctx.book.binding():
            key = (
                d.id,
                d.investor,
                d.target,
                d.terms.exclusivity,
                d.investor in gate or d.target in gate,
            )
            view = self._clause_views.get(key)
            if view is None:
                view = self._clause_views[key] = ClauseInForce(*key)
            out.append(view)
        return tuple(out)
