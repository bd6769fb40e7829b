"""What agents observe: the month's public information and the views built from the run state.

The public information (prices, shares, raising rounds, usage growth) is built once at the start
of a month and shared by every agent (read-only mappings). Stakes by holder are refreshed when
firms decide. Observations are built by each agent type's ``observe`` from these views; a
strategy never sees the model or another agent.
"""

from __future__ import annotations

from collections import defaultdict
from types import MappingProxyType
from typing import Any

from aimarket.blocs import LAYERS, join_blocs
from aimarket.context import Context
from aimarket.deals import Deal
from aimarket.markets import chips, compute
from aimarket.strategies.base import (
    CaseFacts,
    ClauseInForce,
    DealView,
    OfferView,
    PublicInfo,
    RaiseInfo,
)


class Information:
    """Views of the run state for observations; ``refresh`` at the start of each month."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.public: PublicInfo = self._public()
        self.holdings, self.backed = self.stakes()

    # ------------------------------------------------------------------ month-level
    def refresh(self) -> None:
        """Public information at the start of the month."""
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
            )
            for lab in c.labs
            if lab.raise_bn > 0
        )
        shares = c.blocs.layer_shares
        return PublicInfo(
            tick=c.world.tick,
            frontier_capability=max(lab.capability for lab in c.labs),
            open_capability=c.markets.open_capability,
            compute_prices=MappingProxyType({h.name: h.price for h in c.hyperscalers}),
            chip_prices=MappingProxyType({x.name: x.price for x in c.chipmakers}),
            chip_performance=MappingProxyType({x.name: x.performance for x in c.chipmakers}),
            model_shares=MappingProxyType(dict(shares["models"])),
            cloud_shares=MappingProxyType(dict(shares["cloud"])),
            raising=raising,
            usage_growth_per_month=c.world.usage_growth_per_month(),
            open_projects=tuple(p.name for p in c.projects),
        )

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
        return compute.expected_price(lab, c.book, {h.name: h for h in c.hyperscalers})

    def best_chip_efficiency(self) -> float:
        """eff-GW per GW of the best merchant chip now."""
        c = self.ctx
        return chips.best_efficiency(c.chipmakers, c.world.chip_growth_per_month**c.world.tick)

    def mean_chip_price(self) -> float:
        """Supply-weighted merchant chip price, USD bn per GW."""
        return chips.mean_price(self.ctx.chipmakers)

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
        )

    # ------------------------------------------------------------------ regulators
    def bloc_hhi(self) -> dict[str, float]:
        """This month's bloc HHI of the layers the monopoly test watches."""
        watched = self.ctx.world.spec.monopoly.layers
        return {k: v for k, v in self.ctx.blocs.bloc_hhi.items() if k in watched}

    def case_facts(self, deal: Deal, gatekeepers: list[str]) -> CaseFacts:
        """A notified deal's facts: the bloc structure with and without it."""
        c = self.ctx
        market = c.world.spec.market
        blocs = c.blocs
        stake = c.book.stake_after(deal)
        by_control = stake >= market.control_stake
        by_clause = deal.terms.exclusivity.value in market.bloc_ties
        pre = dict(blocs.bloc_hhi)
        tie = by_control or by_clause
        post_map = join_blocs(blocs.bloc_of, deal.investor, deal.target) if tie else blocs.bloc_of
        post = blocs.hhi_by_layer(post_map)
        label = post_map[deal.investor]
        combined = {layer: blocs.shares(layer, post_map).get(label, 0.0) for layer in LAYERS}
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
            gatekeeper_involved=bool({deal.investor, deal.target} & set(gatekeepers)),
        )

    def clauses(self, gatekeepers: list[str]) -> tuple[ClauseInForce, ...]:
        """Binding clauses in force, as public record."""
        return tuple(
            ClauseInForce(
                deal_id=d.id,
                investor=d.investor,
                target=d.target,
                exclusivity=d.terms.exclusivity,
                gatekeeper_involved=bool({d.investor, d.target} & set(gatekeepers)),
            )
            for d in self.ctx.book.binding()
        )
