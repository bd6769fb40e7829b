"""Hyperscaler strategies: capacity building, pricing, chip sourcing and investment offers.

``CapacityPlanner`` holds the capacity and price rules; the variants override only its offer,
stake, loosening and in-house chip policies (the hooks ``offer_amount``, ``agree_to_loosen``,
``inhouse_share`` and the class parameters).
"""

from __future__ import annotations

import numpy as np

from aimarket.clauses import Exclusivity
from aimarket.markets import bargaining
from aimarket.strategies.base import (
    DealView,
    HyperscalerDecision,
    HyperscalerObs,
    OfferTerms,
    Param,
    RaiseInfo,
    Strategy,
    rounds_to_back,
)
from aimarket.strategies.registry import register


def demand_growth(history: tuple[float, ...], window: int, low: float, high: float) -> float:
    """Monthly growth factor of a demand history over ``window`` months, within [low, high]."""
    if len(history) <= window or history[-window - 1] <= 1e-9:
        return 1.0
    return float(np.clip((history[-1] / history[-window - 1]) ** (1 / window), low, high))


def stake_cap(valuation_bn: float, stake: float) -> float:
    """USD bn that buys ``stake`` of a lab valued ``valuation_bn`` pre-money: a = s V / (1 - s)."""
    return stake * valuation_bn / max(1.0 - stake, 1e-9)


@register
class CapacityPlanner(Strategy):
    """Builds to forecast demand while prices cover capacity cost, backs promising raising labs."""

    name = "capacity-planner"
    agent_type = "hyperscaler"
    description = (
        "builds to forecast demand while prices cover capacity cost, invests in raising labs"
    )
    classifier = {"uses": ["own demand", "raising labs"], "stochastic": False, "adaptive": False}
    params = {
        "headroom": Param(0.15, "fraction", "spare capacity targeted above forecast demand", gt=-1),
        "capex_share": Param(
            0.3, "fraction/month", "most of cash spent on new capacity a month", ge=0, le=1
        ),
        "min_forecast_growth": Param(
            0.97, "x/month", "least demand growth it extrapolates (ASSUMPTION: -30 %/yr)", gt=0
        ),
        "max_forecast_growth": Param(
            1.05,
            "x/month",
            "most demand growth it extrapolates (1.8x/yr; CALIBRATED in history-2019 to the 2022-23"
            " cloud split, capex and Nvidia's revenue, docs/calibration.md)",
            gt=0,
        ),
        "reserve_markup": Param(
            1.0, "x", "reserve spot price over its opex per eff-GW (short-run cost)", ge=0
        ),
        "exclusivity": Param(
            "none", "-", "clause asked for in offers", choices=("none", "rofr", "exclusive")
        ),
        "credit_share": Param(
            0.5, "fraction", "share of an investment paid as compute credits", ge=0, le=1
        ),
        "invest_share": Param(0.05, "fraction", "most of its cash offered to one lab", ge=0, le=1),
        "max_labs": Param(2, "count", "most labs it backs", ge=0),
        "capability_gap": Param(
            1.0, "OOM", "backs only labs within this gap of the frontier", ge=0
        ),
        "penalty_share": Param(0.2, "fraction", "exit penalty as a share of the investment", ge=0),
        "duration_months": Param(60, "months", "term of its deals", ge=1),
        "rd_bn": Param(0.0, "USD bn/month", "in-house chip R&D spend", ge=0),
        "loosen_when_short": Param(True, "-", "agrees to loosen a clause it cannot serve"),
        "sponsor_bn": Param(
            0.0, "USD bn/month", "sponsorship split over open-weight projects", ge=0
        ),
        "match_months": Param(
            24, "months", "horizon over which it values keeping a first-refusal lab", ge=0
        ),
    }

    def decide(self, obs: HyperscalerObs, rng: np.random.Generator) -> HyperscalerDecision:
        p = self.p
        demand = obs.demand_history[-1] if obs.demand_history else obs.capacity_eff_gw
        growth = demand_growth(
            obs.demand_history, 6, p["min_forecast_growth"], p["max_forecast_growth"]
        )
        lead = obs.build_lead_months
        # builds for growth only while the spot price covers the long-run cost of new capacity
        pays = obs.price >= obs.capacity_cost_per_eff_gw
        target = max(demand, obs.committed_gw) * (growth**lead * (1 + p["headroom"]) if pays else 1)
        projected = (
            obs.capacity_eff_gw * obs.keep_per_month**lead
            + (obs.pipeline_gw + obs.waiting_gw) * obs.efficiency_new
        )
        cash = max(obs.cash_bn, 0.0)
        budget = cash * p["capex_share"]
        build = max(target - projected, 0.0) / obs.efficiency_new
        build = min(build, budget / max(obs.build_cost_per_gw, 1e-9))
        rd = min(p["rd_bn"], cash * 0.1)
        projects = obs.public.open_projects
        sponsor = min(p["sponsor_bn"], cash * 0.1) if projects else 0.0
        return HyperscalerDecision(
            build_gw=build,
            inhouse_share=self.inhouse_share(obs),
            rd_bn=rd,
            price=obs.opex_per_eff_gw * p["reserve_markup"],
            offers=self._offers(obs, cash - rd - sponsor),
            loosen={d.id: self.agree_to_loosen(obs, d) for d in obs.loosen_requests},
            match_bn=self.match_limits(obs),
            sponsor_bn={name: sponsor / len(projects) for name in projects} if sponsor else {},
        )

    def inhouse_share(self, obs: HyperscalerObs) -> float:
        """Own chips when cheaper per eff-GW than merchant ones, and at least what it promised."""
        merchant = obs.build_cost_per_gw
        cheaper = (
            obs.inhouse_maturity > 0 and obs.inhouse_cost_per_gw / obs.inhouse_maturity < merchant
        )
        inhouse = min(1.0, obs.inhouse_maturity) if cheaper else 0.0
        return max(inhouse, obs.inhouse_commit_share)

    def agree_to_loosen(self, obs: HyperscalerObs, deal: DealView) -> bool:
        """If ``loosen_when_short``: loosens a clause it could not serve last month when keeping
        the lab's custom is worth more than the exit penalty it would collect were the lab to
        break the clause (``retention``; USD bn)."""
        short = obs.shortfall_by_lab.get(deal.target, 0.0) > 0
        return (
            bool(self.p["loosen_when_short"])
            and short
            and self.retention(obs, deal) >= deal.exit_penalty_bn
        )

    def retention(self, obs: HyperscalerObs, deal: DealView) -> float:
        """USD bn keeping ``deal``'s lab is worth: its margin over capacity cost on the lab's
        spend with it over ``match_months`` (at most the deal's term left)."""
        margin = 1 - obs.capacity_cost_per_eff_gw / max(obs.price, 1e-9)
        return bargaining.retention_value(
            obs.revenue_by_lab.get(deal.target, 0.0),
            margin,
            min(deal.months_left, self.p["match_months"]),
        )

    def match_limits(self, obs: HyperscalerObs) -> dict[str, float]:
        """USD bn it would pay, per lab it holds a right of first refusal over, to match a rival's
        offer: ``retention``, within ``invest_share`` of its cash."""
        budget = max(obs.cash_bn, 0.0) * self.p["invest_share"]
        return {
            d.target: min(budget, self.retention(obs, d))
            for d in obs.deals
            if d.exclusivity.first_refusal
        }

    def promised_inhouse_share(self, obs: HyperscalerObs) -> float:
        """Share of an offer's committed compute promised on its own chips."""
        return 0.0

    def offer_amount(self, obs: HyperscalerObs, r: RaiseInfo) -> float:
        """USD bn offered to a raising lab: its ask, at most ``invest_share`` of cash."""
        return min(r.ask_bn, max(obs.cash_bn, 0.0) * self.p["invest_share"])

    def _offers(self, obs: HyperscalerObs, budget: float) -> list[OfferTerms]:
        """Offers to the labs it backs (``rounds_to_back``) within ``budget`` USD bn, committing
        at most its uncommitted capacity. A lab bound by a rival's clause is courted only with
        spare capacity for all the compute it used last month (else it could not switch)."""
        p = self.p
        spare = max(obs.capacity_eff_gw - obs.committed_gw, 0.0)
        rounds = rounds_to_back(
            obs.public,
            obs.name,
            obs.backed_labs,
            int(p["max_labs"]),
            p["capability_gap"],
            budget,
            lambda r: self.offer_amount(obs, r),
            lambda r: r.restricted_to in ("", obs.name) or spare >= r.compute_gw,
        )
        free_gw = spare
        months = int(p["duration_months"])
        offers = []
        for r, amount in rounds:
            commit = min(amount * p["credit_share"] / (months * max(obs.price, 1e-9)), free_gw)
            free_gw -= commit
            offers.append(
                OfferTerms(
                    target=r.lab,
                    amount_bn=amount,
                    credit_share=p["credit_share"],
                    exclusivity=Exclusivity(p["exclusivity"]),
                    duration_months=months,
                    exit_penalty_bn=amount * p["penalty_share"],
                    commit_gw=commit,
                    inhouse_chip_share=self.promised_inhouse_share(obs),
                )
            )
        return offers


@register
class ExclusiveSeeker(CapacityPlanner):
    """Buys exclusivity: a premium over the ask, paid largely in credits, and never loosens."""

    name = "exclusive-seeker"
    description = "buys an exclusive clause over the leading lab with equity and credits"
    params = {
        **CapacityPlanner.params,
        "exclusivity": CapacityPlanner.params["exclusivity"].with_default("exclusive"),
        "credit_share": CapacityPlanner.params["credit_share"].with_default(0.6),
        "invest_share": CapacityPlanner.params["invest_share"].with_default(0.15),
        "max_labs": CapacityPlanner.params["max_labs"].with_default(1),
        "penalty_share": CapacityPlanner.params["penalty_share"].with_default(0.5),
        "loosen_when_short": CapacityPlanner.params["loosen_when_short"].with_default(False),
        "premium": Param(
            0.5, "fraction", "offered above the lab's ask to pay for the clause", ge=0
        ),
    }

    def offer_amount(self, obs: HyperscalerObs, r: RaiseInfo) -> float:
        return min(r.ask_bn * (1 + self.p["premium"]), obs.cash_bn * self.p["invest_share"])


@register
class PortfolioHedger(CapacityPlanner):
    """Small non-exclusive stakes in several labs, each capped below ``max_stake``."""

    name = "portfolio-hedger"
    description = "takes small non-exclusive stakes in several rival labs"
    params = {
        **CapacityPlanner.params,
        "max_labs": CapacityPlanner.params["max_labs"].with_default(4),
        "capability_gap": CapacityPlanner.params["capability_gap"].with_default(2.0),
        "max_stake": Param(0.1, "fraction", "largest stake it buys in one round", ge=0, lt=1),
    }

    def offer_amount(self, obs: HyperscalerObs, r: RaiseInfo) -> float:
        return min(super().offer_amount(obs, r), stake_cap(r.valuation_bn, self.p["max_stake"]))


@register
class VerticalIntegrator(CapacityPlanner):
    """In-house chips pushed hard; buys a controlling stake in one lab, bound exclusively."""

    name = "vertical-integrator"
    description = "pushes in-house chips and buys a controlling, exclusive stake in one lab"
    classifier = {
        "uses": ["own demand", "raising labs", "lab valuations"],
        "stochastic": False,
        "adaptive": False,
    }
    params = {
        **CapacityPlanner.params,
        "exclusivity": CapacityPlanner.params["exclusivity"].with_default("exclusive"),
        "invest_share": CapacityPlanner.params["invest_share"].with_default(0.3),
        "max_labs": CapacityPlanner.params["max_labs"].with_default(1),
        "rd_bn": CapacityPlanner.params["rd_bn"].with_default(0.5),
        "loosen_when_short": CapacityPlanner.params["loosen_when_short"].with_default(False),
        "inhouse_floor": Param(
            0.5, "fraction", "least share of chips made in-house once mature", ge=0, le=1
        ),
        "control_target": Param(0.3, "fraction", "stake it seeks to buy in one round", ge=0, lt=1),
    }

    def inhouse_share(self, obs: HyperscalerObs) -> float:
        floor = self.p["inhouse_floor"] if obs.inhouse_maturity > 0 else 0.0
        return max(super().inhouse_share(obs), floor)

    def promised_inhouse_share(self, obs: HyperscalerObs) -> float:
        return self.inhouse_share(obs)

    def offer_amount(self, obs: HyperscalerObs, r: RaiseInfo) -> float:
        control = stake_cap(r.valuation_bn, self.p["control_target"])
        return min(max(control, r.ask_bn), max(obs.cash_bn, 0.0) * self.p["invest_share"])


@register
class NeutralLandlord(CapacityPlanner):
    """Sells compute to every lab on equal terms: no stakes, no clauses."""

    name = "neutral-landlord"
    description = "sells compute to all comers, takes no stakes and asks no clauses"
    classifier = {"uses": ["own demand"], "stochastic": False, "adaptive": False}

    def offer_amount(self, obs: HyperscalerObs, r: RaiseInfo) -> float:
        return 0.0

    def agree_to_loosen(self, obs: HyperscalerObs, deal: DealView) -> bool:
        return True
